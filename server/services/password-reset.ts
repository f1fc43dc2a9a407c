import type { Kysely } from 'kysely';
import type { Database, User } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { deleteUnusedPasswordResets, findPasswordReset, insertPasswordReset, usePasswordReset } from '../data/tokens.js';
import { findUserById, findUserByUsername, findUsersByEmail } from '../data/users.js';
import { AppError, invalid } from '../errors.js';
import { enqueueMail } from './mail/queue.js';
import { newPasswordErrors, setPasswordHash } from './people.js';
import { hashPassword } from './passwords.js';
import { newSecret, sha256 } from './tokens.js';
import type { LinkOptions } from './invitations.js';

/** A reset link works once, for an hour. */
export const RESET_TTL_MS = 3600 * 1000;

export interface ResetLink {
  url: string;
  expiresAt: string;
}

/** A fresh link for the user; any earlier unused link stops working. Only its hash is kept. */
export async function createResetLink(db: Executor, userId: number, baseUrl: string, now = new Date()): Promise<ResetLink> {
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + RESET_TTL_MS).toISOString();
  await deleteUnusedPasswordResets(db, userId);
  await insertPasswordReset(db, { user_id: userId, token_hash: sha256(token), created_at: now.toISOString(), expires_at: expiresAt });
  return { url: `${baseUrl}/admin/reset/${token}`, expiresAt };
}

/**
 * "Forgot password": mails a link to the account(s) matching a username or an email. Says
 * nothing about whether one matched, so the form cannot be used to find out who has an account.
 */
export async function requestPasswordReset(db: Executor, identifier: string, options: LinkOptions, now = new Date()): Promise<void> {
  const wanted = identifier.trim();
  if (!wanted) throw invalid({ login: 'Give your username or email address' });
  if (!options.mail) return;
  const candidates = wanted.includes('@') ? await findUsersByEmail(db, wanted) : [await findUserByUsername(db, wanted.toLowerCase())];
  for (const user of candidates) {
    if (!user || user.disabled_at || !user.email) continue;
    const link = await createResetLink(db, user.id, options.baseUrl, now);
    await enqueueMail(
      db,
      {
        kind: 'password-reset',
        to: user.email,
        subject: `Reset your password for ${options.siteName}`,
        text:
          `Someone (we hope you) asked to reset the password of the account "${user.username}" on ${options.siteName}.\n\n` +
          `Choose a new password here. The link works once, within an hour:\n${link.url}\n\n` +
          `If it was not you, ignore this mail: your password stays as it is.\n`,
      },
      now,
    );
  }
}

const expired = () => new AppError(404, 'not_found', 'This reset link has expired or has already been used. Ask for a new one.');

/** The account behind a reset link while the link still works. */
export async function findResetUser(db: Executor, token: string, now = new Date()): Promise<User> {
  const reset = await findPasswordReset(db, sha256(token));
  if (!reset || reset.used_at || reset.expires_at <= now.toISOString()) throw expired();
  const user = await findUserById(db, reset.user_id);
  if (!user || user.disabled_at) throw expired();
  return user;
}

/** Spends the link and sets the password; every session of the account ends. */
export async function resetPassword(
  db: Kysely<Database>,
  token: string,
  input: { password?: string; password_confirm?: string },
  cost: number,
  now = new Date(),
): Promise<User> {
  const user = await findResetUser(db, token, now);
  const errors = newPasswordErrors(input.password ?? '', input.password_confirm ?? '');
  if (Object.keys(errors).length) throw invalid(errors);
  const hash = await hashPassword(input.password!, cost);
  return db.transaction().execute(async (trx) => {
    const reset = await findPasswordReset(trx, sha256(token));
    if (!reset || !(await usePasswordReset(trx, reset.id, now.toISOString()))) throw expired();
    await setPasswordHash(trx, user.id, hash, null);
    return user;
  });
}
