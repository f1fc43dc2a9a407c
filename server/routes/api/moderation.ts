import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, PageQuery } from '../../schemas/common.js';
import { BlockBody, ClaimBody, DryRunBody, NoteBody, UndoBody } from '../../schemas/moderation.js';
import { claimComment, releaseClaim } from '../../services/claims.js';
import { addNote, noteJson, notesOn } from '../../services/notes.js';
import { undoAction } from '../../services/moderation.js';
import { dryRunRules, parseProposedRules } from '../../services/dry-run.js';
import { blockCommenter, blockJson, blocksPage, unblock } from '../../services/blocks.js';
import { loadSettings } from '../../services/settings.js';
import type { CommentClaim } from '../../db/schema.js';

const BLOCKS_PAGE_SIZE = 50;

const claimJson = (c: CommentClaim) => ({ comment_id: c.comment_id, user: { id: c.user_id, name: c.user_name }, claimed_at: c.claimed_at, expires_at: c.expires_at });

/** The moderation workspace API (docs/api-moderation.md): moderators' bearer tokens only. */
export default async function moderationApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const moderator = app.requireApiRole('moderate');

  app.post('/comments/:id/claim', { schema: { params: IdParams, body: ClaimBody }, preHandler: moderator }, async (request) => {
    const claim = await claimComment(db(), request.user!, request.params.id, { takeOver: request.body?.take_over === true });
    return { claim: claimJson(claim) };
  });

  app.delete('/comments/:id/claim', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) => {
    await releaseClaim(db(), request.user!, request.params.id);
    return reply.code(204).send();
  });

  app.get('/comments/:id/notes', { schema: { params: IdParams }, preHandler: moderator }, async (request) => ({
    notes: (await notesOn(db(), request.params.id)).map(noteJson),
  }));

  app.post('/comments/:id/notes', { schema: { params: IdParams, body: NoteBody }, preHandler: moderator }, async (request, reply) => {
    const note = await addNote(db(), request.user!, request.params.id, request.body.body);
    return reply.code(201).send({ note: noteJson(note) });
  });

  app.post('/moderation/undo', { schema: { body: UndoBody }, preHandler: moderator }, async (request) => {
    const result = await undoAction(db(), request.user!, request.body?.action_id || undefined);
    return { undone: { action_id: result.undid, undo_action_id: result.actionId, comments: result.comments } };
  });

  app.post('/moderation/dry-run', { schema: { body: DryRunBody }, preHandler: moderator }, async (request) => {
    const settings = await loadSettings(db());
    const rules = parseProposedRules(request.body, settings);
    return { dry_run: await dryRunRules(db(), rules, settings) };
  });

  app.get('/blocks', { schema: { querystring: PageQuery }, preHandler: moderator }, async (request) => {
    const { rows, total } = await blocksPage(db(), request.query.page, BLOCKS_PAGE_SIZE);
    return { blocks: rows.map(blockJson), page: request.query.page, total };
  });

  app.post('/blocks', { schema: { body: BlockBody }, preHandler: moderator }, async (request, reply) => {
    const result = await blockCommenter(db(), request.user!, request.body);
    return reply.code(result.created ? 201 : 200).send({ block: blockJson(result.block), created: result.created, hidden: result.hidden, action_id: result.actionId });
  });

  app.delete('/blocks/:id', { schema: { params: IdParams }, preHandler: moderator }, async (request, reply) => {
    await unblock(db(), request.params.id);
    return reply.code(204).send();
  });
}
