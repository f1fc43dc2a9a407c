import type { Executor } from '../data/executor.js';
import { findComment } from '../data/comments.js';
import { findPostById, findPostWithAuthorBySlug } from '../data/posts.js';
import { categoryModesOfPost } from '../data/discussion.js';
import { hitReactionLimit, purgeReactionLimitsBefore } from '../data/reaction-limits.js';
import { purgeLikeAddressesBefore } from '../data/likes.js';
import { purgeReportAddressesBefore } from '../data/reports.js';
import type { Comment, Post } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { isPubliclyVisible } from './posts.js';
import { configuredMode, strictestMode } from './discussion.js';

/**
 * What likes and reports share (services/likes.ts, services/reports.ts): who the reader is,
 * what they may react to, and the per-address rate limit.
 */

/** A reader, as the server knows them: keyed hashes only (never the cookie value or the address). */
export interface Reader {
  /** Keyed hash of the random id in the browser's lectern_reader cookie. */
  readerHash: string;
  /** Keyed hash of the client address. */
  ipHash: string;
}

/** A published post (not a page), or 404. */
export async function findLikeablePost(db: Executor, slug: string, now: Date): Promise<Pick<Post, 'id' | 'slug'>> {
  const post = await findPostWithAuthorBySlug(db, slug);
  if (!post || post.kind !== 'post' || !isPubliclyVisible(post, now)) throw notFound('Post');
  return post;
}

/**
 * An approved comment that the public can see: on a published post whose thread is not
 * hidden. Anything else is 404, held comments included (their existence is not public).
 */
export async function findPublicComment(db: Executor, id: number, now: Date): Promise<{ comment: Comment; post: Post }> {
  const comment = await findComment(db, id);
  if (!comment || comment.status !== 'approved') throw notFound('Comment');
  const post = await findPostById(db, comment.post_id);
  if (!post || post.kind !== 'post' || !isPubliclyVisible(post, now)) throw notFound('Comment');
  if (configuredMode(post.discussion_mode, strictestMode(await categoryModesOfPost(db, post.id))) === 'hidden') throw notFound('Comment');
  return { comment, post };
}

/** Fixed one-minute windows, shared by every instance through the database. */
export const REACTION_WINDOW_MS = 60_000;

/** Counts one action from this address and refuses (429) past `perMinute`. */
export async function checkReactionRate(db: Executor, kind: 'like' | 'report', ipHash: string, perMinute: number, now: Date): Promise<void> {
  const hits = await hitReactionLimit(db, `${kind}:${ipHash}`, now, REACTION_WINDOW_MS);
  if (hits > perMinute) {
    const what = kind === 'like' ? 'liking' : 'reporting';
    throw new AppError(429, 'rate_limited', `Too much ${what} from your network in the last minute. Wait a minute and try again.`);
  }
}

/**
 * The privacy retention for likes and reports (called with the comments' purge, services/
 * privacy.ts): their address hashes go after the same number of days, and rate-limit windows
 * an hour after they ended. Answers how many address hashes were forgotten.
 */
export async function purgeReactionAddresses(db: Executor, cutoffIso: string, now: Date): Promise<number> {
  const likes = await purgeLikeAddressesBefore(db, cutoffIso);
  const reports = await purgeReportAddressesBefore(db, cutoffIso);
  await purgeReactionLimitsBefore(db, new Date(now.getTime() - 3_600_000).toISOString());
  return likes + reports;
}
