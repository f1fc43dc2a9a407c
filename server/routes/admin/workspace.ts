import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, PageQuery } from '../../schemas/common.js';
import { findComment } from '../../data/comments.js';
import { claimComment, releaseClaim } from '../../services/claims.js';
import { addNote, NOTE_MAX, notesOn } from '../../services/notes.js';
import { undoAction } from '../../services/moderation.js';
import { BLOCK_NOTE_MAX, blockCommenter, blocksPage, unblock } from '../../services/blocks.js';
import { notFound } from '../../errors.js';
import { dryRunRules, parseProposedRules } from '../../services/dry-run.js';
import { loadSettings } from '../../services/settings.js';
import { field, handleForm, safeNext } from './forms.js';

const BLOCKS_PER_PAGE = 50;

/**
 * After an action, the queue page says what happened and offers to undo it. Plain string
 * work on a path safeNext already accepted: parsing it as a URL would resolve dot segments
 * ("/.//evil.example" → "//evil.example") and could turn it into another site's address.
 */
export function withActionNotice(url: string, name: 'undo' | 'undone', actionId: string | null): string {
  if (!actionId) return url;
  const hashAt = url.indexOf('#');
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const beforeHash = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = beforeHash.indexOf('?');
  const path = queryAt === -1 ? beforeHash : beforeHash.slice(0, queryAt);
  const params = (queryAt === -1 ? '' : beforeHash.slice(queryAt + 1)).split('&').filter((p) => p !== '' && !/^(undo|undone|done)=/.test(p));
  params.push(`${name}=${encodeURIComponent(actionId)}`);
  return `${path}?${params.join('&')}${hash}`;
}

/**
 * The moderation workspace (issue 11): claims, internal notes, undo and blocked commenters.
 * Moderators only; every form carries the CSRF token.
 */
