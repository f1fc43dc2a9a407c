import type { Kysely } from 'kysely';
import type { CommentStatus, Database, Role } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import {
  adjustApprovedCount,
  deleteCommentRow,
  findComment,
  insertModerationLog,
  reparentChildren,
  setCommentStatus,
} from '../data/comments.js';
import { invalid, notFound } from '../errors.js';
import { notifyCommentsApproved } from './notifications.js';

export const COMMENT_STATUSES: readonly CommentStatus[] = ['approved', 'pending', 'rejected', 'spam'];

export interface Moderator {
  id: number;
  role: Role;
  display_name: string;
}

/**
 * Every moderation move goes through here: the status, the post's approved count and the
 * audit log change together, in one transaction, so the count can never drift.
 */
async function moveOne(trx: Executor, actor: Moderator, id: number, to: CommentStatus | 'deleted', at: string): Promise<boolean> {
  const comment = await findComment(trx, id);
  if (!comment) throw notFound('Comment');
  if (comment.status === to) return false;
  const wasApproved = comment.status === 'approved';
  if (to === 'deleted') {
    await reparentChildren(trx, comment.id, comment.parent_id);
    await deleteCommentRow(trx, comment.id);
  } else {
    await setCommentStatus(trx, comment.id, to, at);
  }
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
  });
  return true;
}

function checkStatus(status: string): CommentStatus {
  if (!COMMENT_STATUSES.includes(status as CommentStatus)) {
    throw invalid({ status: `Choose one of ${COMMENT_STATUSES.join(', ')}` });
  }
  return status as CommentStatus;
}

export async function setStatus(db: Kysely<Database>, actor: Moderator, id: number, status: string, now = new Date()): Promise<void> {
  const to = checkStatus(status);
  const moved = await db.transaction().execute((trx) => moveOne(trx, actor, id, to, now.toISOString()));
  if (moved && to === 'approved') await notifyCommentsApproved(db, [id], now);
}

export async function deleteComment(db: Kysely<Database>, actor: Moderator, id: number, now = new Date()): Promise<void> {
  await db.transaction().execute((trx) => moveOne(trx, actor, id, 'deleted', now.toISOString()));
}

export const BULK_LIMIT = 500;

/** Moves many at once, all or nothing; unknown ids are skipped and reported. */
export async function bulkSetStatus(
  db: Kysely<Database>,
  actor: Moderator,
  ids: number[],
  status: string,
  now = new Date(),
): Promise<{ changed: number; missing: number[] }> {
  const to = status === 'deleted' ? 'deleted' : checkStatus(status);
  const unique = [...new Set(ids)];
  if (unique.length === 0) throw invalid({ ids: 'Choose at least one comment' });
  if (unique.length > BULK_LIMIT) throw invalid({ ids: `Choose at most ${BULK_LIMIT} at a time` });
  const moved: number[] = [];
  const result = await db.transaction().execute(async (trx) => {
    let changed = 0;
    const missing: number[] = [];
    for (const id of unique) {
      if (!(await findComment(trx, id))) {
        missing.push(id);
        continue;
      }
      if (await moveOne(trx, actor, id, to, now.toISOString())) {
        changed += 1;
        moved.push(id);
      }
    }
    return { changed, missing };
  });
  if (to === 'approved') await notifyCommentsApproved(db, moved, now);
  return result;
}
