import type { Executor } from '../data/executor.js';
import { findAdjacentPosts, listVisiblePostDates, listVisiblePostsBetween } from '../data/archive.js';
import { termsOfPosts } from '../data/terms.js';
import { toView, type PostPage, type PostView } from './posts.js';
import { localInputToIso } from './time.js';

/**
 * Archives by month, in the site's time zone (a post at 23:30 on 31 March in Chicago is a
 * March post, whatever the UTC date says), as WordPress does.
 */

export interface ArchiveMonth {
  year: number;
  month: number;
  /** "March 2024" */
  label: string;
  href: string;
  count: number;
}

export interface ArchiveYear {
  year: number;
  count: number;
  months: ArchiveMonth[];
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export const monthHref = (year: number, month: number) => `/${year}/${pad2(month)}`;

export function monthLabel(year: number, month: number): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', year: 'numeric', month: 'long' }).format(new Date(Date.UTC(year, month - 1, 15)));
}

/** Year and month of an instant, on the wall clock of `timeZone`. */
function localYearMonth(format: Intl.DateTimeFormat, iso: string): [number, number] {
  const parts = format.formatToParts(new Date(iso));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return [get('year'), get('month')];
}

/** Every month with posts, newest first, grouped by year. */
export async function archiveIndex(db: Executor, timeZone: string, now = new Date()): Promise<ArchiveYear[]> {
  const rows = await listVisiblePostDates(db, now.toISOString());
  const format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric' });
  const counts = new Map<string, number>();
  for (const { published_at } of rows) {
    if (!published_at) continue;
    const [year, month] = localYearMonth(format, published_at);
    const key = `${year}-${pad2(month)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const years: ArchiveYear[] = [];
  for (const [key, count] of [...counts].sort(([a], [b]) => (a < b ? 1 : -1))) {
    const [year, month] = key.split('-').map(Number) as [number, number];
    let entry = years.at(-1);
    if (entry?.year !== year) years.push((entry = { year, count: 0, months: [] }));
    entry.count += count;
    entry.months.push({ year, month, label: monthLabel(year, month), href: monthHref(year, month), count });
  }
  return years;
}

/** "/2024/03" parts, or null unless a four-digit year and a two-digit month from 01 to 12. */
export function parseArchiveMonth(year: string, month: string): { year: number; month: number } | null {
  if (!/^\d{4}$/.test(year) || !/^\d{2}$/.test(month)) return null;
  const y = Number(year);
  const m = Number(month);
  // 1000–9998 keeps the next month's start a four-digit year too (and clear of Date's 0–99 quirk).
  if (y < 1000 || y > 9998 || m < 1 || m > 12) return null;
  return { year: y, month: m };
}

/** The UTC instants where a local month begins and the next one begins. */
export function monthRange(year: number, month: number, timeZone: string): { from: string; before: string } {
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  const start = (y: number, m: number) => localInputToIso(`${y}-${pad2(m)}-01T00:00`, timeZone)!;
  return { from: start(year, month), before: start(next.year, next.month) };
}

/** One month's posts, a page at a time, in the shape every listing template takes. */
export async function monthListing(
  db: Executor,
  year: number,
  month: number,
  timeZone: string,
  page: number,
  perPage: number,
  now = new Date(),
): Promise<PostPage> {
  const { from, before } = monthRange(year, month, timeZone);
  const { rows, total } = await listVisiblePostsBetween(db, now.toISOString(), from, before, page, perPage);
  const terms = await termsOfPosts(db, rows.map((r) => r.id));
  return {
    posts: rows.map((r) => toView(r, terms.get(r.id) ?? [])),
    page,
    perPage,
    total,
    pages: Math.max(1, Math.ceil(total / perPage)),
  };
}

export interface AdjacentPosts {
  /** The next older post. */
  previous: { title: string; slug: string } | null;
  /** The next newer post. */
  next: { title: string; slug: string } | null;
}

export async function adjacentPosts(db: Executor, post: Pick<PostView, 'id' | 'published_at'>, now = new Date()): Promise<AdjacentPosts> {
  if (!post.published_at) return { previous: null, next: null };
  return findAdjacentPosts(db, { id: post.id, published_at: post.published_at }, now.toISOString());
}
