import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, CommentStatus } from '../db/schema.js';
import {
  countApprovedByEmail,
  countRecentFromIp,
  findComment,
  insertComment,
  adjustApprovedCount,
} from '../data/comments.js';
import { findPostWithAuthorBySlug } from '../data/posts.js';
import { AppError, invalid, notFound } from '../errors.js';
import { renderComment } from '../markup/render.js';
import { judgeComment } from './comment-rules.js';
import { commentRefusal, effectiveDiscussion, strictestMode } from './discussion.js';
import { categoryModesOfPost } from '../data/discussion.js';
import { isStaff } from './permissions.js';
import { isPubliclyVisible } from './posts.js';
import type { SiteSettings } from './settings.js';
import type { SessionUser } from './auth.js';
import { isEmail } from './users.js';
import { commentBlock } from './registration.js';
import { notifyCommentSubmitted } from './notifications.js';
import { inGroupCommit } from './group-commit.js';
import { BLOCKED_REASON, isBlockedCommenter } from './blocks.js';

export const COMMENT_LIMITS = { name: 100, email: 254, url: 300, body: 10_000 };

/** What a commenter sends, from the form or the API. */
export interface CommentInput {
  name?: unknown;
  email?: unknown;
  url?: unknown;
  body?: unknown;
  parent_id?: unknown;
  /** The form's hidden trap field; people leave it empty. */
  honeypot?: unknown;
  /** "Email me when someone replies" / "… about new comments on this post" (services/notifications.ts). */
  notify_replies?: unknown;
  notify_post?: unknown;
}

export interface Commenter {
  user: SessionUser | null;
  /** Keyed hash of the client IP (never the IP itself). */
  ipHash: string;
}

export interface SubmitResult {
  id: number;
  status: CommentStatus;
  postSlug: string;
  /** Starts the commenter's edit window (services/own-comments.ts). */
  createdAt: string;
}

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Keyed hashes: stable for rate limits and avatars, but the IP or email cannot be read back. */
export function keyedHash(secret: string, purpose: string, value: string): string {
  return createHmac('sha256', secret).update(`${purpose}:${value}`).digest('hex').slice(0, 32);
}

interface ValidComment {
  name: string;
  email: string;
  url: string;
  body: string;
  parentId: number | null;
}

