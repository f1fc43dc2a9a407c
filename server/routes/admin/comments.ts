import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, PageQuery } from '../../schemas/common.js';
import { QueueQuery } from '../../schemas/comments.js';
import { approvedCountsByEmail, countByStatus, findComment, listModerationLog, listQueue } from '../../data/comments.js';
import { findPostById } from '../../data/posts.js';
import { bulkSetStatus, COMMENT_STATUSES, deleteComment, setStatus } from '../../services/moderation.js';
import { keyedHash, submitComment } from '../../services/comments.js';
import { loadSettings, saveDiscussionSettings } from '../../services/settings.js';
import { invalid, notFound } from '../../errors.js';
import { field, handleForm, safeNext } from './forms.js';
import { queueWorkspace } from '../../services/workspace.js';
import { withActionNotice } from './workspace.js';
import { reportsForQueue } from '../../services/reports.js';

const PAGE_SIZE = 20;

/** The moderation queue and the discussion settings. */
export default async function commentsAdminRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const moderator = app.requireRole('moderate');
  const back = (body: unknown) => safeNext(field(body, 'return_to'), '/admin/comments');

  app.get('/comments', { schema: { querystring: QueueQuery }, preHandler: moderator }, async (request, reply) => {
    const { status = 'pending', page, post_id, q } = request.query;
    const [{ rows, total }, counts] = await Promise.all([
      listQueue(db(), { status, postId: post_id, q: q?.trim() || undefined }, page, PAGE_SIZE),
      countByStatus(db()),
    ]);
    const history = await approvedCountsByEmail(db(), rows.map((r) => r.author_email));
    const filterPost = post_id ? await findPostById(db(), post_id) : undefined;
    // Claims, internal notes and the undo notice (issue 11, services/workspace.ts).
    const workspace = await queueWorkspace(db(), request.user!, rows.map((r) => r.id), request.query);
    // Readers' reports on each item: how many, and why (services/reports.ts).
    const reports = await reportsForQueue(db(), rows.map((r) => r.id));
    return reply.page('admin/comments', {
      workspace,
      reports,
      title: 'Comments',
      status,
      statuses: COMMENT_STATUSES,
      counts,
      comments: rows.map((r) => ({ ...r, reasons: JSON.parse(r.reasons) as string[], approvedBefore: history.get(r.author_email) ?? 0 })),
      total,
      page,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      q: q ?? '',
      filterPost: filterPost ?? null,
      scripts: ['/static/js/moderation.js'],
      notice: (request.query as Record<string, unknown>).done ? 'Done.' : null,
    });
  });

  app.post('/comments/:id/status', { schema: { params: IdParams }, preHandler: [moderator, app.csrfProtection] }, async (request, reply) => {
    const actionId = await setStatus(db(), request.user!, request.params.id, field(request.body, 'status'));
    return reply.redirect(withActionNotice(back(request.body), 'undo', actionId), 303);
  });

  app.get('/comments/:id/delete', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) => {
    const comment = await findComment(db(), request.params.id);
    if (!comment) throw notFound('Comment');
    const returnTo = safeNext((request.query as Record<string, unknown>).return_to, '/admin/comments');
    return reply.page('admin/confirm-delete-comment', { title: 'Delete comment', comment, returnTo });
  });

  app.post('/comments/:id/delete', { schema: { params: IdParams }, preHandler: [moderator, app.csrfProtection] }, async (request, reply) => {
    const actionId = await deleteComment(db(), request.user!, request.params.id);
    return reply.redirect(withActionNotice(back(request.body), 'undo', actionId), 303);
  });

  app.post('/comments/bulk', { preHandler: [moderator, app.csrfProtection] }, async (request, reply) => {
    const raw = (request.body as Record<string, unknown> | undefined)?.ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const action = field(request.body, 'bulk_action');
    if (ids.length === 0) throw invalid({ ids: 'Tick at least one comment first' }, 'Tick at least one comment first');
    const { actionId } = await bulkSetStatus(db(), request.user!, ids, action);
    return reply.redirect(withActionNotice(back(request.body), 'undo', actionId), 303);
  });

  /** "Approve and reply": the comment goes live and the staff answer appears under it. */
  app.post('/comments/:id/reply', { schema: { params: IdParams }, preHandler: [moderator, app.csrfProtection] }, async (request, reply) => {
    const comment = await findComment(db(), request.params.id);
    if (!comment) throw notFound('Comment');
    const post = await findPostById(db(), comment.post_id);
    if (!post) throw notFound('Post');
    const text = field(request.body, 'body');
    if (!text.trim()) throw invalid({ body: 'Write your reply' }, 'Write your reply');
    if (comment.status !== 'approved') await setStatus(db(), request.user!, comment.id, 'approved');
    const settings = await loadSettings(db());
    // Staff replies are exempt from closing rules: a moderator may always answer.
    await submitComment(
      db(),
      post.slug,
      { body: text, parent_id: comment.id },
      { user: request.user, ipHash: keyedHash(app.secret, 'ip', request.ip) },
      { ...settings, close_after_days: 0 },
      app.secret,
    );
    return reply.redirect(back(request.body), 303);
  });

  app.get('/comments/log', { schema: { querystring: PageQuery }, preHandler: app.requireRole('manage-settings') }, async (request, reply) => {
    const perPage = 50;
    const { rows, total } = await listModerationLog(db(), request.query.page, perPage);
    return reply.page('admin/moderation-log', { title: 'Moderation log', entries: rows, page: request.query.page, pages: Math.max(1, Math.ceil(total / perPage)) });
  });

  const settingsAccess = app.requireRole('manage-settings');
  const discussionValues = (s: Awaited<ReturnType<typeof loadSettings>>) => ({
    moderation: s.moderation,
    hold_links: String(s.hold_links),
    hold_words: s.hold_words.join('\n'),
    block_words: s.block_words.join('\n'),
    close_after_days: String(s.close_after_days),
    thread_depth: String(s.thread_depth),
    comment_rate_per_minute: String(s.comment_rate_per_minute),
    comment_edit_minutes: String(s.comment_edit_minutes),
    report_threshold: String(s.report_threshold),
  });

  app.get('/settings/discussion', { preHandler: settingsAccess }, async (request, reply) => {
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return reply.page('admin/discussion', { title: 'Discussion settings', values: discussionValues(await loadSettings(db())), errors: {}, notice: saved ? 'Settings saved.' : null });
  });

  app.post('/settings/discussion', { preHandler: [settingsAccess, app.csrfProtection] }, async (request, reply) => {
    const names = ['moderation', 'hold_links', 'hold_words', 'block_words', 'close_after_days', 'thread_depth', 'comment_rate_per_minute'] as const;
    const values = Object.fromEntries(names.map((n) => [n, field(request.body, n)])) as Record<(typeof names)[number], string>;
    // Absent from an older form: left as it is (services/own-comments.ts).
    const editMinutes = (request.body as Record<string, unknown> | undefined)?.comment_edit_minutes === undefined ? undefined : field(request.body, 'comment_edit_minutes');
    const reportThreshold = (request.body as Record<string, unknown> | undefined)?.report_threshold === undefined ? undefined : field(request.body, 'report_threshold');
    return handleForm(
      reply,
      async () => {
        await saveDiscussionSettings(db(), { ...values, comment_edit_minutes: editMinutes, report_threshold: reportThreshold });
        return reply.redirect('/admin/settings/discussion?saved=1', 303);
      },
      (errors, _m, status) => reply.page('admin/discussion', { title: 'Discussion settings', values: { ...values, comment_edit_minutes: editMinutes ?? '', report_threshold: reportThreshold ?? '' }, errors, notice: null }, status),
    );
  });
}
