import type { Kysely } from 'kysely';
import type { CommenterBlock, Database } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { findComment } from '../data/comments.js';
import { findUsersByEmail } from '../data/users.js';
import { countBlocks, deleteBlock, findBlock, findBlockFor, insertBlock, listBlocks, matchesBlock, visibleCommentIdsBy } from '../data/blocks.js';
import { conflict, invalid, notFound } from '../errors.js';
import { hideComments, type Moderator } from './moderation.js';
import { isStaff } from './permissions.js';
import { isEmail } from './users.js';

/**
 * Blocking commenters (issue 11). A block names an email and, unless told not to, the keyed
 * hash of the IP the comment came from (never the address). A new comment from either is
 * stored as spam with the reason below and answered exactly like a held comment, so the
 * commenter learns nothing (services/comments.ts). "Hide everything" moves what they posted
 * to spam through services/moderation.ts: counts and the audit log stay right, and it can be
 * undone like any action.
 */
export const BLOCKED_REASON = 'blocked commenter';
export const BLOCK_NOTE_MAX = 500;

export interface BlockInput {
  /** Block the author of this comment (its email and IP hash). */
  comment_id?: unknown;
  /** Or an address typed in. */
  email?: unknown;
  note?: unknown;
  /** Also move their approved and pending comments to spam. */
  hide_all?: boolean;
  /** Also block the IP hash the comment came from (default yes). */
  block_ip?: boolean;
}

export interface BlockResult {
  block: CommenterBlock;
  /** False when the address was already blocked: that block is answered. */
  created: boolean;
  hidden: number;
  /** The hiding, as a moderation action the queue can undo. */
  actionId: string | null;
}

async function refuseStaff(db: Executor, email: string): Promise<void> {
  const staff = (await findUsersByEmail(db, email)).find((u) => isStaff(u.role));
  if (staff) throw conflict(`${email} belongs to the staff account "${staff.username}": change or disable that account in Users instead`, { email: 'This is a staff address' });
}

export async function blockCommenter(db: Kysely<Database>, actor: Moderator, input: BlockInput, now = new Date()): Promise<BlockResult> {
  const note = (typeof input.note === 'string' ? input.note : '').trim();
  const errors: Record<string, string> = {};
  if (note.length > BLOCK_NOTE_MAX) errors.note = `Keep the note under ${BLOCK_NOTE_MAX} characters`;
  let email: string | null = null;
  let ipHash: string | null = null;
  let commentId: number | null = null;
  if (input.comment_id !== undefined && input.comment_id !== null && input.comment_id !== '') {
    const id = Number(input.comment_id);
    const comment = Number.isInteger(id) && id > 0 ? await findComment(db, id) : undefined;
    if (!comment) throw invalid({ comment_id: 'There is no such comment' }, 'There is no such comment');
    if (comment.is_staff) throw conflict('That comment is by a staff member: change or disable their account in Users instead', { comment_id: 'A staff comment' });
    commentId = comment.id;
    email = comment.author_email.trim().toLowerCase() || null; // an anonymised comment has none
    ipHash = input.block_ip === false ? null : comment.ip_hash;
    if (!email && !ipHash) throw invalid({ comment_id: 'Nothing identifies who wrote this comment any more (it was anonymised)' });
  } else {
    email = (typeof input.email === 'string' ? input.email : '').trim().toLowerCase();
    if (!email) errors.email = 'Give the email address to block, or block from a comment in the queue';
    else if (!isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  }
  if (Object.keys(errors).length) throw invalid(errors);
  if (email) await refuseStaff(db, email);

  let block = await findBlockFor(db, email, ipHash);
  const created = block === undefined;
  block ??= await insertBlock(db, {
    email,
    ip_hash: ipHash,
    note,
    comment_id: commentId,
    created_by: actor.id,
    created_by_name: actor.display_name,
    created_at: now.toISOString(),
  });
  let hidden = 0;
  let actionId: string | null = null;
  if (input.hide_all === true) {
    const ids = email ? await visibleCommentIdsBy(db, email, ipHash) : [];
    if (ids.length) ({ changed: hidden, actionId } = await hideComments(db, actor, ids, now));
  }
  return { block, created, hidden, actionId };
}

export async function unblock(db: Executor, id: number): Promise<CommenterBlock> {
  const block = await findBlock(db, id);
  if (!block) throw notFound('Block');
  await deleteBlock(db, id);
  return block;
}

export async function blocksPage(db: Executor, page: number, perPage: number) {
  const [rows, total] = await Promise.all([listBlocks(db, perPage, (page - 1) * perPage), countBlocks(db)]);
  return { rows, total, pages: Math.max(1, Math.ceil(total / perPage)) };
}

/** The check on every new comment that is not staff's. */
export const isBlockedCommenter = (db: Executor, email: string, ipHash: string | null) => matchesBlock(db, email.toLowerCase(), ipHash);

/** A block as the staff API shows it: whether the IP is blocked, never its hash. */
export const blockJson = (b: CommenterBlock) => ({
  id: b.id,
  email: b.email,
  ip_blocked: b.ip_hash !== null,
  note: b.note,
  comment_id: b.comment_id,
  created_by: { id: b.created_by, name: b.created_by_name },
  created_at: b.created_at,
});
