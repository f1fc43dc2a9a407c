import { timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Comment, CommentStatus, Database } from '../db/schema.js';
import { countApprovedByEmail, findComment } from '../data/comments.js';
import { findPostById } from '../data/posts.js';
import { categoryModesOfPost } from '../data/discussion.js';
import { commentIdsByUserOnPost, listOwnCandidates, repliedTo } from '../data/own-comments.js';
import { AppError, invalid, notFound } from '../errors.js';
import { renderComment } from '../markup/render.js';
import { judgeComment, type Verdict } from './comment-rules.js';
import { COMMENT_LIMITS, keyedHash } from './comments.js';
import { commentRefusal, effectiveDiscussion, strictestMode } from './discussion.js';
import { applyCommenterEdit, deleteByCommenter } from './moderation.js';
import type { SiteSettings } from './settings.js';

/**
 * A commenter editing or deleting their own comment (issue 11), with or without an account.
 *
 * Ownership, without an account, is a proof the browser keeps:
 * - on the site, the signed cookie `lectern_own` (routes/public/posts.ts) lists the comments
 *   this browser posted; the server's signature makes the list unforgeable;
 * - through the API, the `edit_token` returned when the comment was posted: an HMAC of the
 *   comment's id and time under the site secret, so nothing is stored and it cannot be guessed;
 * - a signed-in person owns the comments made under their account.
 *
 * What is allowed: editing and deleting while `comment_edit_minutes` (a setting; 0 = off) have
 * not passed since posting. An edit is locked once anyone has replied, as the reply may answer
 * the words; deleting stays possible (the replies move up a level, as with a moderator's
 * delete). An edit re-runs the moderation rules: text that would now be held goes back to the
 * queue. Both go through services/moderation.ts, audited under the commenter's name.
 */

export interface OwnershipProof {
  /** The signed-in person, if any. */
  userId: number | null;
  /** Comment ids from the browser's signed `lectern_own` cookie. */
  cookieIds: readonly number[];
  /** An edit token from the API (header X-Comment-Token) or an edit form. */
  token?: string | null;
}

type Owned = Pick<Comment, 'id' | 'created_at' | 'user_id'>;

/** The per-comment token of the API. */
export function editToken(secret: string, comment: Pick<Comment, 'id' | 'created_at'>): string {
  return keyedHash(secret, 'comment-edit', `${comment.id}:${comment.created_at}`);
}

