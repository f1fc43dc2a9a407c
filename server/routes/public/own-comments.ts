import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams } from '../../schemas/common.js';
import { loadSettings } from '../../services/settings.js';
import { deleteOwnComment, editOwnComment, loadOwnComment, ownsComment, postOfComment, type OwnershipProof } from '../../services/own-comments.js';
import { AppError } from '../../errors.js';
import { field } from '../admin/forms.js';
import { ownCommentIds } from './posts.js';

/**
 * A commenter's own comment: the edit page and the delete confirmation (issue 11). The proof of
 * ownership is the browser's signed `lectern_own` cookie or the signed-in account
 * (services/own-comments.ts); the cookie is SameSite=Lax, so another site cannot post these
 * forms with it, and a signed-in person's forms carry the CSRF token as everywhere else.
 */
export default async function ownCommentRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const proofOf = (request: FastifyRequest): OwnershipProof => ({ userId: request.user?.id ?? null, cookieIds: ownCommentIds(request) });
  const postUrl = (slug: string) => `/posts/${encodeURIComponent(slug)}`;

  // Pages about one person's comment are never kept by a browser or proxy.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const csrfWhenSignedIn = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) =>
    request.user ? app.csrfProtection(request, reply, done) : done();

  app.get('/comments/:id/edit', { schema: { params: IdParams } }, async (request, reply) => {
    const own = await loadOwnComment(db(), request.params.id, proofOf(request), app.secret, await loadSettings(db()));
    if (own.editRefusal) throw own.editRefusal;
    return reply.page('comment-edit', {
      title: 'Edit your comment',
      commentId: own.comment.id,
      postSlug: own.postSlug,
      postTitle: own.postTitle,
      state: own.state,
      body: own.comment.body_md,
      errors: {},
    });
  });

  app.post('/comments/:id/edit', { schema: { params: IdParams }, preHandler: csrfWhenSignedIn }, async (request, reply) => {
    const id = request.params.id;
    const body = field(request.body, 'body');
    const proof = proofOf(request);
    try {
      const result = await editOwnComment(db(), id, body, proof, app.secret, await loadSettings(db()));
      const slug = postUrl(result.postSlug);
      return reply.redirect(result.status === 'approved' ? `${slug}#comment-${id}` : `${slug}?held=${id}#comment-${id}`, 303);
    } catch (err) {
      // Invalid text, or too late: the page again with the message and every typed word.
      const refused = err instanceof AppError && (err.status === 422 || (err.status === 403 && (await ownsComment(db(), id, proof, app.secret))));
      if (!refused) throw err;
      const post = await postOfComment(db(), id);
      return reply.page(
        'comment-edit',
        {
          title: 'Edit your comment',
          commentId: id,
          postSlug: post?.slug ?? '',
          postTitle: post?.title ?? '',
          state: null,
          body,
          errors: err.status === 422 ? err.fields : { form: err.message },
        },
        err.status,
      );
    }
  });

  app.get('/comments/:id/delete', { schema: { params: IdParams } }, async (request, reply) => {
    const own = await loadOwnComment(db(), request.params.id, proofOf(request), app.secret, await loadSettings(db()));
    return reply.page('comment-delete', {
      title: 'Delete your comment',
      comment: own.comment,
      postSlug: own.postSlug,
      postTitle: own.postTitle,
      state: own.state,
      hasReplies: own.replied,
    });
  });

  app.post('/comments/:id/delete', { schema: { params: IdParams }, preHandler: csrfWhenSignedIn }, async (request, reply) => {
    const { postSlug } = await deleteOwnComment(db(), request.params.id, proofOf(request), app.secret, await loadSettings(db()));
    return reply.redirect(`${postUrl(postSlug)}?deleted=1#comments`, 303);
  });
}
