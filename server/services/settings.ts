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
};

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
