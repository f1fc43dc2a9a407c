import type { LoginAttempt } from '../db/schema.js';
import type { Executor } from './executor.js';

export const findLoginAttempt = (db: Executor, key: string): Promise<LoginAttempt | undefined> =>
  db.selectFrom('login_attempts').selectAll().where('key', '=', key).executeTakeFirst();

/** The first failure of a key; false when another request inserted it first. */
export async function insertLoginAttempt(
  db: Executor,
  row: { key: string; failures: number; first_failure_at: string; last_failure_at: string; locked_until: string | null },
): Promise<boolean> {
  const result = await db
    .insertInto('login_attempts')
    .values(row)
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Compare-and-swap: counts one more failure only if no other request did so since `seen`
 * was read, so a burst of parallel guesses cannot all slip in under the limit.
 */
export async function bumpLoginAttempt(
  db: Executor,
  seen: Pick<LoginAttempt, 'key' | 'failures' | 'last_failure_at'>,
  next: { failures: number; first_failure_at: string; last_failure_at: string; locked_until: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable('login_attempts')
    .set(next)
    .where('key', '=', seen.key)
    .where('failures', '=', seen.failures)
    .where('last_failure_at', '=', seen.last_failure_at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A success from an address takes back the failure counted for it in advance. */
export async function takeBackLoginAttempt(db: Executor, key: string): Promise<void> {
  await db
    .updateTable('login_attempts')
    .set((eb) => ({ failures: eb('failures', '-', 1) }))
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

export async function deleteLoginAttempt(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_attempts').where('key', '=', key).execute();
}

/** Rows whose window has passed and that lock nothing any more. */
export async function deleteStaleLoginAttempts(db: Executor, quietSinceIso: string, nowIso: string): Promise<number> {
  const result = await db
    .deleteFrom('login_attempts')
    .where('last_failure_at', '<', quietSinceIso)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', nowIso)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
