import { sql } from 'kysely';
import type { Executor } from './executor.js';
import type { CommentClaim, CommentNote, CommentStatus } from '../db/schema.js';

/**
 * Queries of the moderation workspace (migration 0083): claims, internal notes, the audit
 * log read as actions, and the snapshots that let a deletion be undone.
 */

// ---- Claims ----------------------------------------------------------------------------

/**
 * Claims a comment in one conditional upsert: it succeeds when nobody holds it, when the
 * claimant already does, when the holder's claim has lapsed, or (takeOver) always. The
 * database decides, so two instances cannot both win. Answers the claim as it now stands.
 */
export async function upsertClaim(
  db: Executor,
  claim: { comment_id: number; user_id: number; user_name: string; claimed_at: string; expires_at: string },
  takeOver: boolean,
): Promise<CommentClaim | undefined> {
  await db
    .insertInto('comment_claims')
    .values(claim)
    .onConflict((oc) => {
      const update = oc.column('comment_id').doUpdateSet((eb) => ({
        user_id: eb.ref('excluded.user_id'),
        user_name: eb.ref('excluded.user_name'),
        // A refresh by the holder keeps when they first claimed it.
        claimed_at: sql<string>`case when comment_claims.user_id = excluded.user_id then comment_claims.claimed_at else excluded.claimed_at end`,
        expires_at: eb.ref('excluded.expires_at'),
      }));
      return takeOver
        ? update
        : update.where((eb) => eb.or([eb('comment_claims.user_id', '=', claim.user_id), eb('comment_claims.expires_at', '<=', claim.claimed_at)]));
    })
    .execute();
  return findClaim(db, claim.comment_id);
}

export const findClaim = (db: Executor, commentId: number) =>
  db.selectFrom('comment_claims').selectAll().where('comment_id', '=', commentId).executeTakeFirst();

/** Claims still running on these comments, for the queue. */
export const liveClaims = (db: Executor, commentIds: number[], nowIso: string): Promise<CommentClaim[]> =>
  commentIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('comment_claims').selectAll().where('comment_id', 'in', commentIds).where('expires_at', '>', nowIso).execute();

