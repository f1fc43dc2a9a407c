import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Comment, CommentNote, CommentStatus, Database, Role } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import {
  adjustApprovedCount,
  deleteCommentRow,
  findComment,
  holdIfApproved,
  insertComment,
  insertModerationLog,
  reparentChildren,
  setCommentStatus,
} from '../data/comments.js';
import { setCommentReasons, updateUnrepliedCommentText } from '../data/own-comments.js';
import { findPostById } from '../data/posts.js';
import { markReportsReviewed } from '../data/reports.js';
import {
  actionWasUndone,
  deleteSnapshotsOf,
  deleteSnapshotsOfAction,
  dependentsOf,
  findSnapshot,
  insertSnapshot,
  lastLogRowOf,
  latestLogRows,
  logRowsOfAction,
  notesOf,
  reattachAnswers,
  reattachChildren,
  restoreNotes,
  setCommentStatusIf,
  type LogRow,
} from '../data/workspace.js';
import { conflict, invalid, notFound } from '../errors.js';
import { assertFreeFor, endClaim } from './claims.js';
import { notifyCommentsApproved } from './notifications.js';

export const COMMENT_STATUSES: readonly CommentStatus[] = ['approved', 'pending', 'rejected', 'spam'];

export interface Moderator {
  id: number;
  role: Role;
  display_name: string;
}

/** Who the audit log names: a moderator, or a commenter acting on their own comment (no user id). */
export interface AuditActor {
  id: number | null;
  display_name: string;
}

/**
 * Every moderation move goes through here: the status, the post's approved count and the
 * audit log change together, in one transaction, so the count can never drift.
 */
async function moveOne(trx: Executor, actor: AuditActor, id: number, to: CommentStatus | 'deleted', at: string, ctx: MoveContext = {}): Promise<boolean> {
  const comment = await findComment(trx, id);
  if (!comment) throw notFound('Comment');
  if (comment.status === to) return false;
  // Another moderator's claim stops a moderator (services/claims.ts); a commenter's own move does not.
  if (actor.id !== null && !ctx.overrideClaims) await assertFreeFor(trx, actor.id, comment.id, new Date(at));
  const wasApproved = comment.status === 'approved';
  if (to === 'deleted') {
    if (ctx.actionId) await keepSnapshot(trx, actor, comment, ctx.actionId, at);
    await reparentChildren(trx, comment.id, comment.parent_id);
    await deleteCommentRow(trx, comment.id);
  } else {
    await setCommentStatus(trx, comment.id, to, at);
    await endClaim(trx, comment.id);
  }
  // A moderator's approval answers the readers' reports (a commenter's own edit does not).
  if (to === 'approved' && actor.id !== null) await markReportsReviewed(trx, comment.id, at);
  const delta = (to === 'approved' ? 1 : 0) - (wasApproved ? 1 : 0);
  await adjustApprovedCount(trx, comment.post_id, delta);
  await insertModerationLog(trx, {
    comment_id: comment.id,
    post_id: comment.post_id,
    actor_id: actor.id,
    actor_name: actor.display_name,
    from_status: comment.status,
    to_status: to,
    created_at: at,
    action_id: ctx.actionId ?? null,
  });
  return true;
}

/** One moderator action: its id groups its log rows, so it can be undone as one. */
interface MoveContext {
  actionId?: string;
  /** Hiding a blocked commenter's comments does not wait for claims. */
  overrideClaims?: boolean;
}

/** What undoing a deletion needs: the row, the replies moved up, the links cleared, the notes. */
interface Snapshot {
  comment: Comment;
  children: number[];
  answers: number[];
  notes: CommentNote[];
}

async function keepSnapshot(trx: Executor, actor: AuditActor, comment: Comment, actionId: string, at: string): Promise<void> {
  const { children, answers } = await dependentsOf(trx, comment.id);
  const data: Snapshot = { comment, children, answers, notes: await notesOf(trx, [comment.id]) };
  await insertSnapshot(trx, { action_id: actionId, actor_id: actor.id, comment_id: comment.id, email: comment.author_email, data: JSON.stringify(data), created_at: at });
}

function checkStatus(status: string): CommentStatus {
  if (!COMMENT_STATUSES.includes(status as CommentStatus)) {
    throw invalid({ status: `Choose one of ${COMMENT_STATUSES.join(', ')}` });
  }
  return status as CommentStatus;
}

/**
 * A moderator action over one or more comments, all or nothing. Answers its action id (null
 * when nothing moved), which the queue offers to undo.
 */
