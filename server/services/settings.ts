import type { Executor } from '../data/executor.js';
import { readAllSettings, writeSetting } from '../data/settings.js';
import { invalid } from '../errors.js';
import { isValidTimeZone } from './time.js';
import { isEmail } from './users.js';

/** Every site setting with its default; the settings table stores only what was changed. */
export const DEFAULT_SETTINGS = {
  site_name: 'Lectern',
  tagline: 'News and conversation from your library',
  /** An uploaded image shown beside the site name in the header: a /uploads/ path, or '' for none. */
  logo_url: '',
  timezone: 'UTC',
  posts_per_page: 10,
  /** all · first-time · none (product.md, Comments and moderation) */
  moderation: 'first-time' as ModerationMode,
  /** Hold a comment with this many links or more; 0 turns the rule off. */
  hold_links: 2,
  hold_words: [] as string[],
  block_words: [] as string[],
  /** Comments close on posts older than this many days; 0 = never. */
  close_after_days: 0,
  thread_depth: 5,
  /** Comments one IP address may post per minute; staff are exempt. */
  comment_rate_per_minute: 5,
  /** Minutes a commenter may edit or delete their own comment (services/own-comments.ts); 0 = never. */
  comment_edit_minutes: 15,
  /** Mail to moderators when a comment is held: off · immediate · digest (services/notifications.ts). */
  moderator_mail: 'immediate' as ModeratorMailMode,
  /** How often the moderator digest goes out, in minutes. */
  digest_minutes: 60,
  /** Tell a commenter who asked for mail that their held comment was approved. */
  notify_approved: true,
  /** The From address of notifications; empty: noreply@ the site's host. */
  mail_from: '',
  /** Patrons may create accounts at /account/register (issue 12). */
  patron_registration: false,
  /** Comment IP hashes older than this many days are forgotten by the scheduler. */
  ip_hash_retention_days: 30,
  /** Readers' reports that send an approved comment back to the queue (services/reports.ts); 0 = reports never move it. */
  report_threshold: 3,
};

export type ModeratorMailMode = 'off' | 'immediate' | 'digest';
export const MODERATOR_MAIL_MODES: readonly ModeratorMailMode[] = ['off', 'immediate', 'digest'];

export type ModerationMode = 'all' | 'first-time' | 'none';
export const MODERATION_MODES: readonly ModerationMode[] = ['all', 'first-time', 'none'];

export type SiteSettings = typeof DEFAULT_SETTINGS;

export async function loadSettings(db: Executor): Promise<SiteSettings> {
  const stored = await readAllSettings(db);
  const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const key of Object.keys(DEFAULT_SETTINGS)) if (key in stored) merged[key] = stored[key];
  return merged as SiteSettings;
}

/** Validates and saves the general settings form. */
export async function saveGeneralSettings(
  db: Executor,
  input: {
    site_name?: string;
    tagline?: string;
    timezone?: string;
    posts_per_page?: string | number;
    /** 'on' or 'off'; left as it is when absent. */
    patron_registration?: string;
    /** Left as it is when absent. */
    ip_hash_retention_days?: string | number;
    /** A /uploads/ path of an uploaded image, '' for no logo; left as it is when absent. */
    logo_url?: string;
  },
): Promise<void> {
  const errors: Record<string, string> = {};
  const siteName = (input.site_name ?? '').trim();
  const tagline = (input.tagline ?? '').trim();
  const timezone = (input.timezone ?? '').trim();
  const perPage = Number(input.posts_per_page);
  if (!siteName) errors.site_name = 'Give the site a name';
  else if (siteName.length > 100) errors.site_name = 'Use at most 100 characters';
  if (tagline.length > 200) errors.tagline = 'Use at most 200 characters';
  if (!isValidTimeZone(timezone)) errors.timezone = 'Choose a time zone such as Europe/London or America/Chicago';
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > 100) errors.posts_per_page = 'Choose a number from 1 to 100';
  const retention = input.ip_hash_retention_days === undefined ? undefined : Number(input.ip_hash_retention_days);
  if (retention !== undefined && (input.ip_hash_retention_days === '' || !Number.isInteger(retention) || retention < 1 || retention > 3650)) {
    errors.ip_hash_retention_days = 'Choose a number of days from 1 to 3650';
  }
  const logoUrl = input.logo_url === undefined ? undefined : input.logo_url.trim();
  if (logoUrl && !(await isUploadedImage(db, logoUrl))) errors.logo_url = 'Choose one of the images uploaded to this site, or no logo';
  if (Object.keys(errors).length) throw invalid(errors);
  if (logoUrl !== undefined) await writeSetting(db, 'logo_url', logoUrl);
  if (input.patron_registration !== undefined) await writeSetting(db, 'patron_registration', input.patron_registration === 'on');
  if (retention !== undefined) await writeSetting(db, 'ip_hash_retention_days', retention);
  await writeSetting(db, 'site_name', siteName);
  await writeSetting(db, 'tagline', tagline);
  await writeSetting(db, 'timezone', timezone);
  await writeSetting(db, 'posts_per_page', perPage);
}

/**
 * A logo must be an image this site stores: a local /uploads/ path that an upload row names.
 * Never a remote address (product.md: no third-party requests) nor a path out of /uploads/.
 */
export const LOGO_PATH = /^\/uploads\/(?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_-]+\.(?:png|jpe?g|gif|webp|avif)$/;

