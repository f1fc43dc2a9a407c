import type { Kysely } from 'kysely';
import type { Database, Role, User } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import {
  countOwnedContent,
  deleteUserKeepingAnAdmin,
  findUserById,
  listUsersWithCounts,
  lockActiveAdmins,
  reassignOwnedContent,
  updateUser,
  updateUserKeepingAnAdmin,
} from '../data/users.js';
import { deleteOtherSessionsOfUser, deleteSessionsOfUser } from '../data/sessions.js';
import { deleteUnusedPasswordResets, revokeTokensOfUser } from '../data/tokens.js';
import { conflict, invalid, notFound } from '../errors.js';
import { can, ROLES } from './permissions.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';

/**
 * Staff management (issue 12): roles, disabling, deleting, passwords. One rule above all:
 * the site always keeps an active administrator, checked inside the statement that would
 * break it (see data/users.ts), so it holds under concurrent requests too.
 */

export type Person = Awaited<ReturnType<typeof listUsersWithCounts>>[number];

export const listPeople = async (db: Executor): Promise<Person[]> =>
  (await listUsersWithCounts(db)).map((p) => ({ ...p, post_count: Number(p.post_count), comment_count: Number(p.comment_count) }));

export async function getPerson(db: Executor, id: number): Promise<User> {
  const user = await findUserById(db, id);
  if (!user) throw notFound('User');
  return user;
}

const lastAdmin = (user: Pick<User, 'display_name' | 'username'>) =>
  conflict(`${user.display_name} (${user.username}) is the last active administrator. Make another user an administrator first.`);

/** Cuts a person off at once: sessions deleted, API tokens revoked, reset links voided. */
async function endAccess(db: Executor, userId: number, at: string): Promise<void> {
  await deleteSessionsOfUser(db, userId);
  await revokeTokensOfUser(db, userId, at);
  await deleteUnusedPasswordResets(db, userId);
}

export async function changeRole(db: Kysely<Database>, id: number, role: string, now = new Date()): Promise<User> {
  if (!ROLES.includes(role as Role)) throw invalid({ role: `Choose one of ${ROLES.join(', ')}` });
  return db.transaction().execute(async (trx) => {
    await lockActiveAdmins(trx);
    const user = await getPerson(trx, id);
    if (user.role === role) return user;
    if (!(await updateUserKeepingAnAdmin(trx, id, { role: role as Role }))) throw lastAdmin(user);
    // API tokens are for staff; a patron keeps none.
    if (!can(role as Role, 'staff-area')) await revokeTokensOfUser(trx, id, now.toISOString());
    return { ...user, role: role as Role };
  });
}

export async function disableUser(db: Kysely<Database>, id: number, now = new Date()): Promise<User> {
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    await lockActiveAdmins(trx);
    const user = await getPerson(trx, id);
    if (!user.disabled_at && !(await updateUserKeepingAnAdmin(trx, id, { disabled_at: at }))) throw lastAdmin(user);
    await endAccess(trx, id, at);
    return { ...user, disabled_at: user.disabled_at ?? at };
  });
}

export async function enableUser(db: Executor, id: number): Promise<User> {
  const user = await getPerson(db, id);
  if (user.disabled_at) await updateUser(db, id, { disabled_at: null });
  return { ...user, disabled_at: null };
}

/** Who may receive a departing user's posts: active staff who can write. */
export async function reassignCandidates(db: Executor, exceptId: number): Promise<Person[]> {
  return (await listPeople(db)).filter((p) => p.id !== exceptId && !p.disabled_at && can(p.role, 'write-posts'));
}

/**
 * Deletes an account. Their posts and uploads go to `reassignTo` (required when they have
 * any); their comments stay, text and name as written, no longer linked to an account.
 */
export async function deleteUser(db: Kysely<Database>, id: number, reassignTo: number | null): Promise<{ reassigned: number }> {
  return db.transaction().execute(async (trx) => {
    await lockActiveAdmins(trx);
    const user = await getPerson(trx, id);
    const owned = await countOwnedContent(trx, id);
    if (owned.posts + owned.uploads > 0) {
      if (reassignTo === null) {
        const what = owned.posts === 1 ? '1 post' : `${owned.posts} posts`;
        throw invalid({ reassign_to: `${user.display_name} has ${what} and ${owned.uploads} uploads: choose who takes them over` });
      }
      const target = await findUserById(trx, reassignTo);
      if (!target || target.id === id || target.disabled_at || !can(target.role, 'write-posts')) {
        throw invalid({ reassign_to: 'Choose an active admin, editor or author other than the user being deleted' });
      }
      await reassignOwnedContent(trx, id, target.id);
    }
    // comments.user_id is ON DELETE SET NULL: the comments stay as written.
    if (!(await deleteUserKeepingAnAdmin(trx, id))) throw lastAdmin(user);
    return { reassigned: owned.posts };
  });
}

export interface PasswordChange {
  current?: string;
  password?: string;
  password_confirm?: string;
}

/**
 * Stores a new password hash (hashed beforehand: scrypt is slow and must not hold a write
 * transaction open) and ends every other session of the user; the given one stays.
 */
export async function setPasswordHash(db: Executor, userId: number, passwordHash: string, keepSessionHash: string | null): Promise<void> {
  await updateUser(db, userId, { password_hash: passwordHash });
  await deleteOtherSessionsOfUser(db, userId, keepSessionHash);
  await deleteUnusedPasswordResets(db, userId);
}

/** Checks a new password typed twice; the errors name the form's fields. */
export function newPasswordErrors(password: string, confirm: string): Record<string, string> {
  const errors: Record<string, string> = {};
  const weak = passwordProblem(password);
  if (weak) errors.password = weak;
  else if (password !== confirm) errors.password_confirm = 'The two passwords differ';
  return errors;
}

/** A signed-in person changes their own password: the current one is required. */
export async function changeOwnPassword(db: Executor, userId: number, input: PasswordChange, cost: number, sessionHash: string | null): Promise<void> {
  const user = await getPerson(db, userId);
  const errors = newPasswordErrors(input.password ?? '', input.password_confirm ?? '');
  const currentOk = user.password_hash ? await verifyPassword(input.current ?? '', user.password_hash) : false;
  if (!currentOk) errors.current = 'That is not your current password';
  else if (!errors.password && input.password === input.current) errors.password = 'Choose a password different from the current one';
  if (Object.keys(errors).length) throw invalid(errors);
  await setPasswordHash(db, userId, await hashPassword(input.password!, cost), sessionHash);
}
