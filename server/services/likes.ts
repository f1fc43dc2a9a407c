import type { Executor } from '../data/executor.js';
import {
  countLikes,
  countLikesFromAddress,
  deleteLike,
  hasLiked,
  insertLike,
  likeCountsOfPost,
  likedOnPost,
  type LikeTarget,
} from '../data/likes.js';
import { AppError } from '../errors.js';
import { checkReactionRate, findLikeablePost, findPublicComment, type Reader } from './reactions.js';

/**
 * Likes of posts and approved comments (issue 11): once per browser, no account.
 *
 * "Once per browser" is a random id in a long-lived cookie, kept only as a keyed hash with a
 * unique index per target. A script can drop the cookie and look like a new browser each
 * time, so the client address (a keyed hash too) is held to two limits: LIKE_LIMITS.perMinute
 * likes and unlikes a minute across the site, and LIKE_LIMITS.perAddressPerTarget likes of
 * one post or comment. A branch library's public computers share one address, hence room for
 * several readers there. docs/api-reactions.md says the same for people who run a site.
 */
export const LIKE_LIMITS = { perMinute: 30, perAddressPerTarget: 10 };

export interface LikeState {
  count: number;
  /** Whether this browser likes it now. */
  liked: boolean;
  /** True when this request changed something (a new like, or a like taken back). */
  changed: boolean;
}

export type LikeSubject = { kind: 'post'; slug: string } | { kind: 'comment'; id: number };

/** What the like is of, and the post page to go back to; 404 for anything not public. */
export async function resolveLikeTarget(db: Executor, subject: LikeSubject, now = new Date()): Promise<{ target: LikeTarget; postSlug: string }> {
  if (subject.kind === 'post') {
    const post = await findLikeablePost(db, subject.slug, now);
    return { target: { postId: post.id, commentId: null }, postSlug: post.slug };
  }
  const { comment, post } = await findPublicComment(db, subject.id, now);
  return { target: { postId: post.id, commentId: comment.id }, postSlug: post.slug };
}

export async function like(db: Executor, target: LikeTarget, reader: Reader, now = new Date()): Promise<LikeState> {
  await checkReactionRate(db, 'like', reader.ipHash, LIKE_LIMITS.perMinute, now);
  const cap = LIKE_LIMITS.perAddressPerTarget;
  if ((await countLikesFromAddress(db, target, reader.ipHash, cap)) >= cap && !(await hasLiked(db, target, reader.readerHash))) {
    throw new AppError(429, 'rate_limited', 'This has as many likes from your network as one network may give.');
  }
  const changed = await insertLike(db, target, { readerHash: reader.readerHash, ipHash: reader.ipHash, at: now.toISOString() });
  return { count: await countLikes(db, target), liked: true, changed };
}

export async function unlike(db: Executor, target: LikeTarget, reader: Reader, now = new Date()): Promise<LikeState> {
  await checkReactionRate(db, 'like', reader.ipHash, LIKE_LIMITS.perMinute, now);
  const changed = await deleteLike(db, target, reader.readerHash);
  return { count: await countLikes(db, target), liked: false, changed };
}

export interface LikeView {
  count: number;
  /** Known only on a page rendered for this reader alone (never a cached one). */
  liked: boolean;
}

export interface PostLikesView {
  post: LikeView;
  comment: (id: number) => LikeView;
}

/**
 * The counts a post page shows, in one query; what this browser liked only when asked for
 * (a page only this reader sees: the page cache never stores it).
 */
export async function likesForPostPage(db: Executor, postId: number, readerHash: string | null): Promise<PostLikesView> {
  const counts = await likeCountsOfPost(db, postId);
  const mine = readerHash ? await likedOnPost(db, postId, readerHash) : { post: false, comments: new Set<number>() };
  return {
    post: { count: counts.post, liked: mine.post },
    comment: (id) => ({ count: counts.comments.get(id) ?? 0, liked: mine.comments.has(id) }),
  };
}

/** "1 person likes this", "3 people like this"; nothing for none. */
export function likeCountText(count: number): string {
  if (count <= 0) return '';
  return count === 1 ? '1 person likes this' : `${count.toLocaleString('en')} people like this`;
}