/** Removes a claim; with `userId`, only that person's (a release never drops someone else's). */
export async function deleteClaim(db: Executor, commentId: number, userId?: number): Promise<number> {
  let query = db.deleteFrom('comment_claims').where('comment_id', '=', commentId);
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Activity by the holder keeps a live claim alive. */
export async function extendClaim(db: Executor, commentId: number, userId: number, nowIso: string, expiresAt: string): Promise<void> {
  await db
    .updateTable('comment_claims')
    .set({ expires_at: expiresAt })
    .where('comment_id', '=', commentId)
    .where('user_id', '=', userId)
    .where('expires_at', '>', nowIso)
    .execute();
}

// ---- Notes -------------------------------------------------------------------------------

export async function insertNote(db: Executor, note: { comment_id: number; author_id: number | null; author_name: string; body: string; created_at: string }): Promise<CommentNote> {
  return db.insertInto('comment_notes').values(note).returningAll().executeTakeFirstOrThrow();
}

/** Notes on these comments, oldest first. */
export const notesOf = (db: Executor, commentIds: number[]): Promise<CommentNote[]> =>
  commentIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('comment_notes').selectAll().where('comment_id', 'in', commentIds).orderBy('comment_id').orderBy('id').execute();

/** Puts notes back with their ids (undo of a deletion). */
export async function restoreNotes(db: Executor, notes: CommentNote[]): Promise<void> {
  if (notes.length) await db.insertInto('comment_notes').values(notes).execute();
}

// ---- The audit log, read as actions ------------------------------------------------------

export const LOG_COLUMNS = ['id', 'comment_id', 'post_id', 'actor_id', 'actor_name', 'from_status', 'to_status', 'created_at', 'action_id', 'undo_of'] as const;

/** The newest log row one moderator wrote: their last action (or undo). */
export const lastLogRowOf = (db: Executor, actorId: number) =>
  db.selectFrom('moderation_log').select(LOG_COLUMNS).where('actor_id', '=', actorId).orderBy('id', 'desc').limit(1).executeTakeFirst();

export const logRowsOfAction = (db: Executor, actionId: string) =>
  db.selectFrom('moderation_log').select(LOG_COLUMNS).where('action_id', '=', actionId).orderBy('id').execute();

export async function actionWasUndone(db: Executor, actionId: string): Promise<boolean> {
  const row = await db.selectFrom('moderation_log').select('id').where('undo_of', '=', actionId).limit(1).executeTakeFirst();
  return row !== undefined;
}

/** The newest log row of each comment: whoever moved it last. */
export async function latestLogRows(db: Executor, commentIds: number[]) {
  if (commentIds.length === 0) return new Map<number, { id: number; actor_name: string }>();
  const rows = await db
    .selectFrom('moderation_log')
    .select(['id', 'comment_id', 'actor_name'])
    .where('id', 'in', (eb) => eb.selectFrom('moderation_log').select((e) => e.fn.max('id').as('id')).where('comment_id', 'in', commentIds).groupBy('comment_id'))
    .execute();
  return new Map(rows.map((r) => [r.comment_id, { id: r.id, actor_name: r.actor_name }]));
}

/** The status each comment arrived with: the `from` of its first log row (dry run). */
export async function arrivalStatuses(db: Executor, commentIds: number[]): Promise<Map<number, string>> {
  if (commentIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('moderation_log')
    .select(['comment_id', 'from_status'])
    .where('id', 'in', (eb) => eb.selectFrom('moderation_log').select((e) => e.fn.min('id').as('id')).where('comment_id', 'in', commentIds).groupBy('comment_id'))
    .execute();
  return new Map(rows.map((r) => [r.comment_id, r.from_status]));
}

// ---- Snapshots of deleted comments -------------------------------------------------------

export async function insertSnapshot(
  db: Executor,
  row: { action_id: string; actor_id: number | null; comment_id: number; email: string; data: string; created_at: string },
): Promise<void> {
  await db.insertInto('comment_snapshots').values(row).execute();
}

export const findSnapshot = (db: Executor, actionId: string, commentId: number) =>
  db.selectFrom('comment_snapshots').selectAll().where('action_id', '=', actionId).where('comment_id', '=', commentId).executeTakeFirst();

/** Only a moderator's last action can be undone, so older snapshots of theirs are dead weight. */
export async function deleteSnapshotsOf(db: Executor, actorId: number, exceptActionId: string | null): Promise<void> {
  let query = db.deleteFrom('comment_snapshots').where('actor_id', '=', actorId);
  if (exceptActionId !== null) query = query.where('action_id', '<>', exceptActionId);
  await query.execute();
}

export async function deleteSnapshotsOfAction(db: Executor, actionId: string): Promise<void> {
  await db.deleteFrom('comment_snapshots').where('action_id', '=', actionId).execute();
}

/** Comments that point at one as parent or as the comment they answer (before it is deleted). */
export async function dependentsOf(db: Executor, commentId: number): Promise<{ children: number[]; answers: number[] }> {
  const children = await db.selectFrom('comments').select('id').where('parent_id', '=', commentId).execute();
  const answers = await db.selectFrom('comments').select('id').where('reply_to_id', '=', commentId).execute();
  return { children: children.map((r) => r.id), answers: answers.map((r) => r.id) };
}

/** Replies moved up when their parent was deleted go back under it, unless they moved again. */
export async function reattachChildren(db: Executor, ids: number[], parentId: number, movedTo: number | null): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('comments')
    .set({ parent_id: parentId })
    .where('id', 'in', ids)
    .where((eb) => (movedTo === null ? eb('parent_id', 'is', null) : eb('parent_id', '=', movedTo)))
    .execute();
}

/** "In reply to" links the deletion cleared (ON DELETE SET NULL) come back. */
export async function reattachAnswers(db: Executor, ids: number[], commentId: number): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('comments').set({ reply_to_id: commentId }).where('id', 'in', ids).where('reply_to_id', 'is', null).execute();
}

export type LogRow = Awaited<ReturnType<typeof logRowsOfAction>>[number];

/** Moves a comment only if it still has the status the caller saw; false when it moved meanwhile. */
export async function setCommentStatusIf(db: Executor, id: number, from: CommentStatus, to: CommentStatus, at: string): Promise<boolean> {
  const result = await db.updateTable('comments').set({ status: to, updated_at: at }).where('id', '=', id).where('status', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// ---- Dry run of moderation rules ---------------------------------------------------------

/** The newest comments with their post, for a dry run of the rules. */
export const recentCommentsForRules = (db: Executor, limit: number) =>
  db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select([
      'comments.id',
      'comments.post_id',
      'comments.author_name',
      'comments.author_email',
      'comments.author_url',
      'comments.body_md',
      'comments.body_html',
      'comments.is_staff',
      'comments.status',
      'comments.reasons',
      'comments.created_at',
      'posts.title as post_title',
      'posts.slug as post_slug',
    ])
    .orderBy('comments.id', 'desc')
    .limit(limit)
    .execute();

/** Each email's first approved comment, so "approved before this one" needs no query per comment. */
export async function firstApprovedIds(db: Executor, emails: string[]): Promise<Map<string, number>> {
  if (emails.length === 0) return new Map();
  const rows = await db
    .selectFrom('comments')
    .select(['author_email', (eb) => eb.fn.min('id').as('first')])
    .where('author_email', 'in', [...new Set(emails)])
    .where('status', '=', 'approved')
    .groupBy('author_email')
    .execute();
  return new Map(rows.map((r) => [r.author_email, Number(r.first)]));
}
