import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Executor } from './executor.js';

/** What is liked: a post itself, or one of its comments. */
export interface LikeTarget {
  postId: number;
  commentId: number | null;
}

/** The rows of one target; comment_id IS NULL marks the post's own likes. */
const onTarget = (target: LikeTarget) => (eb: ExpressionBuilder<Database, 'likes'>) =>
  target.commentId === null ? eb.and([eb('post_id', '=', target.postId), eb('comment_id', 'is', null)]) : eb('comment_id', '=', target.commentId);

/**
 * Stores one like; a second from the same browser is no row (the partial unique indexes of
 * migration 0085 decide, so two requests at the same moment cannot both count).
 */
export async function insertLike(
  db: Executor,
  target: LikeTarget,
  row: { readerHash: string; ipHash: string | null; at: string },
): Promise<boolean> {
  const result = await db
    .insertInto('likes')
    .values({ post_id: target.postId, comment_id: target.commentId, reader_hash: row.readerHash, ip_hash: row.ipHash, created_at: row.at })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function deleteLike(db: Executor, target: LikeTarget, readerHash: string): Promise<boolean> {
  const result = await db.deleteFrom('likes').where(onTarget(target)).where('reader_hash', '=', readerHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countLikes(db: Executor, target: LikeTarget): Promise<number> {
  const row = await db.selectFrom('likes').select((eb) => eb.fn.countAll<number>().as('n')).where(onTarget(target)).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function hasLiked(db: Executor, target: LikeTarget, readerHash: string): Promise<boolean> {
  return (await db.selectFrom('likes').select('id').where(onTarget(target)).where('reader_hash', '=', readerHash).executeTakeFirst()) !== undefined;
}

/** Likes of one target from one client address (the per-address cap). */
export async function countLikesFromAddress(db: Executor, target: LikeTarget, ipHash: string, upTo: number): Promise<number> {
  const matching = db.selectFrom('likes').select('id').where(onTarget(target)).where('ip_hash', '=', ipHash).limit(upTo);
  const row = await db
    .selectFrom(matching.as('m'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface PostLikeCounts {
  post: number;
  /** By comment id; a comment nobody liked is absent. */
  comments: Map<number, number>;
}

/** Every count a post page shows (the post's and each comment's), in one grouped query. */
export async function likeCountsOfPost(db: Executor, postId: number): Promise<PostLikeCounts> {
  const rows = await db
    .selectFrom('likes')
    .select(['comment_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('post_id', '=', postId)
    .groupBy('comment_id')
    .execute();
  const out: PostLikeCounts = { post: 0, comments: new Map() };
  for (const r of rows) {
    if (r.comment_id === null) out.post = Number(r.n);
    else out.comments.set(r.comment_id, Number(r.n));
  }
  return out;
}

/** What one browser liked on a post page: "post" and comment ids. */
export async function likedOnPost(db: Executor, postId: number, readerHash: string): Promise<{ post: boolean; comments: Set<number> }> {
  const rows = await db.selectFrom('likes').select('comment_id').where('post_id', '=', postId).where('reader_hash', '=', readerHash).execute();
  return { post: rows.some((r) => r.comment_id === null), comments: new Set(rows.flatMap((r) => (r.comment_id === null ? [] : [r.comment_id]))) };
}

/** Forgets the address hashes of likes older than the cutoff (the privacy retention). */
export async function purgeLikeAddressesBefore(db: Executor, cutoffIso: string): Promise<number> {
  const result = await db.updateTable('likes').set({ ip_hash: null }).where('ip_hash', 'is not', null).where('created_at', '<', cutoffIso).executeTakeFirst();
  return Number(result.numUpdatedRows);
}
