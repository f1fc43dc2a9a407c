import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, SlugParams } from '../../schemas/common.js';
import { BulkBody, NewCommentBody, QueueQuery, StatusBody } from '../../schemas/comments.js';
import { keyedHash, submitComment } from '../../services/comments.js';
import { bulkSetStatus, deleteComment, setStatus } from '../../services/moderation.js';
import { loadSettings } from '../../services/settings.js';
import { editableUntil, editToken } from '../../services/own-comments.js';
import { findComment, listQueue } from '../../data/comments.js';
import { reportsForQueue } from '../../services/reports.js';
import { notFound } from '../../errors.js';

const QUEUE_PAGE_SIZE = 20;

export default async function commentsApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const moderator = app.requireApiRole('moderate');

  app.post('/posts/:slug/comments', { schema: { params: SlugParams, body: NewCommentBody } }, async (request, reply) => {
    const settings = await loadSettings(db());
    const result = await submitComment(
      db(),
      request.params.slug,
      request.body,
      { user: request.user, ipHash: keyedHash(app.secret, 'ip', request.ip) },
      settings,
      app.secret,
    );
    // The token proves, without an account, whose comment it is (docs/api-discussion.md).
    const own = { edit_token: editToken(app.secret, { id: result.id, created_at: result.createdAt }), editable_until: editableUntil(result.createdAt, settings) };
    return reply.code(201).send({ comment: { id: result.id, status: result.status === 'spam' ? 'pending' : result.status, ...own } });
  });

  app.get('/comments', { schema: { querystring: QueueQuery }, preHandler: moderator }, async (request) => {
    const { status = 'pending', page, post_id, q } = request.query;
    const { rows, total } = await listQueue(db(), { status, postId: post_id, q }, page, QUEUE_PAGE_SIZE);
    const reports = await reportsForQueue(db(), rows.map((r) => r.id));
    return {
      comments: rows.map((c) => ({
        id: c.id,
        status: c.status,
        reasons: JSON.parse(c.reasons) as string[],
        post: { id: c.post_id, slug: c.post_slug, title: c.post_title },
        parent_id: c.parent_id,
        parent: c.parent_id ? { id: c.parent_id, author_name: c.parent_author } : null,
        author_name: c.author_name,
        author_email: c.author_email,
        author_url: c.author_url,
        body: c.body_md,
        html: c.body_html,
        is_staff: c.is_staff === 1,
        created_at: c.created_at,
        // Readers' reports (docs/api-reactions.md).
        reports: reports(c.id),
      })),
      page,
      total,
    };
  });

  app.patch('/comments/:id', { schema: { params: IdParams, body: StatusBody }, preHandler: moderator }, async (request) => {
    await setStatus(db(), request.user!, request.params.id, request.body.status);
    const comment = await findComment(db(), request.params.id);
    if (!comment) throw notFound('Comment');
    return { comment: { id: comment.id, status: comment.status } };
  });

  app.delete('/comments/:id', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) => {
    await deleteComment(db(), request.user!, request.params.id);
    return reply.code(204).send();
  });

  app.post('/comments/bulk', { schema: { body: BulkBody }, preHandler: moderator }, async (request) => {
    const result = await bulkSetStatus(db(), request.user!, request.body.ids, request.body.status);
    return { updated: result.changed, missing: result.missing };
  });
}
