import type { Executor } from '../data/executor.js';
import { tallyOfPost } from '../data/themes.js';
import { deriveExcerpt, htmlToText } from '../markup/render.js';
import { toCsv } from './csv.js';

/**
 * "What you told us" (issue 11): each theme of a question post with its mentions and quotes
 * from the comments tagged with it. Computed from approved comments only, at read time, so a
 * comment that is unapproved, marked spam or deleted stops counting at once, and the page
 * cache follows the same writes (triggers of migrations 0070 and 0080).
 */

export interface SummaryQuote {
  comment_id: number;
  /** Plain text (the comment's HTML with the tags dropped), shortened when asked. */
  text: string;
}

export interface SummaryTheme {
  id: number;
  name: string;
  mentions: number;
  quotes: SummaryQuote[];
}

export interface ThemeSummary {
  themes: SummaryTheme[];
  /** Sum of mentions: one comment tagged with two themes counts twice. */
  mentions: number;
}

export const SUMMARY_QUOTES = {
  /** On the post page: a taste of each theme. */
  post: { perTheme: 3, chars: 160 },
  /** The summary page: enough to read through. */
  page: { perTheme: 50, chars: 400 },
  /** The JSON API: quotes whole, as many as the summary page shows. */
  api: { perTheme: 50, chars: Infinity },
  /** The CSV export: every quote, whole. */
  csv: { perTheme: 1000, chars: Infinity },
} as const;

const byMentionsThenName = (a: SummaryTheme, b: SummaryTheme) =>
  b.mentions - a.mentions || a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || a.id - b.id;

export async function themeSummary(db: Executor, postId: number, quotes: { perTheme: number; chars: number }): Promise<ThemeSummary> {
  const tally = await tallyOfPost(db, postId, quotes.perTheme);
  const byTheme = new Map<number, SummaryQuote[]>();
  for (const q of tally.quotes) {
    const list = byTheme.get(q.theme_id) ?? [];
    list.push({ comment_id: q.comment_id, text: Number.isFinite(quotes.chars) ? deriveExcerpt(q.body_html, quotes.chars) : htmlToText(q.body_html) });
    byTheme.set(q.theme_id, list);
  }
  const themes = tally.counts.map((c) => ({ ...c, quotes: byTheme.get(c.id) ?? [] })).sort(byMentionsThenName);
  return { themes, mentions: themes.reduce((sum, t) => sum + t.mentions, 0) };
}

/** One row per theme: name, mentions, then each quote in a cell of its own. */
export function summaryCsv(summary: ThemeSummary): string {
  const widest = Math.max(0, ...summary.themes.map((t) => t.quotes.length));
  const header = ['Theme', 'Mentions', ...Array.from({ length: widest }, (_, i) => `Quote ${i + 1}`)];
  return toCsv([header, ...summary.themes.map((t) => [t.name, t.mentions, ...t.quotes.map((q) => q.text)])]);
}

/** "6 mentions", "1 mention". */
export const mentionsLabel = (n: number) => `${n} mention${n === 1 ? '' : 's'}`;
