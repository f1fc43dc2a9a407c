import { PostgresAdapter } from 'kysely';
import type { Executor } from './executor.js';

export interface NewReport {
  commentId: number;
  reason: string;
  details: string;
  readerHash: string;
  ipHash: string | null;
  at: string;
}

/**
 * Stores a report unless this browser or this address already reported the comment (the
 * unique indexes of migration 0086 decide, whatever the timing). True when stored.
 */
export async function insertReport(db: Executor, report: NewReport): Promise<boolean> {
  const result = await db
    .insertInto('comment_reports')
    .values({
      comment_id: report.commentId,
      reason: report.reason,
      details: report.details,
      reader_hash: report.readerHash,
      ip_hash: report.ipHash,
      created_at: report.at,
    })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Makes reports of one comment take turns (PostgreSQL: a row lock on the comment until the
 * transaction ends). SQLite runs one write transaction at a time already.
 */
export async function lockCommentForReports(db: Executor, commentId: number): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await db.selectFrom('comments').select('id').where('id', '=', commentId).forUpdate().execute();
}

/** Reports a moderator has not yet answered by approving the comment. */
export async function countOpenReports(db: Executor, commentId: number): Promise<number> {
  const row = await db
    .selectFrom('comment_reports')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('comment_id', '=', commentId)
    .where('reviewed_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A moderator approved the comment: these reports are answered and count no more. */
export async function markReportsReviewed(db: Executor, commentId: number, at: string): Promise<void> {
  await db.updateTable('comment_reports').set({ reviewed_at: at }).where('comment_id', '=', commentId).where('reviewed_at', 'is', null).execute();
}

export interface ReportSummary {
  /** Not yet reviewed. */
  open: number;
  /** Answered by an earlier approval. */
  reviewed: number;
  /** Newest first; open ones only (those are what the moderator is deciding on). */
  items: { reason: string; details: string; created_at: string }[];
}

/** Reports of the comments on one page of the queue: counts, and the newest open ones, in two queries. */
export async function reportsOfComments(db: Executor, commentIds: number[], perComment = 10): Promise<Map<number, ReportSummary>> {
  const out = new Map<number, ReportSummary>();
  const ids = [...new Set(commentIds)];
  if (ids.length === 0) return out;
  const summary = (id: number) => {
    let s = out.get(id);
    if (!s) out.set(id, (s = { open: 0, reviewed: 0, items: [] }));
    return s;
  };
  const counts = await db
    .selectFrom('comment_reports')
    .select(['comment_id', (eb) => eb.fn.count<number>('reviewed_at').as('reviewed'), (eb) => eb.fn.countAll<number>().as('n')])
    .where('comment_id', 'in', ids)
    .groupBy('comment_id')
    .execute();
  for (const c of counts) {
    const s = summary(c.comment_id);
    s.reviewed = Number(c.reviewed);
    s.open = Number(c.n) - s.reviewed;
  }
  // A comment reported thousands of times still shows a handful: numbered per comment, newest first.
  const items = await db
    .selectFrom((qb) =>
      qb
        .selectFrom('comment_reports')
        .select(['comment_id', 'reason', 'details', 'created_at', (eb) => eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('comment_id').orderBy('id', 'desc')).as('rank')])
        .where('comment_id', 'in', ids)
        .where('reviewed_at', 'is', null)
        .as('r'),
    )
    .select(['comment_id', 'reason', 'details', 'created_at'])
    .where('rank', '<=', perComment)
    .orderBy('comment_id')
    .orderBy('rank')
    .execute();
  for (const r of items) summary(r.comment_id).items.push({ reason: r.reason, details: r.details, created_at: r.created_at });
  return out;
}

/** Forgets the address hashes of reports older than the cutoff (the privacy retention). */
export async function purgeReportAddressesBefore(db: Executor, cutoffIso: string): Promise<number> {
  const result = await db
    .updateTable('comment_reports')
    .set({ ip_hash: null })
    .where('ip_hash', 'is not', null)
    .where('created_at', '<', cutoffIso)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
