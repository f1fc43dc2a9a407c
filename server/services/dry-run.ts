import type { CommentStatus } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { arrivalStatuses, firstApprovedIds, recentCommentsForRules } from '../data/workspace.js';
import { invalid } from '../errors.js';
import { judgeComment } from './comment-rules.js';
import { PRE_MODERATED_REASON } from './discussion.js';
import { BLOCKED_REASON } from './blocks.js';
import { MODERATION_MODES, parseWordList, type ModerationMode, type SiteSettings } from './settings.js';

/**
 * "Dry run" of moderation rules (issue 11): before saving new rules, see which of the last
 * DRY_RUN_SAMPLE comments they would have held or marked as spam, compared with what happened
 * to each when it arrived. The verdicts come from judgeComment itself, so the dry run and the
 * real rules cannot disagree. Nothing is written.
 */
export const DRY_RUN_SAMPLE = 1000;

export type RuleSettings = Pick<SiteSettings, 'moderation' | 'hold_links' | 'hold_words' | 'block_words'>;

/** What a form or the API proposes; anything left out keeps the saved value. */
export interface ProposedRules {
  moderation?: unknown;
  hold_links?: unknown;
  /** One word or phrase a line (the form), or a list (the API). */
  hold_words?: unknown;
  block_words?: unknown;
}

function wordList(value: unknown, field: string, errors: Record<string, string>): string[] {
  const words = typeof value === 'string' ? parseWordList(value) : Array.isArray(value) ? parseWordList(value.filter((w) => typeof w === 'string').join('\n')) : [];
  if (words.length > 1000) errors[field] = 'Use at most 1,000 words';
  else if (words.some((w) => w.length > 100)) errors[field] = 'Keep each word or phrase under 100 characters';
  return words;
}

/** The same limits as saving the discussion settings, with the same messages. */
export function parseProposedRules(input: ProposedRules, saved: RuleSettings): RuleSettings {
  const errors: Record<string, string> = {};
  const moderation = (input.moderation ?? saved.moderation) as ModerationMode;
  if (!MODERATION_MODES.includes(moderation)) errors.moderation = 'Choose all, first-time or none';
  const rawLinks = input.hold_links ?? saved.hold_links;
  const holdLinks = Number(rawLinks);
  if (rawLinks === '' || !Number.isInteger(holdLinks) || holdLinks < 0 || holdLinks > 100) errors.hold_links = 'Choose a number from 0 (off) to 100';
  const holdWords = input.hold_words === undefined ? saved.hold_words : wordList(input.hold_words, 'hold_words', errors);
  const blockWords = input.block_words === undefined ? saved.block_words : wordList(input.block_words, 'block_words', errors);
  if (Object.keys(errors).length) throw invalid(errors);
  return { moderation, hold_links: holdLinks, hold_words: holdWords, block_words: blockWords };
}

/** held: was approved, would be held · spam: would be spam, was not · released: would be approved, was not · unspammed: was spam, would only be held. */
export type DryRunChange = 'held' | 'spam' | 'released' | 'unspammed';

export interface DryRunItem {
  id: number;
  post: { id: number; slug: string; title: string };
  author_name: string;
  excerpt: string;
  created_at: string;
  /** Where it is now, after any moderator's decisions. */
  status_now: CommentStatus;
  was: { status: CommentStatus; reasons: string[] };
  would: { status: CommentStatus; reasons: string[] };
  change: DryRunChange;
}

export interface DryRunReport {
  rules: RuleSettings;
  /** How many comments were looked at (at most DRY_RUN_SAMPLE). */
  sample: number;
  summary: Record<DryRunChange, number> & { unchanged: number };
  /** The comments whose fate would change, newest first. */
  changes: DryRunItem[];
}

function classify(was: CommentStatus, would: CommentStatus): DryRunChange | null {
  if (was === would) return null;
  if (would === 'spam') return 'spam';
  if (would === 'approved') return 'released';
  return was === 'spam' ? 'unspammed' : 'held';
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 140 ? `${flat.slice(0, 139)}…` : flat;
}

export async function dryRunRules(db: Executor, rules: RuleSettings, settings: SiteSettings): Promise<DryRunReport> {
  const rows = await recentCommentsForRules(db, DRY_RUN_SAMPLE);
  const arrived = await arrivalStatuses(db, rows.map((r) => r.id));
  const firstApproved = await firstApprovedIds(db, rows.map((r) => r.author_email));
  const proposed: SiteSettings = { ...settings, ...rules };
  const summary = { held: 0, spam: 0, released: 0, unspammed: 0, unchanged: 0 };
  const changes: DryRunItem[] = [];
  for (const row of rows) {
    const reasons = JSON.parse(row.reasons) as string[];
    // A moderator's "rejected" was never an arrival; such a comment arrived held at least.
    const arrival = (arrived.get(row.id) ?? row.status) as CommentStatus;
    const was = { status: arrival === 'rejected' ? 'pending' : arrival, reasons };
    // What the rules do not decide is taken as it was: a block, the honeypot, a pre-moderated post.
    const would = reasons.includes(BLOCKED_REASON)
      ? was
      : judgeComment(
          {
            name: row.author_name,
            email: row.author_email,
            url: row.author_url,
            body: row.body_md,
            bodyHtml: row.body_html,
            isStaff: row.is_staff === 1,
            honeypotFilled: reasons.includes('honeypot field filled'),
            approvedBefore: (firstApproved.get(row.author_email) ?? Infinity) < row.id ? 1 : 0,
            preModerated: reasons.includes(PRE_MODERATED_REASON),
          },
          proposed,
        );
    const change = classify(was.status, would.status);
    if (!change) {
      summary.unchanged += 1;
      continue;
    }
    summary[change] += 1;
    changes.push({
      id: row.id,
      post: { id: row.post_id, slug: row.post_slug, title: row.post_title },
      author_name: row.author_name,
      excerpt: excerpt(row.body_md),
      created_at: row.created_at,
      status_now: row.status,
      was,
      would: { status: would.status, reasons: would.reasons },
      change,
    });
  }
  return { rules, sample: rows.length, summary, changes };
}
