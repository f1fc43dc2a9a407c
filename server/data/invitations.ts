import type { Executor } from './executor.js';
import type { Invitation, Role } from '../db/schema.js';

export async function insertInvitation(
  db: Executor,
  row: { token_hash: string; role: Role; email: string | null; created_by: number | null; created_at: string; expires_at: string },
): Promise<number> {
  const inserted = await db.insertInto('invitations').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

export const findInvitationByHash = (db: Executor, tokenHash: string): Promise<Invitation | undefined> =>
  db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();

/** Marks an invitation used, once: false when it was used or expired meanwhile. */
export async function useInvitation(db: Executor, id: number, userId: number, at: string): Promise<boolean> {
  const result = await db
    .updateTable('invitations')
    .set({ used_at: at, used_by: userId })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Invitations still waiting to be accepted, newest first, with who sent them. */
export const listOpenInvitations = (db: Executor, now: string) =>
  db
    .selectFrom('invitations')
    .leftJoin('users', 'users.id', 'invitations.created_by')
    .select(['invitations.id', 'invitations.role', 'invitations.email', 'invitations.created_at', 'invitations.expires_at', 'users.display_name as created_by_name'])
    .where('invitations.used_at', 'is', null)
    .where('invitations.expires_at', '>', now)
    .orderBy('invitations.id', 'desc')
    .execute();

export async function deleteInvitation(db: Executor, id: number): Promise<boolean> {
  const result = await db.deleteFrom('invitations').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
