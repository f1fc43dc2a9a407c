import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { countOpenReports, insertReport, lockCommentForReports, reportsOfComments } from '../data/reports.js';
import { forbidden, invalid } from '../errors.js';
import { holdForReports } from './moderation.js';
import { checkReactionRate, findPublicComment, type Reader } from './reactions.js';
import type { SiteSettings } from './settings.js';

/**
 * Readers' reports of approved comments (issue 11).
 *
 * - One report per browser and per client address for each comment (keyed hashes, unique
 *   indexes: migration 0086); a repeated report is accepted and changes nothing.
 * - When a comment's reports not yet reviewed reach the report_threshold setting (default 3;
 *   0 = never), it goes back to the queue through services/moderation.ts, with the reason
 *   "reported by N readers". A moderator approving it marks those reports reviewed, so the
 *   same old reports cannot send it back again; only new readers' reports count from then.
 * - Staff comments cannot be reported: they are the library's own answers (one may be the
 *   pinned official answer), and a handful of readers should not be able to take them down.
 *   A reader who disagrees replies; anything else goes to the library directly.
 */

export const REPORT_REASONS = [
  { value: 'spam', label: 'Spam or advertising' },
  { value: 'abusive', label: 'Abusive, hateful or harassing' },
  { value: 'personal', label: 'Shares someone’s personal information' },
  { value: 'off-topic', label: 'Off topic' },
  { value: 'other', label: 'Something else' },
] as const;

export type ReportReason = (typeof REPORT_REASONS)[number]['value'];
const REASON_VALUES: readonly string[] = REPORT_REASONS.map((r) => r.value);

export const reasonLabel = (value: string): string => REPORT_REASONS.find((r) => r.value === value)?.label ?? value;

export const REPORT_DETAILS_MAX = 500;
/** Reports one client address may send a minute, across the site. */
export const REPORTS_PER_MINUTE = 10;

export interface ReportInput {
  reason?: unknown;
  details?: unknown;
}

interface ValidReport {
  reason: ReportReason;
  details: string;
}

/** Both fields are optional: no reason is "Something else". */
export function validateReport(input: ReportInput): ValidReport {
  const errors: Record<string, string> = {};
  const rawReason = input.reason === undefined || input.reason === null ? '' : input.reason;
  const reason = typeof rawReason === 'string' ? rawReason.trim() : null;
  if (reason === null || (reason !== '' && !REASON_VALUES.includes(reason))) {
    errors.reason = `Choose one of the reasons listed (${REASON_VALUES.join(', ')}), or none`;
  }
  const rawDetails = input.details === undefined || input.details === null ? '' : input.details;
  const details = typeof rawDetails === 'string' ? rawDetails.replace(/\r\n/g, '\n').trim() : null;
  if (details === null) errors.details = 'Write the details as text';
  else if (details.length > REPORT_DETAILS_MAX) errors.details = `Use at most ${REPORT_DETAILS_MAX} characters`;
  if (Object.keys(errors).length) throw invalid(errors);
  return { reason: (reason || 'other') as ReportReason, details: details ?? '' };
}

/** The comment a report form is about: approved, public and not a staff comment; else 404/403. */
export async function findReportableComment(db: Kysely<Database>, id: number, now = new Date()) {
  const found = await findPublicComment(db, id, now);
  if (found.comment.is_staff) throw forbidden('Replies from library staff cannot be reported. Reply to it, or contact the library.');
  return found;
}

export interface ReportResult {
  /** False when this browser or address had already reported it. */
  created: boolean;
  postSlug: string;
}

export async function reportComment(
  db: Kysely<Database>,
  id: number,
  input: ReportInput,
  reader: Reader,
  settings: Pick<SiteSettings, 'report_threshold'>,
  now = new Date(),
): Promise<ReportResult> {
  const valid = validateReport(input);
  const { post } = await findReportableComment(db, id, now);
  await checkReactionRate(db, 'report', reader.ipHash, REPORTS_PER_MINUTE, now);
  const at = now.toISOString();
  const created = await db.transaction().execute(async (trx) => {
    // Reports of one comment take turns, so the count that reaches the threshold is exact.
    await lockCommentForReports(trx, id);
    const stored = await insertReport(trx, { commentId: id, reason: valid.reason, details: valid.details, readerHash: reader.readerHash, ipHash: reader.ipHash, at });
    if (!stored || settings.report_threshold <= 0) return stored;
    const open = await countOpenReports(trx, id);
    if (open >= settings.report_threshold) await holdForReports(trx, id, open, at);
    return stored;
  });
  return { created, postSlug: post.slug };
}

export interface ReportsView {
  /** Reports not yet reviewed: what counts towards the threshold. */
  open: number;
  /** Reports answered by an earlier approval. */
  reviewed: number;
  /** The newest open reports (at most 10). */
  items: { reason: string; reason_label: string; details: string; created_at: string }[];
}

const NO_REPORTS: ReportsView = { open: 0, reviewed: 0, items: [] };

/** Reports of the comments on one page of the queue (admin and API), in two queries. */
export async function reportsForQueue(db: Executor, commentIds: number[]): Promise<(id: number) => ReportsView> {
  const summaries = await reportsOfComments(db, commentIds);
  return (id) => {
    const s = summaries.get(id);
    if (!s) return NO_REPORTS;
    return { open: s.open, reviewed: s.reviewed, items: s.items.map((r) => ({ ...r, reason_label: reasonLabel(r.reason) })) };
  };
}
