import type { ExpressionBuilder } from 'kysely';
import type { Executor } from './executor.js';
import type { Database } from '../db/schema.js';
import { isVisible } from './posts.js';

/** Question posts (migration 0080): the pinned answer and the "awaiting a staff reply" list. */

export async function setAnswerComment(db: Executor, postId: number, commentId: number | null, at: string): Promise<void> {
  await db.updateTable('posts').set({ answer_comment_id: commentId, updated_at: at }).where('id', '=', postId).execute();
}

/** A live question post that no approved staff comment answers yet. */
function awaiting(now: string, authorId: number | undefined) {
  return (eb: ExpressionBuilder<Database, 'posts'>) =>
    eb.and([
      eb('posts.kind', '=', 'post'),
      eb('posts.is_question', '=', 1),
      isVisible(now)(eb),
      ...(authorId === undefined ? [] : [eb('posts.author_id', '=', authorId)]),
      eb.not(
        eb.exists(
          eb
            .selectFrom('comments')
            .select('comments.id')
            .whereRef('comments.post_id', '=', 'posts.id')
            .where('comments.status', '=', 'approved')
            .where('comments.is_staff', '=', 1),
        ),
      ),
    ]);
}

export async function countAwaitingStaffReply(db: Executor, now: string, authorId?: number): Promise<number> {
  const row = await db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).where(awaiting(now, authorId)).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** One page of them, oldest question first: the longest wait comes first. */
export async function listAwaitingStaffReply(db: Executor, opts: { now: string; authorId?: number; page: number; perPage: number }) {
  const ids = await db
    .selectFrom('posts')
    .select('posts.id')
    .where(awaiting(opts.now, opts.authorId))
    .orderBy('posts.published_at', 'asc')
    .orderBy('posts.id', 'asc')
    .limit(opts.perPage)
    .offset((opts.page - 1) * opts.perPage)
    .execute();
  return { ids: ids.map((r) => r.id), total: await countAwaitingStaffReply(db, opts.now, opts.authorId) };
}