export default async function workspaceRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const moderator = app.requireRole('moderate');
  const guarded = [moderator, app.csrfProtection];
  const back = (body: unknown, fallback = '/admin/comments') => safeNext(field(body, 'return_to'), fallback);
  const queryReturn = (query: unknown) => safeNext((query as Record<string, unknown> | undefined)?.return_to, '/admin/comments');
  const anchored = (url: string, id: number) => (url.includes('#') ? url : `${url}#q-${id}`);

  app.post('/comments/:id/claim', { schema: { params: IdParams }, preHandler: guarded }, async (request, reply) => {
    const takeOver = ['on', '1', 'true'].includes(field(request.body, 'take_over'));
    await claimComment(db(), request.user!, request.params.id, { takeOver });
    return reply.redirect(anchored(back(request.body), request.params.id), 303);
  });

  app.post('/comments/:id/release', { schema: { params: IdParams }, preHandler: guarded }, async (request, reply) => {
    await releaseClaim(db(), request.user!, request.params.id);
    return reply.redirect(anchored(back(request.body), request.params.id), 303);
  });

  const notesPage = async (reply: FastifyReply, id: number, returnTo: string, value: string, errors: Record<string, string>, status = 200) => {
    const comment = await findComment(db(), id);
    if (!comment) throw notFound('Comment');
    const notes = await notesOn(db(), id);
    return reply.page('admin/comment-notes', { title: 'Internal notes', comment, notes, returnTo, value, errors, noteMax: NOTE_MAX }, status);
  };

  app.get('/comments/:id/notes', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) =>
    notesPage(reply, request.params.id, queryReturn(request.query), '', {}),
  );

  app.post('/comments/:id/notes', { schema: { params: IdParams }, preHandler: guarded }, async (request, reply) => {
    const id = request.params.id;
    const body = field(request.body, 'body');
    const returnTo = back(request.body);
    return handleForm(
      reply,
      async () => {
        await addNote(db(), request.user!, id, body);
        return reply.redirect(anchored(returnTo, id), 303);
      },
      (errors, _message, status) => notesPage(reply, id, returnTo, body, errors, status),
    );
  });

  app.post('/moderation/undo', { preHandler: guarded }, async (request, reply) => {
    const requested = field(request.body, 'action_id').trim();
    const result = await undoAction(db(), request.user!, requested || undefined);
    return reply.redirect(withActionNotice(back(request.body), 'undone', result.actionId), 303);
  });

  /**
   * "Dry run" on the discussion settings page: the typed rules are tried on recent comments
   * and the page comes back with every typed value and the result; nothing is saved.
   */
  app.post('/settings/discussion/dry-run', { preHandler: [app.requireRole('manage-settings'), app.csrfProtection] }, async (request, reply) => {
    const settings = await loadSettings(db());
    const saved = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, Array.isArray(v) ? v.join('\n') : String(v)]));
    const typed = Object.fromEntries(Object.keys((request.body as Record<string, unknown> | undefined) ?? {}).filter((k) => k !== '_csrf').map((k) => [k, field(request.body, k)]));
    const values = { ...saved, ...typed };
    const page = (data: Record<string, unknown>, status = 200) =>
      reply.page('admin/discussion', { title: 'Discussion settings', values, errors: {}, notice: null, ...data }, status);
    return handleForm(
      reply,
      async () => page({ dryRun: await dryRunRules(db(), parseProposedRules(values, settings), settings) }),
      (errors, _message, status) => page({ errors }, status),
    );
  });

  // ---- Blocking ----------------------------------------------------------------------------

  const blockPage = async (reply: FastifyReply, id: number, returnTo: string, values: Record<string, string | boolean>, errors: Record<string, string>, status = 200) => {
    const comment = await findComment(db(), id);
    if (!comment) throw notFound('Comment');
    return reply.page('admin/block-commenter', { title: 'Block commenter', comment, returnTo, values, errors, noteMax: BLOCK_NOTE_MAX }, status);
  };

  app.get('/comments/:id/block', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) =>
    blockPage(reply, request.params.id, queryReturn(request.query), { note: '', hide_all: false, block_ip: true }, {}),
  );

  app.post('/comments/:id/block', { schema: { params: IdParams }, preHandler: guarded }, async (request, reply) => {
    const id = request.params.id;
    const values = { note: field(request.body, 'note'), hide_all: field(request.body, 'hide_all') === 'on', block_ip: field(request.body, 'block_ip') === 'on' };
    const returnTo = back(request.body);
    return handleForm(
      reply,
      async () => {
        const result = await blockCommenter(db(), request.user!, { comment_id: id, ...values });
        // Hiding is an action like any other: the queue offers to undo it.
        const to = result.actionId ? withActionNotice(returnTo, 'undo', result.actionId) : `/admin/blocks?blocked=${result.block.id}`;
        return reply.redirect(to, 303);
      },
      (errors, _message, status) => blockPage(reply, id, returnTo, values, errors, status),
    );
  });

  const listPage = async (reply: FastifyReply, page: number, query: Record<string, unknown>, values: { email: string; note: string }, errors: Record<string, string>, status = 200) => {
    const { rows, total, pages } = await blocksPage(db(), page, BLOCKS_PER_PAGE);
    const notice = query.blocked ? 'Blocked. New comments from them are kept as spam.' : query.unblocked ? 'Unblocked. They can comment again under the usual rules.' : null;
    return reply.page('admin/blocks', { title: 'Blocked commenters', blocks: rows, total, page, pages, values, errors, notice, noteMax: BLOCK_NOTE_MAX }, status);
  };

  app.get('/blocks', { schema: { querystring: PageQuery }, preHandler: moderator }, async (request, reply) =>
    listPage(reply, request.query.page, request.query as Record<string, unknown>, { email: '', note: '' }, {}),
  );

  app.post('/blocks', { preHandler: guarded }, async (request, reply) => {
    const values = { email: field(request.body, 'email'), note: field(request.body, 'note') };
    return handleForm(
      reply,
      async () => {
        const result = await blockCommenter(db(), request.user!, values);
        return reply.redirect(`/admin/blocks?blocked=${result.block.id}`, 303);
      },
      (errors, _message, status) => listPage(reply, 1, {}, values, errors, status),
    );
  });

  app.post('/blocks/:id/delete', { schema: { params: IdParams }, preHandler: guarded }, async (request, reply) => {
    await unblock(db(), request.params.id);
    return reply.redirect('/admin/blocks?unblocked=1', 303);
  });
}