async function runAction(
  db: Kysely<Database>,
  actor: Moderator,
  ids: number[],
  to: CommentStatus | 'deleted',
  now: Date,
  options: { overrideClaims?: boolean } = {},
): Promise<{ actionId: string | null; moved: number[]; missing: number[] }> {
  const at = now.toISOString();
  const ctx: MoveContext = { actionId: randomUUID(), overrideClaims: options.overrideClaims };
  const result = await db.transaction().execute(async (trx) => {
    const moved: number[] = [];
    const missing: number[] = [];
    for (const id of ids) {
      if (!(await findComment(trx, id))) {
        missing.push(id);
        continue;
      }
      if (await moveOne(trx, actor, id, to, at, ctx)) moved.push(id);
    }
    // Only a moderator's last action can be undone: the copies kept for older ones go.
    if (moved.length) await deleteSnapshotsOf(trx, actor.id, ctx.actionId!);
    return { moved, missing };
  });
  if (to === 'approved' && result.moved.length) await notifyCommentsApproved(db, result.moved, now);
  return { actionId: result.moved.length ? ctx.actionId! : null, ...result };
}

/** Answers the action id, or null when the comment already had that status. */
export async function setStatus(db: Kysely<Database>, actor: Moderator, id: number, status: string, now = new Date()): Promise<string | null> {
  const to = checkStatus(status);
  const { actionId, missing } = await runAction(db, actor, [id], to, now);
  if (missing.length) throw notFound('Comment');
  return actionId;
}

export async function deleteComment(db: Kysely<Database>, actor: Moderator, id: number, now = new Date()): Promise<string | null> {
  const { actionId, missing } = await runAction(db, actor, [id], 'deleted', now);
  if (missing.length) throw notFound('Comment');
  return actionId;
}

export const BULK_LIMIT = 500;

/** Moves many at once, all or nothing; unknown ids are skipped and reported. */
export async function bulkSetStatus(
  db: Kysely<Database>,
  actor: Moderator,
  ids: number[],
  status: string,
  now = new Date(),
): Promise<{ changed: number; missing: number[]; actionId: string | null }> {
  const to = status === 'deleted' ? 'deleted' : checkStatus(status);
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw invalid({ ids: 'Choose at least one comment' });
  if (unique.length > BULK_LIMIT) throw invalid({ ids: `Choose at most ${BULK_LIMIT} at a time` });
  const { actionId, moved, missing } = await runAction(db, actor, unique, to, now);
  return { changed: moved.length, missing, actionId };
}

/** A blocked commenter's comments go to spam as one action (services/blocks.ts), claims or not. */
export async function hideComments(db: Kysely<Database>, actor: Moderator, ids: number[], now = new Date()): Promise<{ changed: number; actionId: string | null }> {
  const { actionId, moved } = await runAction(db, actor, [...new Set(ids)], 'spam', now, { overrideClaims: true });
  return { changed: moved.length, actionId };
}

/**
 * A commenter's own edit (services/own-comments.ts): the new text and the status the rules now
 * give it change together. The text is written only while nobody has replied (checked in the
 * same statement, so a reply arriving meanwhile wins); false when a reply got there first.
 */
export async function applyCommenterEdit(
  db: Kysely<Database>,
  commenterName: string,
  id: number,
  edit: { body_md: string; body_html: string; to: CommentStatus; reasons: string[] | null },
  now = new Date(),
): Promise<boolean> {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    if (!(await updateUnrepliedCommentText(trx, id, { body_md: edit.body_md, body_html: edit.body_html, edited_at: at, updated_at: at }))) return false;
    await moveOne(trx, { id: null, display_name: commenterName }, id, edit.to, at);
    if (edit.reasons) await setCommentReasons(trx, id, edit.reasons);
    return true;
  });
}

/** A commenter deleting their own comment: audited under their name, with no user id. */
export async function deleteByCommenter(db: Kysely<Database>, commenterName: string, id: number, now = new Date()): Promise<void> {
  await db.transaction().execute((trx) => moveOne(trx, { id: null, display_name: commenterName }, id, 'deleted', now.toISOString()));
}

// ---- Readers' reports ------------------------------------------------------------------

/** The audit log's name for a move the readers' reports made (no user id). */
export const REPORTS_ACTOR = 'Reader reports';
const REPORTED_REASON = /^reported by \d+ readers?$/;

/**
 * Readers' reports reached report_threshold (services/reports.ts): the approved comment goes
 * back to the queue with why ("reported by 3 readers"), in the caller's transaction. False
 * when it was no longer approved (a moderator or another report got there first).
 */
export async function holdForReports(trx: Executor, id: number, reporters: number, at: string): Promise<boolean> {
  const comment = await findComment(trx, id);
  if (!comment || comment.status !== 'approved') return false;
  const reason = `reported by ${reporters} ${reporters === 1 ? 'reader' : 'readers'}`;
  const reasons = [...(JSON.parse(comment.reasons) as string[]).filter((r) => !REPORTED_REASON.test(r)), reason];
  if (!(await holdIfApproved(trx, id, JSON.stringify(reasons), at))) return false;
  await adjustApprovedCount(trx, comment.post_id, -1);
  await insertModerationLog(trx, {
    comment_id: comment.id,
    post_id: comment.post_id,
    actor_id: null,
    actor_name: REPORTS_ACTOR,
    from_status: 'approved',
    to_status: 'pending',
    created_at: at,
  });
  return true;
}

