import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, SlugParams } from '../../schemas/common.js';
import { like, resolveLikeTarget, unlike, type LikeSubject } from '../../services/likes.js';
import { findReportableComment, reportComment, REPORT_DETAILS_MAX, REPORT_REASONS } from '../../services/reports.js';
import { findComment } from '../../data/comments.js';
import { findPostById } from '../../data/posts.js';
import { loadSettings } from '../../services/settings.js';
import { AppError, invalid } from '../../errors.js';
import { field } from '../admin/forms.js';
import { readerFor } from '../reader.js';

/**
 * Likes and reports from the public pages, without JavaScript (static/js/reactions.js
 * enhances the like buttons through the JSON API). Every answer goes back to the page the
 * reader was on.
 */
export default async function reactionRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;

  // As on the comment form: a signed-in person's cookie could be ridden by another site; a visitor's cannot.
  const csrfWhenSignedIn = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) =>
    request.user ? app.csrfProtection(request, reply, done) : done();

  const tooFast = (reply: FastifyReply, err: AppError) =>
    reply.header('retry-after', '60').page('error', { title: 'Please wait a minute', status: 429, message: err.message }, 429);

  /** Like or unlike, then back to the page, where ?liked=1 shows this reader what they like. */
  async function likeForm(request: FastifyRequest, reply: FastifyReply, subject: LikeSubject) {
    const action = field(request.body, 'action') || 'like';
    if (action !== 'like' && action !== 'unlike') throw invalid({ action: 'Send like or unlike' }, 'Send like or unlike');
    const { target, postSlug } = await resolveLikeTarget(db(), subject);
    const reader = readerFor(app, request, reply);
    try {
      await (action === 'like' ? like : unlike)(db(), target, reader);
    } catch (err) {
      if (err instanceof AppError && err.status === 429) return tooFast(reply, err);
      throw err;
    }
    const anchor = target.commentId === null ? 'post-likes' : `comment-${target.commentId}`;
    return reply.redirect(`/posts/${encodeURIComponent(postSlug)}?liked=1#${anchor}`, 303);
  }

  app.post('/posts/:slug/like', { schema: { params: SlugParams }, preHandler: csrfWhenSignedIn }, (request, reply) =>
    likeForm(request, reply, { kind: 'post', slug: request.params.slug }),
  );

  app.post('/comments/:id/like', { schema: { params: IdParams }, preHandler: csrfWhenSignedIn }, (request, reply) =>
    likeForm(request, reply, { kind: 'comment', id: request.params.id }),
  );

  interface ReportFormValues {
    reason: string;
    details: string;
  }

  async function reportPage(
    reply: FastifyReply,
    found: Awaited<ReturnType<typeof findReportableComment>>,
    values: ReportFormValues,
    errors: Record<string, string>,
    status = 200,
  ) {
    const { comment, post } = found;
    return reply.page(
      'report',
      {
        title: `Report a comment by ${comment.author_name}`,
        comment: { id: comment.id, author_name: comment.author_name, body_html: comment.body_html, created_at: comment.created_at },
        post: { title: post.title, slug: post.slug },
        reasons: REPORT_REASONS,
        detailsMax: REPORT_DETAILS_MAX,
        values,
        errors,
        sent: false,
      },
      status,
    );
  }

  app.get('/comments/:id/report', { schema: { params: IdParams } }, async (request, reply) => {
    if ((request.query as Record<string, unknown>).sent === '1') {
      // The thank-you: the comment may already be back in the queue, so any status will do.
      const comment = await findComment(db(), request.params.id);
      const post = comment ? await findPostById(db(), comment.post_id) : undefined;
      if (!comment || !post) throw new AppError(404, 'not_found', 'Comment not found');
      return reply.page('report', { title: 'Thank you for your report', sent: true, comment: { id: comment.id }, post: { title: post.title, slug: post.slug } });
    }
    return reportPage(reply, await findReportableComment(db(), request.params.id), { reason: '', details: '' }, {});
  });

  app.post('/comments/:id/report', { schema: { params: IdParams }, preHandler: csrfWhenSignedIn }, async (request, reply) => {
    const values = { reason: field(request.body, 'reason'), details: field(request.body, 'details') };
    const found = await findReportableComment(db(), request.params.id);
    try {
      await reportComment(db(), request.params.id, values, readerFor(app, request, reply), await loadSettings(db()));
    } catch (err) {
      if (err instanceof AppError && (err.status === 422 || err.status === 429)) {
        if (err.status === 429) reply.header('retry-after', '60');
        return reportPage(reply, found, values, err.status === 422 ? err.fields : { form: err.message }, err.status);
      }
      throw err;
    }
    return reply.redirect(`/comments/${request.params.id}/report?sent=1`, 303);
  });
}
