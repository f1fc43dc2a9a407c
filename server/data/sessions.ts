import type { Executor } from './executor.js';

export async function insertSession(
  db: Executor,
  row: { id: string; user_id: number; created_at: string; last_seen_at: string; expires_at: string },
): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/** The session and its user in one read; disabled users have no sessions. */
export const findSessionWithUser = (db: Executor, idHash: string) =>
  db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id as session_id',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at',
      'sessions.expires_at',
    ])
    .selectAll('users')
    .where('sessions.id', '=', idHash)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();

export async function touchSession(db: Executor, idHash: string, lastSeenAt: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: lastSeenAt }).where('id', '=', idHash).execute();
}

export async function deleteSession(db: Executor, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', idHash).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function deleteExpiredSessions(db: Executor, nowIso: string, idleBeforeIso: string): Promise<number> {
  const result = await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', nowIso), eb('last_seen_at', '<=', idleBeforeIso)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** After a password change: every session of the user but the one that changed it. */
export async function deleteOtherSessionsOfUser(db: Executor, userId: number, keepIdHash: string | null): Promise<number> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepIdHash) query = query.where('id', '!=', keepIdHash);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
