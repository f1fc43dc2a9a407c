import type { DiscussionMode } from '../db/schema.js';
import type { SiteSettings } from './settings.js';
import { AppError } from '../errors.js';

/**
 * Who may comment on a post, decided in one pure function (issue 11). The page, the comment
 * form, submitComment and the API all ask effectiveDiscussion, so they cannot disagree.
 *
 * - open: anyone comments, under the moderation rules (services/comment-rules.ts);
 * - signed-in: only people with an account (patron or staff); visitors see a sign-in link;
 * - pre-moderated: anyone comments, and every comment but a staff member's is held;
 * - closed: the thread stays visible, nobody may add to it;
 * - hidden: no thread, no count, no form; the public API lists none of its comments.
 *
 * A post's own mode wins; null means "its category's default", and a post without one gets
 * the site's, 'open'. With several categories the strictest default applies, in the order of
 * DISCUSSION_MODES: each step lets fewer people put words on the page without a moderator
 * (signed-in still publishes an account holder's comment at once; pre-moderated publishes
 * nobody's until a moderator says so).
 */
export const DISCUSSION_MODES: readonly DiscussionMode[] = ['open', 'signed-in', 'pre-moderated', 'closed', 'hidden'];

export const SITE_DEFAULT_MODE: DiscussionMode = 'open';

export const MODE_LABELS: Record<DiscussionMode, string> = {
  open: 'Open',
  'signed-in': 'Signed-in readers only',
  'pre-moderated': 'Pre-moderated (every comment is held)',
  closed: 'Closed (the thread stays visible)',
  hidden: 'Hidden (no comments shown)',
};

export const PRE_MODERATED_REASON = 'comments on this post are pre-moderated';

export function isDiscussionMode(value: unknown): value is DiscussionMode {
  return typeof value === 'string' && (DISCUSSION_MODES as readonly string[]).includes(value);
}

/** The strictest of some category defaults (nulls ignored), or null when none is set. */
export function strictestMode(modes: readonly (string | null | undefined)[]): DiscussionMode | null {
  let strictest: DiscussionMode | null = null;
  for (const mode of modes) {
    if (!isDiscussionMode(mode)) continue;
    if (strictest === null || DISCUSSION_MODES.indexOf(mode) > DISCUSSION_MODES.indexOf(strictest)) strictest = mode;
  }
  return strictest;
}

/** What a post's columns say before time and switches: its own mode, else the category's, else the site's. */
export function configuredMode(postMode: string | null | undefined, categoryDefault: DiscussionMode | null): DiscussionMode {
  return isDiscussionMode(postMode) ? postMode : (categoryDefault ?? SITE_DEFAULT_MODE);
}

export interface DiscussionPost {
  discussion_mode: string | null;
  comments_open: boolean | number;
  comments_close_at: string | null;
  published_at: string | null;
}

/**
 * Why a post is closed: its mode says so, its "comments open" switch is off, its closing date
 * passed, or it is older than the site's close_after_days.
 */
export type ClosedReason = 'mode' | 'switch' | 'date' | 'age';

export interface Discussion {
  /** What the post does now. */
  mode: DiscussionMode;
  /** The mode before closing dates and switches: what it returns to if reopened. */
  configured: DiscussionMode;
  /** Where `configured` came from. */
  source: 'post' | 'category' | 'site';
  /** When comments closed (mode closed by date or age) or will close; null: no date. */
  closesAt: string | null;
  reason: ClosedReason | null;
}

const DAY_MS = 86_400_000;

export function effectiveDiscussion(post: DiscussionPost, categoryDefault: DiscussionMode | null, settings: Pick<SiteSettings, 'close_after_days'>, now: Date): Discussion {
  const configured = configuredMode(post.discussion_mode, categoryDefault);
  const source = isDiscussionMode(post.discussion_mode) ? 'post' : categoryDefault ? 'category' : 'site';
  const base = { configured, source } as const;
  // Hidden outranks every closing rule: a closed thread would still be shown.
  if (configured === 'hidden') return { ...base, mode: 'hidden', closesAt: null, reason: null };
  if (configured === 'closed') return { ...base, mode: 'closed', closesAt: null, reason: 'mode' };
  if (!post.comments_open) return { ...base, mode: 'closed', closesAt: null, reason: 'switch' };

  // The earlier of the two dates is the one that counts.
  const dates: { at: number; reason: ClosedReason }[] = [];
  const closeAt = post.comments_close_at ? Date.parse(post.comments_close_at) : NaN;
  if (Number.isFinite(closeAt)) dates.push({ at: closeAt, reason: 'date' });
  if (settings.close_after_days > 0 && post.published_at) {
    const published = Date.parse(post.published_at);
    if (Number.isFinite(published)) dates.push({ at: published + settings.close_after_days * DAY_MS, reason: 'age' });
  }
  const first = dates.sort((a, b) => a.at - b.at)[0];
  if (!first) return { ...base, mode: configured, closesAt: null, reason: null };
  const closesAt = new Date(first.at).toISOString();
  if (now.getTime() >= first.at) return { ...base, mode: 'closed', closesAt, reason: first.reason };
  return { ...base, mode: configured, closesAt, reason: null };
}

/** Whether a thread is shown at all (who may add to it: commentRefusal). */
export const threadVisible = (d: Pick<Discussion, 'mode'>) => d.mode !== 'hidden';

/** The two post columns this module owns. */
export interface PostDiscussionColumns {
  discussion_mode: DiscussionMode | null;
  comments_close_at: string | null;
}

/**
 * Checks the discussion fields of a post's input (editor form or API), adding field messages
 * to `errors`. Absent fields keep the stored values; null or '' clears them.
 */
export function validateDiscussion(
  input: { discussion_mode?: string | null; comments_close_at?: string | null },
  existing: PostDiscussionColumns | undefined,
  errors: Record<string, string>,
): PostDiscussionColumns {
  let mode = existing?.discussion_mode ?? null;
  if (input.discussion_mode !== undefined) {
    if (input.discussion_mode === null || input.discussion_mode === '') mode = null;
    else if (isDiscussionMode(input.discussion_mode)) mode = input.discussion_mode;
    else errors.discussion_mode = `Choose the category default or one of ${DISCUSSION_MODES.join(', ')}`;
  }
  let closeAt = existing?.comments_close_at ?? null;
  if (input.comments_close_at !== undefined) {
    if (input.comments_close_at === null || input.comments_close_at.trim() === '') closeAt = null;
    else {
      const ms = Date.parse(input.comments_close_at);
      if (Number.isNaN(ms)) errors.comments_close_at = 'Give a date and time such as 2026-11-23T18:00:00Z';
      else closeAt = new Date(ms).toISOString();
    }
  }
  return { discussion_mode: mode, comments_close_at: closeAt };
}

/** Why this person may not comment under that discussion, or null when they may. */
export function commentRefusal(discussion: Pick<Discussion, 'mode'>, user: { id: number } | null): AppError | null {
  if (discussion.mode === 'hidden') return new AppError(403, 'comments_closed', 'Comments are not taken on this post');
  if (discussion.mode === 'closed') return new AppError(403, 'comments_closed', 'Comments are closed on this post');
  if (discussion.mode === 'signed-in' && !user) {
    return new AppError(403, 'sign_in_required', 'Only signed-in readers can comment on this post. Sign in, or create an account, first.');
  }
  return null;
}
