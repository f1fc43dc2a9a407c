import { PostgresAdapter, type ExpressionBuilder } from 'kysely';
import type { Executor } from './executor.js';
import type { Database, MailQueueRow, MailStatus } from '../db/schema.js';

/** Queued, due, and not held by a live lease (a crashed sender's lease simply runs out). */
function claimable(eb: ExpressionBuilder<Database, 'mail_queue'>, nowIso: string) {
  return eb.and([
    eb('status', '=', 'queued'),
    eb('next_attempt_at', '<=', nowIso),
    eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]),
  ]);
}

/**
 * Claims up to `limit` due mails with one conditional UPDATE: of several senders (instances,
 * or one after a restart) only one wins each row. The lease is how long the winner may take
 * before another sender may try again.
 */
export async function claimDueMail(db: Executor, nowIso: string, leaseUntilIso: string, limit: number): Promise<MailQueueRow[]> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const rows = await db
    // A CTE is evaluated once: the batch is chosen once, not again for every row updated.
    .with('due', (qb) => {
      const due = qb.selectFrom('mail_queue').select('id').where((e) => claimable(e, nowIso)).orderBy('next_attempt_at').orderBy('id').limit(limit);
      // PostgreSQL: a second sender skips the rows the first is claiming instead of waiting
      // for them and then finding them taken. SQLite runs one writer at a time anyway.
      return postgres ? due.forUpdate().skipLocked() : due;
    })
    .updateTable('mail_queue')
    .set({ locked_until: leaseUntilIso })
    .where('id', 'in', (eb) => eb.selectFrom('due').select('due.id'))
    // Checked again on the row itself: PostgreSQL re-reads a row another sender changed.
    .where((eb) => claimable(eb, nowIso))
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.id - b.id);
}

/** Only the holder of the lease may settle a row. */
export async function markMailSent(db: Executor, id: number, leaseUntilIso: string, nowIso: string): Promise<boolean> {
  const result = await db
    .updateTable('mail_queue')
    .set({ status: 'sent', sent_at: nowIso, locked_until: null })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('locked_until', '=', leaseUntilIso)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function markMailFailure(
  db: Executor,
  id: number,
  leaseUntilIso: string,
  change: { attempts: number; lastError: string; nextAttemptAt: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('mail_queue')
    .set({
      attempts: change.attempts,
      last_error: change.lastError,
      locked_until: null,
      ...(change.nextAttemptAt ? { next_attempt_at: change.nextAttemptAt } : { status: 'failed' as const }),
    })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('locked_until', '=', leaseUntilIso)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** "Retry now": a failed or waiting mail becomes due at once (never one a sender holds). */
export async function retryMailNow(db: Executor, id: number, nowIso: string): Promise<boolean> {
  const result = await db
    .updateTable('mail_queue')
    .set({ status: 'queued', next_attempt_at: nowIso, locked_until: null })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'failed'])
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listMail(db: Executor, status: MailStatus, page: number, perPage: number): Promise<{ rows: MailQueueRow[]; total: number }> {
  const [rows, count] = await Promise.all([
    db
      .selectFrom('mail_queue')
      .selectAll()
      .where('status', '=', status)
      .orderBy('id', 'desc')
      .limit(perPage)
      .offset((page - 1) * perPage)
      .execute(),
    db.selectFrom('mail_queue').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', status).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

export async function countMailByStatus(db: Executor): Promise<Record<MailStatus, number>> {
  const rows = await db.selectFrom('mail_queue').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  const counts: Record<MailStatus, number> = { queued: 0, sent: 0, failed: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

/** Kept in the settings table under a key no form writes. */
const DIGEST_KEY = 'mail.moderator_digest_at';

export async function readDigestMark(db: Executor): Promise<string | null> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', DIGEST_KEY).executeTakeFirst();
  return row ? (JSON.parse(row.value) as string) : null;
}

/**
 * Moves the digest mark from `previous` to `next` only if nobody else moved it: the instance
 * whose compare-and-set succeeds sends that digest, the others skip it.
 */
export async function advanceDigestMark(db: Executor, previous: string | null, next: string): Promise<boolean> {
  if (previous === null) {
    const result = await db
      .insertInto('settings')
      .values({ key: DIGEST_KEY, value: JSON.stringify(next) })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
  const result = await db
    .updateTable('settings')
    .set({ value: JSON.stringify(next) })
    .where('key', '=', DIGEST_KEY)
    .where('value', '=', JSON.stringify(previous))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Comments held since `sinceIso` (exclusive) up to `untilIso`, still waiting. */
export const listHeldSince = (db: Executor, sinceIso: string, untilIso: string) =>
  db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select([
      'comments.id',
      'comments.author_name',
      'comments.body_md',
      'comments.reasons',
      'comments.created_at',
      'posts.title as post_title',
      'posts.slug as post_slug',
    ])
    .where('comments.status', '=', 'pending')
    .where('comments.created_at', '>', sinceIso)
    .where('comments.created_at', '<=', untilIso)
    .orderBy('comments.id')
    .execute();

export async function countPending(db: Executor): Promise<number> {
  const row = await db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow();
  return Number(row.n);
}
