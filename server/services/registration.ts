import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, User } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { nowIso } from '../data/executor.js';
import { findUserById, findUserByUsername, findUsersByEmail, insertUser, updateUser } from '../data/users.js';
import { commentsOfUser } from '../data/privacy.js';
import { AppError, forbidden, invalid, notFound } from '../errors.js';
import type { SessionUser } from './auth.js';
import { enqueueMail, signToken, verifyToken } from './mail/queue.js';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import { newPasswordErrors } from './people.js';
import { erasePersonalData, type EraseResult } from './privacy.js';
import type { LinkOptions } from './invitations.js';
import { isEmail } from './users.js';

/**
 * Patron accounts (issue 12): register with name, email and password; confirm the address
 * through a signed link; then comment under the account. Open only while the
 * patron_registration setting is on.
 */

/** A confirmation link works for this long; a new one can be sent from /account. */
export const CONFIRM_TTL_MS = 7 * 24 * 3600 * 1000;
const CONFIRM_PURPOSE = 'confirm-email';

export interface Registration {
  name?: string;
  email?: string;
  password?: string;
  password_confirm?: string;
}

/** Patrons sign in by email; the username is an internal, random handle no one sees. */
async function freeUsername(db: Executor): Promise<string> {
  for (;;) {
    const candidate = `patron-${randomBytes(5).toString('hex')}`;
    if (!(await findUserByUsername(db, candidate))) return candidate;
  }
}

export async function registerPatron(db: Executor, input: Registration, cost: number, now = new Date()): Promise<User> {
  const name = (input.name ?? '').trim();
  const email = (input.email ?? '').trim().toLowerCase();
  const errors: Record<string, string> = newPasswordErrors(input.password ?? '', input.password_confirm ?? '');
  if (!name) errors.name = 'Give the name to show with your comments';
  else if (name.length > 100) errors.name = 'Use at most 100 characters';
  if (!isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  else if ((await findUsersByEmail(db, email)).length) errors.email = 'An account already uses this address. Sign in, or reset your password.';
  if (Object.keys(errors).length) throw invalid(errors);
  return insertUser(db, {
    username: await freeUsername(db),
    email,
    display_name: name,
    role: 'patron',
    password_hash: await hashPassword(input.password!, cost),
    bio_md: '',
    bio_html: '',
    created_at: now.toISOString(),
    email_confirmed_at: null,
  });
}

/** The signed, login-free link that proves the address; it names the address it confirms. */
export function confirmationUrl(secret: string, baseUrl: string, user: Pick<User, 'id' | 'email'>, now = new Date()): string {
  const token = signToken(secret, CONFIRM_PURPOSE, { uid: user.id, email: user.email, exp: now.getTime() + CONFIRM_TTL_MS });
  return `${baseUrl}/account/confirm/${token}`;
}

/** Queues the confirmation mail; false when mail is not set up on this site. */
export async function sendConfirmation(db: Executor, secret: string, options: LinkOptions, user: Pick<User, 'id' | 'email' | 'display_name'>, now = new Date()): Promise<boolean> {
  if (!options.mail || !user.email) return false;
  const url = confirmationUrl(secret, options.baseUrl, user, now);
  return enqueueMail(
    db,
    {
      kind: 'confirm-email',
      to: user.email,
      subject: `Confirm your email address for ${options.siteName}`,
      text:
        `Hello ${user.display_name},\n\nConfirm your address to start commenting on ${options.siteName}:\n${url}\n\n` +
        `The link works for 7 days. If you did not create an account, ignore this mail.\n`,
    },
    now,
  );
}

export async function confirmEmail(db: Executor, secret: string, token: string, now = new Date()): Promise<User> {
  const payload = verifyToken<{ uid?: number; email?: string; exp?: number }>(secret, CONFIRM_PURPOSE, token);
  const bad = () => new AppError(404, 'not_found', 'This confirmation link is not valid, or has expired. Sign in and ask for a new one.');
  if (!payload || typeof payload.uid !== 'number' || typeof payload.exp !== 'number' || payload.exp <= now.getTime()) throw bad();
  const user = await findUserById(db, payload.uid);
  // A link for an address the account no longer has confirms nothing.
  if (!user || user.disabled_at || !user.email || user.email !== payload.email) throw bad();
  if (!user.email_confirmed_at) await updateUser(db, user.id, { email_confirmed_at: now.toISOString() });
  return { ...user, email_confirmed_at: user.email_confirmed_at ?? now.toISOString() };
}

/** Staff may confirm a patron by hand when the site cannot send mail. */
export async function markEmailConfirmed(db: Executor, userId: number): Promise<void> {
  const user = await findUserById(db, userId);
  if (!user) throw notFound('User');
  if (!user.email_confirmed_at) await updateUser(db, userId, { email_confirmed_at: nowIso() });
}

export const CONFIRM_FIRST =
  'Confirm your email address before commenting: follow the link we sent you, or ask for a new one on your account page.';

/** Why this signed-in person may not comment yet, or null when they may. */
export function commentBlock(user: Pick<SessionUser, 'role' | 'email_confirmed_at'> | null): AppError | null {
  if (user && user.role === 'patron' && !user.email_confirmed_at) return forbidden(CONFIRM_FIRST);
  return null;
}

/**
 * Signs a patron in by email (or username) and password. Takes as long whether an account
 * exists or not; several accounts may share an address, so each is tried.
 */
export async function checkAccountCredentials(db: Executor, login: string, password: string, cost: number): Promise<User | null> {
  const wanted = login.trim();
  const candidates = wanted.includes('@') ? await findUsersByEmail(db, wanted) : [await findUserByUsername(db, wanted.toLowerCase())].filter((u): u is User => !!u);
  if (candidates.length === 0) {
    await verifyPassword(password, await decoyPasswordHash(cost));
    return null;
  }
  for (const user of candidates) {
    if (user.password_hash && (await verifyPassword(password, user.password_hash)) && !user.disabled_at) return user;
  }
  return null;
}

export async function renamePatron(db: Executor, userId: number, rawName: string): Promise<void> {
  const name = rawName.trim();
  if (!name) throw invalid({ display_name: 'Give the name to show with your comments' });
  if (name.length > 100) throw invalid({ display_name: 'Use at most 100 characters' });
  await updateUser(db, userId, { display_name: name });
}

/** The account's own comments, every status, newest first. */
export const ownComments = (db: Executor, userId: number) => commentsOfUser(db, userId);

/**
 * Closes a patron's account: the privacy tool's erasure with comments anonymised, so the
 * conversations they took part in stay readable. The password is asked again.
 */
export async function closeAccount(db: Kysely<Database>, userId: number, password: string, now = new Date()): Promise<EraseResult> {
  const user = await findUserById(db, userId);
  if (!user) throw notFound('Account');
  if (user.role !== 'patron') throw forbidden('Staff accounts are closed by an administrator');
  if (!user.password_hash || !(await verifyPassword(password, user.password_hash))) throw invalid({ close_password: 'That is not your password' });
  // Comments from an account without an address carry its placeholder (services/comments.ts).
  const email = user.email ?? `${user.username}@users.invalid`;
  return erasePersonalData(db, { id: null, display_name: 'account holder' }, email, 'anonymise', now, { action: 'close-account', userIds: [user.id] });
}
