import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Group commit for small write transactions (issue 9: comment POSTs in a spike). A commit is
 * the dearest part of a one-row write (SQLite writes and syncs its WAL, the search index
 * flushes a segment; PostgreSQL flushes its log). Work that arrives while a transaction is
 * being written waits for it, then all of it shares the next transaction, each piece in a
 * savepoint of its own: a piece that throws (a 429, a constraint) rolls back alone and gets
 * its own error. Every caller is answered only after the shared COMMIT, so nothing is
 * acknowledged before it is durable; if the COMMIT fails, every caller in it gets the error.
 * A quiet site waits one turn of the event loop (well under a millisecond) for company.
 */
type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Job {
  work: Work<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to make a commit cheap per piece, few enough that nobody waits long behind a batch. */
const MAX_BATCH = 64;

class GroupCommit {
  private readonly queue: Job[] = [];
  private flushing = false;

  constructor(private readonly db: Kysely<Database>) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // One turn of the event loop first: requests already read, whose earlier queries are
        // done in microtasks (SQLite answers at once), reach the queue and join this batch.
        await new Promise((resolve) => setImmediate(resolve));
        await this.write();
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * One transaction. The batch is taken once the transaction has its connection, not before:
   * everything queued while it waited for the previous one (or for other queries on SQLite's
   * single connection) goes in.
   */
  private async write(): Promise<void> {
    let batch: Job[] = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length === 1) {
          // Alone: its error is the transaction's, with no savepoint to pay for.
          outcomes.push({ ok: true, value: await batch[0]!.work(trx) });
          return;
        }
        for (const job of batch) {
          await sql`savepoint lectern_group`.execute(trx);
          try {
            const value = await job.work(trx);
            await sql`release savepoint lectern_group`.execute(trx);
            outcomes.push({ ok: true, value });
          } catch (error) {
            await sql`rollback to savepoint lectern_group`.execute(trx);
            await sql`release savepoint lectern_group`.execute(trx);
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // Nothing of this batch was written (a lone job's own error, or a failed COMMIT).
      for (const job of batch) job.reject(error);
      return;
    }
    batch.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  }
}

const groups = new WeakMap<Kysely<Database>, GroupCommit>();

/** Runs `work` in a transaction, shared with other work queued at the same moment. */
export function inGroupCommit<T>(db: Kysely<Database>, work: Work<T>): Promise<T> {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = new GroupCommit(db)));
  return group.run(work);
}
