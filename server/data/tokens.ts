import type { Executor } from './executor.js';

export async function insertToken(
  db: Executor,
  row: { user_id: number; name: string; token_hash: string; created_at: string },
): Promise<number> {
  const inserted = await db.insertInto('api_tokens').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/** A live token and its (enabled) owner. */
export const findLiveTokenWithUser = (db: Executor, tokenHash: string) =>
  db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id as token_id', 'api_tokens.last_used_at'])
    .selectAll('users')
    .where('api_tokens.token_hash', '=', tokenHash)
    .where('api_tokens.revoked_at', 'is', null)
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();

export const listTokens = (db: Executor, userId?: number) => {
  let query = db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select([
      'api_tokens.id',
      'api_tokens.name',
      'api_tokens.created_at',
      'api_tokens.last_used_at',
      'api_tokens.revoked_at',
      'api_tokens.user_id',
      'users.username',
    ])
    .orderBy('api_tokens.id', 'desc');
  if (userId !== undefined) query = query.where('api_tokens.user_id', '=', userId);
  return query.execute();
};

export const findToken = (db: Executor, id: number) =>
  db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();

export async function revokeToken(db: Executor, id: number, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

export async function touchToken(db: Executor, id: number, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** Ends every live API token of a user at once (disabled, or no longer staff). */
export async function revokeTokensOfUser(db: Executor, userId: number, at: string): Promise<number> {
  const result = await db
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/* Password reset links: only the SHA-256 of a link's token is stored. */

export async function insertPasswordReset(
  db: Executor,
  row: { user_id: number; token_hash: string; created_at: string; expires_at: string },
): Promise<void> {
  await db.insertInto('password_resets').values(row).execute();
}

export const findPasswordReset = (db: Executor, tokenHash: string) =>
  db.selectFrom('password_resets').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();

/** Marks a link used, once: false when it was already used or has expired meanwhile. */
export async function usePasswordReset(db: Executor, id: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('password_resets')
    .set({ used_at: at })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A new link, a changed password or a disabled account voids the links not yet used. */
export async function deleteUnusedPasswordResets(db: Executor, userId: number): Promise<void> {
  await db.deleteFrom('password_resets').where('user_id', '=', userId).where('used_at', 'is', null).execute();
}