function validate(input: CommentInput, user: SessionUser | null): ValidComment {
  const errors: Record<string, string> = {};
  // Signed-in people comment under their account.
  const name = user ? user.display_name : text(input.name).trim();
  const email = user ? (user.email ?? `${user.username}@users.invalid`) : text(input.email).trim();
  const url = text(input.url).trim();
  const body = text(input.body).replace(/\r\n/g, '\n').trim();
  if (!name) errors.name = 'Give your name';
  else if (name.length > COMMENT_LIMITS.name) errors.name = `Use at most ${COMMENT_LIMITS.name} characters`;
  if (!user) {
    if (!email) errors.email = 'Give your email address (it is never shown)';
    else if (!isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  }
  if (url) {
    let ok = false;
    try {
      const parsed = new URL(url);
      ok = (parsed.protocol === 'http:' || parsed.protocol === 'https:') && url.length <= COMMENT_LIMITS.url;
    } catch {
      ok = false;
    }
    if (!ok) errors.url = 'Give a web address starting with http:// or https://';
  }
  if (!body) errors.body = 'Write your comment';
  else if (body.length > COMMENT_LIMITS.body) errors.body = `Use at most ${COMMENT_LIMITS.body.toLocaleString('en')} characters`;
  let parentId: number | null = null;
  const rawParent = input.parent_id;
  if (rawParent !== undefined && rawParent !== null && rawParent !== '' && rawParent !== 0 && rawParent !== '0') {
    const n = Number(rawParent);
    if (!Number.isInteger(n) || n < 1) errors.parent_id = 'The comment you are replying to is not there';
    else parentId = n;
  }
  if (Object.keys(errors).length) throw invalid(errors);
  return { name, email: email.toLowerCase(), url, body, parentId };
}

/**
 * Posts a comment under the rules of product.md: 404 unknown post, 403 closed, 422 invalid,
 * 429 too many; then approved, pending or spam, with its reasons stored.
 */
export async function submitComment(
  db: Kysely<Database>,
  slug: string,
  input: CommentInput,
  commenter: Commenter,
  settings: SiteSettings,
  secret: string,
  now = new Date(),
): Promise<SubmitResult> {
  const post = await findPostWithAuthorBySlug(db, slug);
  if (!post || post.kind !== 'post' || !isPubliclyVisible(post, now)) throw notFound('Post');
  // Open, signed-in only, pre-moderated, closed or hidden (services/discussion.ts).
  const discussion = effectiveDiscussion(post, strictestMode(await categoryModesOfPost(db, post.id)), settings, now);
  const refusal = commentRefusal(discussion, commenter.user);
  if (refusal) throw refusal;
  // A patron account comments only once its email address is confirmed.
  const unconfirmed = commentBlock(commenter.user);
  if (unconfirmed) throw unconfirmed;
  const valid = validate(input, commenter.user);
  const staff = isStaff(commenter.user?.role);

  let depth = 0;
  let parentId = valid.parentId;
  if (parentId !== null) {
    const parent = await findComment(db, parentId);
    if (!parent || parent.post_id !== post.id || parent.status !== 'approved') {
      throw invalid({ parent_id: 'The comment you are replying to is not on this post, or not shown' });
    }
    // Below the deepest level a reply is attached beside its parent, at that level.
    if (parent.depth + 1 >= settings.thread_depth) {
      parentId = parent.parent_id;
      depth = parent.depth;
    } else {
      depth = parent.depth + 1;
    }
  }

  const bodyHtml = renderComment(valid.body);
  const honeypotFilled = text(input.honeypot).trim() !== '';
  // The rules only ask whether there is one (comment-rules.ts: first-time commenter).
  const approvedBefore = staff ? 0 : await countApprovedByEmail(db, valid.email, 1);
  const ruled = judgeComment(
    {
      name: valid.name, email: valid.email, url: valid.url, body: valid.body, bodyHtml, isStaff: staff, honeypotFilled, approvedBefore,
      preModerated: discussion.mode === 'pre-moderated',
    },
    settings,
  );
  // A blocked commenter's comment is kept as spam and answered like any held one (services/blocks.ts).
  const verdict = !staff && (await isBlockedCommenter(db, valid.email, commenter.ipHash)) ? { status: 'spam' as const, reasons: [BLOCKED_REASON] } : ruled;
  const iso = now.toISOString();
  // Shares its transaction with other comments arriving at the same moment (group-commit.ts).
  const id = await inGroupCommit(db, async (trx) => {
    // Counted inside the write transaction, so a burst cannot slip past the limit.
    if (!staff) {
      const since = new Date(now.getTime() - 60_000).toISOString();
      if ((await countRecentFromIp(trx, commenter.ipHash, since, settings.comment_rate_per_minute)) >= settings.comment_rate_per_minute) {
        throw new AppError(429, 'rate_limited', 'You are commenting too fast. Wait a minute and try again.');
      }
    }
    const newId = await insertComment(trx, {
      post_id: post.id,
      parent_id: parentId,
      reply_to_id: valid.parentId,
      depth,
      user_id: commenter.user?.id ?? null,
      author_name: valid.name,
      author_email: valid.email,
      author_url: valid.url,
      avatar_key: keyedHash(secret, 'avatar', valid.email),
      is_staff: staff ? 1 : 0,
      body_md: valid.body,
      body_html: bodyHtml,
      status: verdict.status,
      reasons: JSON.stringify(verdict.reasons),
      ip_hash: commenter.ipHash,
      created_at: iso,
      updated_at: iso,
    });
    if (verdict.status === 'approved') await adjustApprovedCount(trx, post.id, 1);
    return newId;
  });
  await notifyCommentSubmitted(db, id, input, now);
  return { id, status: verdict.status, postSlug: post.slug, createdAt: iso };
}

