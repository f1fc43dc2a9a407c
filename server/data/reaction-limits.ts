import { sql } from 'kysely';
import type { Executor } from './executor.js';

/**
 * Counts one hit for a key in a fixed window and answers the count so far, in one atomic
 * upsert: several instances sharing the database share the count, and two requests at the
 * same moment cannot both read the old value. A window older than `windowMs` starts again.
 */
export async function hitReactionLimit(db: Executor, key: string, now: Date, windowMs: number): Promise<number> {
  const at = now.toISOString();
  const stale = new Date(now.getTime() - windowMs).toISOString();
  const row = await db
    .insertInto('reaction_limits')
    .values({ key, window_started_at: at, hits: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        // Both read the row as it was before this statement (SQL's UPDATE semantics).
        hits: sql<number>`case when reaction_limits.window_started_at < ${stale} then 1 else reaction_limits.hits + 1 end`,
        window_started_at: sql<string>`case when reaction_limits.window_started_at < ${stale} then ${at} else reaction_limits.window_started_at end`,
      }),
    )
    .returning('hits')
    .executeTakeFirstOrThrow();
  return Number(row.hits);
}

/** Windows that ended before the cutoff hold nothing worth keeping (run at upkeep). */
export async function purgeReactionLimitsBefore(db: Executor, cutoffIso: string): Promise<number> {
  const result = await db.deleteFrom('reaction_limits').where('window_started_at', '<', cutoffIso).executeTakeFirst();
  return Number(result.numDeletedRows);
}
