import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams } from '../../schemas/common.js';
import { OwnEditBody, OwnHeaders } from '../../schemas/own-comments.js';
import { loadSettings } from '../../services/settings.js';
import { deleteOwnComment, editableUntil, editOwnComment, type OwnershipProof } from '../../services/own-comments.js';
import { findComment } from '../../data/comments.js';
import { notFound } from '../../errors.js';

/**
 * A commenter's own comment through the API (docs/api-discussion.md): PATCH to edit it,
 * DELETE to remove it, with the `edit_token` its POST answered, in the X-Comment-Token header
 * (or a bearer token of the account it was posted under). Moderators keep PATCH and DELETE
 * /comments/:id.
 */
export default async function ownCommentsApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const proofOf = (request: FastifyRequest): OwnershipProof => {
    const token = request.headers['x-comment-token'];
    return { userId: request.user?.id ?? null, cookieIds: [], token: typeof token === 'string' ? token : null };
  };

  app.patch('/comments/:id/own', { schema: { params: IdParams, headers: OwnHeaders, body: OwnEditBody } }, async (request) => {
    const settings = await loadSettings(db());
    const result = await editOwnComment(db(), request.params.id, request.body.body, proofOf(request), app.secret, settings);
    const comment = await findComment(db(), result.id);
    if (!comment) throw notFound('Comment');
    return {
      comment: {
        id: comment.id,
        // Spam is reported as held, as when it was posted.
        status: comment.status === 'spam' ? 'pending' : comment.status,
        html: comment.body_html,
        edited_at: comment.edited_at,
        editable_until: editableUntil(comment.created_at, settings),
      },
    };
  });

  app.delete('/comments/:id/own', { schema: { params: IdParams, headers: OwnHeaders } }, async (request, reply) => {
    await deleteOwnComment(db(), request.params.id, proofOf(request), app.secret, await loadSettings(db()));
    return reply.code(204).send();
  });
}
