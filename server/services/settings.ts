import type { Executor } from '../data/executor.js';
import { readAllSettings, writeSetting } from '../data/settings.js';
import { invalid } from '../errors.js';
import { isValidTimeZone } from './time.js';

/** Every site setting with its default; the settings table stores only what was changed. */
export const DEFAULT_SETTINGS = {
  site_name: 'Lectern',
  tagline: 'News and conversation from your library',
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
};

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
  input: { site_name?: string; tagline?: string; timezone?: string; posts_per_page?: string | number },
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
  if (Object.keys(errors).length) throw invalid(errors);
  await writeSetting(db, 'site_name', siteName);
  await writeSetting(db, 'tagline', tagline);
  await writeSetting(db, 'timezone', timezone);
  await writeSetting(db, 'posts_per_page', perPage);
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
  const holdWords = parseWordList(input.hold_words ?? '');
  const blockWords = parseWordList(input.block_words ?? '');
  if (holdWords.length > 1000) errors.hold_words = 'Use at most 1,000 words';
  if (blockWords.length > 1000) errors.block_words = 'Use at most 1,000 words';
  if (Object.keys(errors).length) throw invalid(errors);
  await writeSetting(db, 'moderation', moderation);
  await writeSetting(db, 'hold_links', holdLinks);
  await writeSetting(db, 'hold_words', holdWords);
  await writeSetting(db, 'block_words', blockWords);
  await writeSetting(db, 'close_after_days', closeAfter);
  await writeSetting(db, 'thread_depth', depth);
  await writeSetting(db, 'comment_rate_per_minute', rate);
}
