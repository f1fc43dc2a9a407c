import { PostgresAdapter } from 'kysely';
import type { Executor } from './executor.js';
import type { NewUser, Role, User, UserUpdate } from '../db/schema.js';

export const findUserById = (db: Executor, id: number) =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

export const findUserByUsername = (db: Executor, username: string) =>
  db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();

export async function countUsers(db: Executor): Promise<number> {
  const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countActiveAdmins(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertUser(db: Executor, user: NewUser): Promise<User> {
  return db.insertInto('users').values(user).returningAll().executeTakeFirstOrThrow();
}

export async function updateUser(db: Executor, id: number, changes: UserUpdate): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export const listUsers = (db: Executor) =>
  db.selectFrom('users').selectAll().orderBy('role').orderBy('username').execute();

export const listUsersByRole = (db: Executor, roles: Role[]) =>
  db.selectFrom('users').selectAll().where('role', 'in', roles).orderBy('display_name').execute();

/** Accounts with this address, compared case-insensitively (patrons sign in by email). */
export const findUsersByEmail = (db: Executor, email: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.trim().toLowerCase()))
    .orderBy('id')
    .execute();

/** The staff list: every account with its post and comment counts, in one query. */
export const listUsersWithCounts = (db: Executor) =>
  db
    .selectFrom('users')
    .select([
      'users.id',
      'users.username',
      'users.display_name',
      'users.email',
      'users.role',
      'users.disabled_at',
      'users.last_login_at',
      'users.created_at',
      'users.email_confirmed_at',
    ])
    .select((eb) => [
      eb.selectFrom('posts').select((e) => e.fn.countAll<number>().as('n')).whereRef('posts.author_id', '=', 'users.id').as('post_count'),
      eb.selectFrom('comments').select((e) => e.fn.countAll<number>().as('n')).whereRef('comments.user_id', '=', 'users.id').as('comment_count'),
    ])
    .orderBy('users.role')
    .orderBy('users.username')
    .execute();

/** Posts and uploads a user owns: both must go to someone else before the account can go. */
export async function countOwnedContent(db: Executor, userId: number): Promise<{ posts: number; uploads: number }> {
  const posts = await db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).where('author_id', '=', userId).executeTakeFirstOrThrow();
  const uploads = await db.selectFrom('uploads').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return { posts: Number(posts.n), uploads: Number(uploads.n) };
}

export async function reassignOwnedContent(db: Executor, fromId: number, toId: number): Promise<void> {
  await db.updateTable('posts').set({ author_id: toId }).where('author_id', '=', fromId).execute();
  await db.updateTable('uploads').set({ user_id: toId }).where('user_id', '=', fromId).execute();
}

/**
 * Conditions that keep one active administrator whatever happens: the row may change when it
 * is not an active admin, or when another active admin exists. Checked inside the statement,
 * so two admins demoting each other at once cannot both succeed.
 */
function notTheLastActiveAdmin(userId: number) {
  return (eb: any) =>
    eb.or([
      eb('role', '!=', 'admin'),
      eb('disabled_at', 'is not', null),
      eb.exists(
        eb
          .selectFrom('users as other')
          .select('other.id')
          .where('other.role', '=', 'admin')
          .where('other.disabled_at', 'is', null)
          .where('other.id', '!=', userId),
      ),
    ]);
}

/**
 * PostgreSQL only: locks the active admins' rows until the transaction ends, so two admins
 * demoting each other at once take turns and the second sees the first's change. (SQLite
 * has one writer at a time already.) Call inside the caller's transaction.
 */
export async function lockActiveAdmins(db: Executor): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).orderBy('id').forUpdate().execute();
}

/** Updates the user unless that would leave no active admin; false when refused. */
export async function updateUserKeepingAnAdmin(db: Executor, id: number, changes: UserUpdate): Promise<boolean> {
  const result = await db.updateTable('users').set(changes).where('id', '=', id).where(notTheLastActiveAdmin(id)).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deletes the user unless they are the last active admin; false when refused. */
export async function deleteUserKeepingAnAdmin(db: Executor, id: number): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).where(notTheLastActiveAdmin(id)).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