async function isUploadedImage(db: Executor, url: string): Promise<boolean> {
  if (!LOGO_PATH.test(url)) return false;
  const row = await db.selectFrom('uploads').select('id').where('path', '=', url.slice('/uploads/'.length)).executeTakeFirst();
  return row !== undefined;
}

/** The uploaded images an administrator may choose as the logo, newest first. */
export async function listLogoChoices(db: Executor, limit = 200): Promise<{ url: string; name: string }[]> {
  const rows = await db
    .selectFrom('uploads')
    .select(['path', 'original_name'])
    .where('mime_type', 'in', ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif'])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ url: `/uploads/${r.path}`, name: r.original_name }));
}

/** One word or phrase a line; blank lines dropped, case folded. */
export function parseWordList(text: string): string[] {
  return [...new Set(text.split(/\r?\n/).map((w) => w.trim().toLowerCase()).filter(Boolean))];
}

function wholeNumber(value: string | number | undefined, min: number, max: number): number | null {
  const n = Number(value);
  return value !== '' && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** Validates and saves the discussion settings form. */
export async function saveDiscussionSettings(
  db: Executor,
  input: {
    moderation?: string;
    hold_links?: string;
    hold_words?: string;
    block_words?: string;
    close_after_days?: string;
    thread_depth?: string;
    comment_rate_per_minute?: string;
    /** Left as it is when absent (an older form). */
    report_threshold?: string;
    /** Left as it is when absent (an older form). */
    comment_edit_minutes?: string;
  },
): Promise<void> {
  const errors: Record<string, string> = {};
  const moderation = input.moderation as ModerationMode;
  if (!MODERATION_MODES.includes(moderation)) errors.moderation = 'Choose all, first-time or none';
  const holdLinks = wholeNumber(input.hold_links, 0, 100);
  if (holdLinks === null) errors.hold_links = 'Choose a number from 0 (off) to 100';
  const closeAfter = wholeNumber(input.close_after_days, 0, 36500);
  if (closeAfter === null) errors.close_after_days = 'Choose a number of days, 0 for never';
  const depth = wholeNumber(input.thread_depth, 1, 10);
  if (depth === null) errors.thread_depth = 'Choose a depth from 1 to 10';
  const rate = wholeNumber(input.comment_rate_per_minute, 1, 10_000);
  if (rate === null) errors.comment_rate_per_minute = 'Choose a number from 1 to 10,000';
  const reportThreshold = input.report_threshold === undefined ? undefined : wholeNumber(input.report_threshold, 0, 1000);
  if (reportThreshold === null) errors.report_threshold = 'Choose a number of reports from 0 (never) to 1,000';
  const editMinutes = input.comment_edit_minutes === undefined ? undefined : wholeNumber(input.comment_edit_minutes, 0, 1440);
  if (editMinutes === null) errors.comment_edit_minutes = 'Choose a number of minutes from 0 (off) to 1440 (a day)';
  const holdWords = parseWordList(input.hold_words ?? '');
  const blockWords = parseWordList(input.block_words ?? '');
  if (holdWords.length > 1000) errors.hold_words = 'Use at most 1,000 words';
  else if (holdWords.some((w) => w.length > 100)) errors.hold_words = 'Keep each word or phrase under 100 characters';
  if (blockWords.length > 1000) errors.block_words = 'Use at most 1,000 words';
  else if (blockWords.some((w) => w.length > 100)) errors.block_words = 'Keep each word or phrase under 100 characters';
  if (Object.keys(errors).length) throw invalid(errors);
  await writeSetting(db, 'moderation', moderation);
  await writeSetting(db, 'hold_links', holdLinks);
  await writeSetting(db, 'hold_words', holdWords);
  await writeSetting(db, 'block_words', blockWords);
  await writeSetting(db, 'close_after_days', closeAfter);
  await writeSetting(db, 'thread_depth', depth);
  await writeSetting(db, 'comment_rate_per_minute', rate);
  if (reportThreshold !== undefined) await writeSetting(db, 'report_threshold', reportThreshold);
  if (editMinutes !== undefined) await writeSetting(db, 'comment_edit_minutes', editMinutes);
}

/** Validates and saves the notification settings form (routes/admin/mail.ts). */
export async function saveNotificationSettings(
  db: Executor,
  input: { moderator_mail?: string; digest_minutes?: string; notify_approved?: boolean; mail_from?: string },
): Promise<void> {
  const errors: Record<string, string> = {};
  const mode = input.moderator_mail as ModeratorMailMode;
  if (!MODERATOR_MAIL_MODES.includes(mode)) errors.moderator_mail = 'Choose off, immediately or a digest';
  const minutes = wholeNumber(input.digest_minutes, 5, 10_080);
  if (minutes === null) errors.digest_minutes = 'Choose a number of minutes from 5 to 10,080 (a week)';
  const from = (input.mail_from ?? '').trim();
  if (from && (!isEmail(from) || from.length > 254)) errors.mail_from = 'Give an email address such as news@library.example, or leave it empty';
  if (Object.keys(errors).length) throw invalid(errors);
  await writeSetting(db, 'moderator_mail', mode);
  await writeSetting(db, 'digest_minutes', minutes);
  await writeSetting(db, 'notify_approved', input.notify_approved === true);
  await writeSetting(db, 'mail_from', from);
}