// ---- Undo ------------------------------------------------------------------------------

export interface UndoResult {
  /** The undo's own action id. */
  actionId: string;
  /** The action undone. */
  undid: string;
  /** Each comment and the status it is back in. */
  comments: { id: number; status: CommentStatus }[];
}

const movedSince = (id: number, by?: string) =>
  conflict(`Comment #${id} has been moved again since${by ? ` (by ${by})` : ''}, so this action can no longer be undone`);

/** SQLite and PostgreSQL name a unique-index violation differently. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505';
}

/**
 * Undoes a moderator's own last action (all its comments, as one): each comment goes back to
 * the status it had, and the undo is audited with undo_of naming the action. Refused (409)
 * when it is someone else's action, already undone, not their last one any more, or when a
 * comment has been moved since. A deleted comment comes back from the copy kept when it was
 * deleted: same id, place in the thread and internal notes.
 */
export async function undoAction(db: Kysely<Database>, actor: Moderator, requested?: string, now = new Date()): Promise<UndoResult> {
  const undoId = randomUUID();
  try {
    return await db.transaction().execute(async (trx) => {
      const last = await lastLogRowOf(trx, actor.id);
      const actionId = requested ?? last?.action_id;
      if (!actionId) throw conflict(last ? 'Your last action was made before undo existed, so it cannot be undone' : 'You have no moderation action to undo');
      const rows = await logRowsOfAction(trx, actionId);
      const first = rows[0];
      if (!first) throw notFound('Action');
      if (first.actor_id !== actor.id) throw conflict(`That action was ${first.actor_name}'s: only they can undo it`);
      if (first.undo_of !== null) throw conflict('That was itself an undo: an undo cannot be undone');
      if (await actionWasUndone(trx, actionId)) throw conflict('That action was already undone');
      if (last?.action_id !== actionId) throw conflict('Only your last action can be undone, and you have acted since');
      const latest = await latestLogRows(trx, rows.map((r) => r.comment_id));
      for (const row of rows) {
        const newest = latest.get(row.comment_id);
        if (newest && newest.id !== row.id) throw movedSince(row.comment_id, newest.actor_name);
      }
      // Last move first, as a stack unwinds: a reply deleted after its parent comes back
      // before the parent, which then takes it under its wing again.
      const back = new Map<number, CommentStatus>();
      for (const row of [...rows].reverse()) back.set(row.comment_id, await undoOne(trx, actor, row, undoId, now));
      await deleteSnapshotsOfAction(trx, actionId);
      return { actionId: undoId, undid: actionId, comments: rows.map((r) => ({ id: r.comment_id, status: back.get(r.comment_id)! })) };
    });
  } catch (err) {
    // Two undos of one action at the same moment: the index on (undo_of, comment_id) lets one through.
    if (isUniqueViolation(err)) throw conflict('That action was already undone');
    throw err;
  }
}

async function undoOne(trx: Executor, actor: Moderator, row: LogRow, undoId: string, now: Date): Promise<CommentStatus> {
  const at = now.toISOString();
  const back = row.from_status as CommentStatus;
  const id = row.comment_id;
  let postId = row.post_id;
  if (row.to_status === 'deleted') {
    if (await findComment(trx, id)) throw movedSince(id);
    const snapshot = await findSnapshot(trx, row.action_id!, id);
    if (!snapshot) throw conflict(`Comment #${id} cannot be brought back: no copy of it was kept`);
    const data = JSON.parse(snapshot.data) as Snapshot;
    if (!(await findPostById(trx, data.comment.post_id))) throw conflict(`Comment #${id} cannot be brought back: its post was deleted`);
    if (data.comment.parent_id !== null && !(await findComment(trx, data.comment.parent_id))) {
      throw conflict(`Comment #${id} cannot be brought back: the comment it replied to was deleted`);
    }
    await insertComment(trx, { ...data.comment, status: back, updated_at: at });
    await reattachChildren(trx, data.children, id, data.comment.parent_id);
    await reattachAnswers(trx, data.answers, id);
    await restoreNotes(trx, data.notes);
    postId = data.comment.post_id;
    if (back === 'approved') await adjustApprovedCount(trx, postId, 1);
  } else {
    await assertFreeFor(trx, actor.id, id, now);
    // Conditional: a move by someone else between the checks and here is not overwritten.
    const comment = await findComment(trx, id);
    if (!comment || !(await setCommentStatusIf(trx, id, row.to_status as CommentStatus, back, at))) throw movedSince(id);
    postId = comment.post_id;
    await adjustApprovedCount(trx, postId, (back === 'approved' ? 1 : 0) - (row.to_status === 'approved' ? 1 : 0));
    await endClaim(trx, id);
  }
  await insertModerationLog(trx, {
    comment_id: id,
    post_id: postId,
    actor_id: actor.id,
    actor_name: actor.display_name,
    from_status: row.to_status,
    to_status: back,
    created_at: at,
    action_id: undoId,
    undo_of: row.action_id,
  });
  return back;
}
