import type { Executor } from '../data/executor.js';
import type { CommentClaim } from '../db/schema.js';
import { findComment } from '../data/comments.js';
import { deleteClaim, extendClaim, findClaim, liveClaims, upsertClaim } from '../data/workspace.js';
import { conflict, notFound } from '../errors.js';

/**
 * Claims on queue items (issue 11): a moderator says "I am on this one", so two staff do not
 * handle the same comment. A claim lasts CLAIM_MINUTES from the holder's last activity on it
 * (claiming again, writing a note); acting on the comment releases it. Everything is decided
 * by conditional writes in the database, never in one process's memory, so it holds across
 * instances.
 */
export const CLAIM_MINUTES = 15;

export interface Claimant {
  id: number;
  display_name: string;
}

const expiry = (now: Date) => new Date(now.getTime() + CLAIM_MINUTES * 60_000).toISOString();

export const isLive = (claim: Pick<CommentClaim, 'expires_at'>, now: Date) => claim.expires_at > now.toISOString();

/** "Ann is working on this comment": the 409 another moderator gets. */
export function claimedConflict(claim: CommentClaim, commentId: number) {
  return conflict(
    `Claimed by ${claim.user_name}, who is working on comment #${commentId}. Take it over first if you must act on it.`,
    { claim: `Claimed by ${claim.user_name}` },
  );
}

/** Claims a comment, or refreshes one's own claim; another's live claim is a 409 unless taken over. */
export async function claimComment(db: Executor, user: Claimant, commentId: number, options: { takeOver?: boolean } = {}, now = new Date()): Promise<CommentClaim> {
  if (!(await findComment(db, commentId))) throw notFound('Comment');
  const claim = await upsertClaim(
    db,
    { comment_id: commentId, user_id: user.id, user_name: user.display_name, claimed_at: now.toISOString(), expires_at: expiry(now) },
    options.takeOver === true,
  );
  if (!claim) throw notFound('Comment'); // deleted in between
  if (claim.user_id !== user.id) throw claimedConflict(claim, commentId);
  return claim;
}

/** Lets go of one's own claim. Releasing nothing is fine; another's live claim is a 409. */
export async function releaseClaim(db: Executor, user: Claimant, commentId: number, now = new Date()): Promise<void> {
  if (!(await findComment(db, commentId))) throw notFound('Comment');
  if ((await deleteClaim(db, commentId, user.id)) > 0) return;
  const claim = await findClaim(db, commentId);
  if (claim && isLive(claim, now)) throw claimedConflict(claim, commentId);
}

/**
 * Before a moderation move: refuses when someone else holds a live claim on the comment.
 * Called by services/moderation.ts inside its transaction.
 */
export async function assertFreeFor(db: Executor, actorId: number, commentId: number, now: Date): Promise<void> {
  const claim = await findClaim(db, commentId);
  if (claim && claim.user_id !== actorId && isLive(claim, now)) throw claimedConflict(claim, commentId);
}

/** After a move the item is handled: whoever held it, the claim ends. */
export const endClaim = (db: Executor, commentId: number) => deleteClaim(db, commentId);

/** Activity on an item (a note) keeps the actor's own claim running. */
export const touchClaim = (db: Executor, userId: number, commentId: number, now = new Date()) => extendClaim(db, commentId, userId, now.toISOString(), expiry(now));

/** The live claims on a page of the queue, by comment id. */
export async function claimsOn(db: Executor, commentIds: number[], now = new Date()): Promise<Map<number, CommentClaim>> {
  const rows = await liveClaims(db, commentIds, now.toISOString());
  return new Map(rows.map((c) => [c.comment_id, c]));
}