function tokenMatches(secret: string, comment: Pick<Comment, 'id' | 'created_at'>, token: string): boolean {
  const expected = Buffer.from(editToken(secret, comment));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function provesOwnership(comment: Owned, proof: OwnershipProof, secret: string): boolean {
  if (comment.user_id !== null && proof.userId === comment.user_id) return true;
  if (proof.cookieIds.includes(comment.id)) return true;
  return typeof proof.token === 'string' && proof.token !== '' && tokenMatches(secret, comment, proof.token);
}

/** When the window ends, or null when the site lets nobody edit. */
export function editableUntil(createdAt: string, settings: Pick<SiteSettings, 'comment_edit_minutes'>): string | null {
  const minutes = settings.comment_edit_minutes;
  if (!(minutes > 0)) return null;
  return new Date(Date.parse(createdAt) + minutes * 60_000).toISOString();
}

/** Only comments the owner can still see are theirs to change: not spam, not rejected. */
const CHANGEABLE: readonly CommentStatus[] = ['approved', 'pending'];

export interface OwnState {
  canEdit: boolean;
  canDelete: boolean;
  /** ISO time the window closes. */
  until: string;
  /** Whole minutes left, at least 1 while open. */
  minutesLeft: number;
  /** Why editing is not offered while deleting is. */
  editLocked: string | null;
}

/** What the owner may do with one comment now, or null for nothing at all. */
export function ownState(
  comment: Pick<Comment, 'created_at' | 'status'>,
  settings: Pick<SiteSettings, 'comment_edit_minutes'>,
  now: Date,
  replied: boolean,
  discussionOpen: boolean,
): OwnState | null {
  const until = editableUntil(comment.created_at, settings);
  if (!until || !CHANGEABLE.includes(comment.status)) return null;
  const leftMs = Date.parse(until) - now.getTime();
  if (leftMs <= 0) return null;
  const editLocked = replied ? 'Someone has replied, so it can no longer be edited.' : !discussionOpen ? 'Comments are closed here, so it can no longer be edited.' : null;
  return { canEdit: editLocked === null, canDelete: true, until, minutesLeft: Math.max(1, Math.ceil(leftMs / 60_000)), editLocked };
}

const refuse = (message: string) => new AppError(403, 'edit_not_allowed', message);

/** The moderation log's actor for a commenter: their name, marked, as staff names are not. */
const auditName = (comment: Pick<Comment, 'author_name'>) => `${comment.author_name} (commenter)`;

/** The status an edited comment takes: the rules may send it back to the queue, never out of it. */
export function statusAfterEdit(current: CommentStatus, verdict: Verdict): { to: CommentStatus; reasons: string[] | null } {
  if (verdict.status === 'spam') return { to: 'spam', reasons: verdict.reasons };
  if (verdict.status === 'pending') return { to: 'pending', reasons: verdict.reasons };
  // Clean text does not approve a held comment: a moderator still decides.
  return { to: current, reasons: null };
}

export interface OwnComment {
  comment: Comment;
  postSlug: string;
  postTitle: string;
  replied: boolean;
  state: OwnState;
  /** Editing refused, with the reason, while deleting is allowed. */
  editRefusal: AppError | null;
  preModerated: boolean;
}

/** One comment its owner is acting on, with what they may do; 404 or 403 with the reason. */
export async function loadOwnComment(
  db: Kysely<Database>,
  id: number,
  proof: OwnershipProof,
  secret: string,
  settings: SiteSettings,
  now = new Date(),
): Promise<OwnComment> {
  const comment = await findComment(db, id);
  const post = comment ? await findPostById(db, comment.post_id) : undefined;
  if (!comment || !post) throw notFound('Comment');
  if (!provesOwnership(comment, proof, secret)) {
    throw refuse('Only the person who posted this comment can change it, from the browser they posted it with (or with its edit token).');
  }
  if (settings.comment_edit_minutes <= 0) throw refuse('This site does not let commenters edit or delete their comments. Ask a moderator.');
  if (!CHANGEABLE.includes(comment.status)) throw refuse('This comment can no longer be changed.');
  const discussion = effectiveDiscussion(post, strictestMode(await categoryModesOfPost(db, post.id)), settings, now);
  const closed = commentRefusal(discussion, proof.userId === null ? null : { id: proof.userId });
  const replied = (await repliedTo(db, [comment.id])).has(comment.id);
  const state = ownState(comment, settings, now, replied, closed === null);
  if (!state) {
    throw refuse(`The time to edit or delete this comment is over: it is open for ${settings.comment_edit_minutes} minutes after posting. Ask a moderator if it must change.`);
  }
  const editRefusal = state.canEdit ? null : refuse(replied ? 'Someone has replied to this comment, so it can no longer be edited. You can still delete it.' : (closed?.message ?? 'It can no longer be edited.'));
  return { comment, postSlug: post.slug, postTitle: post.title, replied, state, editRefusal, preModerated: discussion.mode === 'pre-moderated' };
}

function validBody(raw: unknown): string {
  const body = (typeof raw === 'string' ? raw : '').replace(/\r\n/g, '\n').trim();
  if (!body) throw invalid({ body: 'Write your comment' });
  if (body.length > COMMENT_LIMITS.body) throw invalid({ body: `Use at most ${COMMENT_LIMITS.body.toLocaleString('en')} characters` });
  return body;
}

export interface EditResult {
  id: number;
  status: CommentStatus;
  postSlug: string;
}

/** Replaces the text, re-rendered and judged again by the rules; 403/422 as loadOwnComment and validation say. */
export async function editOwnComment(
  db: Kysely<Database>,
  id: number,
  rawBody: unknown,
  proof: OwnershipProof,
  secret: string,
  settings: SiteSettings,
  now = new Date(),
): Promise<EditResult> {
  const own = await loadOwnComment(db, id, proof, secret, settings, now);
  if (own.editRefusal) throw own.editRefusal;
  const body = validBody(rawBody);
  const { comment } = own;
  const bodyHtml = renderComment(body);
  const staff = comment.is_staff === 1;
  const verdict = judgeComment(
    {
      name: comment.author_name,
      email: comment.author_email,
      url: comment.author_url,
      body,
      bodyHtml,
      isStaff: staff,
      honeypotFilled: false,
      // This comment itself counts once approved: an edit is not a first comment.
      approvedBefore: staff ? 0 : await countApprovedByEmail(db, comment.author_email, 1),
      preModerated: own.preModerated,
    },
    settings,
  );
  const next = statusAfterEdit(comment.status, verdict);
  const written = await applyCommenterEdit(db, auditName(comment), comment.id, { body_md: body, body_html: bodyHtml, ...next }, now);
  if (!written) throw refuse('Someone has replied to this comment, so it can no longer be edited. You can still delete it.');
  return { id: comment.id, status: next.to, postSlug: own.postSlug };
}

export async function deleteOwnComment(
  db: Kysely<Database>,
  id: number,
  proof: OwnershipProof,
  secret: string,
  settings: SiteSettings,
  now = new Date(),
): Promise<{ postSlug: string }> {
  const own = await loadOwnComment(db, id, proof, secret, settings, now);
  await deleteByCommenter(db, auditName(own.comment), own.comment.id, now);
  return { postSlug: own.postSlug };
}

/**
 * Edit and delete controls for the post page: what this visitor may do with each of their
 * comments there. Only comments their proof covers; a visitor with none gets an empty map.
 */
export async function ownControls(
  db: Kysely<Database>,
  comments: readonly Pick<Comment, 'id' | 'created_at' | 'status'>[],
  ownIds: ReadonlySet<number>,
  settings: SiteSettings,
  discussionOpen: boolean,
  now = new Date(),
): Promise<Record<number, OwnState>> {
  const mine = comments.filter((c) => ownIds.has(c.id));
  if (mine.length === 0 || settings.comment_edit_minutes <= 0) return {};
  const replied = await repliedTo(db, mine.map((c) => c.id));
  const out: Record<number, OwnState> = {};
  for (const c of mine) {
    const state = ownState(c, settings, now, replied.has(c.id), discussionOpen);
    if (state) out[c.id] = state;
  }
  return out;
}

/**
 * The ids worth keeping in a browser's `lectern_own` cookie: held comments (shown to their
 * author as "awaiting moderation") and those still in their edit window. The rest are dropped
 * so the visitor's pages become cacheable again.
 */
export async function ownIdsWorthKeeping(db: Kysely<Database>, ids: readonly number[], settings: SiteSettings, now = new Date()): Promise<number[]> {
  const rows = await listOwnCandidates(db, [...ids]);
  const keep = new Set(
    rows
      .filter((r) => r.status === 'pending' || (r.status === 'approved' && ownState(r, settings, now, false, true) !== null))
      .map((r) => r.id),
  );
  return ids.filter((id) => keep.has(id));
}

/** The comments on a post this visitor owns: those their cookie lists, and their account's. */
export async function ownIdsOnPost(db: Kysely<Database>, postId: number, cookieIds: readonly number[], user: { id: number } | null): Promise<number[]> {
  if (!user) return [...cookieIds];
  return [...new Set([...cookieIds, ...(await commentIdsByUserOnPost(db, postId, user.id))])];
}

/** Whether the proof covers this comment (to show a refused edit its typed text again). */
export async function ownsComment(db: Kysely<Database>, id: number, proof: OwnershipProof, secret: string): Promise<boolean> {
  const comment = await findComment(db, id);
  return comment !== undefined && provesOwnership(comment, proof, secret);
}

/** The post a comment is on, for pages about the comment. */
export async function postOfComment(db: Kysely<Database>, id: number): Promise<{ slug: string; title: string } | null> {
  const comment = await findComment(db, id);
  const post = comment ? await findPostById(db, comment.post_id) : undefined;
  return post ? { slug: post.slug, title: post.title } : null;
}
