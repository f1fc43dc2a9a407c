import type { Kysely } from 'kysely';
import type { Database, Role, User } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { deleteInvitation, findInvitationByHash, insertInvitation, listOpenInvitations, useInvitation } from '../data/invitations.js';
import { AppError, invalid, notFound } from '../errors.js';
import { enqueueMail } from './mail/queue.js';
import { STAFF_ROLES } from './permissions.js';
import { newSecret, sha256 } from './tokens.js';
import { createUser, isEmail } from './users.js';

/** An invitation link opens for this long, once. */
export const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface LinkOptions {
  /** BASE_URL: links in mails and on screen are absolute. */
  baseUrl: string;
  /** Whether mail is configured (SMTP_URL); the link is always shown to copy as well. */
  mail: boolean;
  siteName: string;
}

export interface CreatedInvitation {
  id: number;
  role: Role;
  email: string | null;
  url: string;
  expiresAt: string;
  mailed: boolean;
}

export async function createInvitation(
  db: Executor,
  inviter: { id: number; display_name: string },
  input: { role?: string; email?: string },
  options: LinkOptions,
  now = new Date(),
): Promise<CreatedInvitation> {
  const role = (input.role ?? '').trim() as Role;
  const email = (input.email ?? '').trim().toLowerCase() || null;
  const errors: Record<string, string> = {};
  if (!STAFF_ROLES.includes(role)) errors.role = `Choose one of ${STAFF_ROLES.join(', ')}`;
  if (email && !isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  if (Object.keys(errors).length) throw invalid(errors);
  const token = newSecret();
  const expiresAt = new Date(now.getTime() + INVITATION_TTL_MS).toISOString();
  const id = await insertInvitation(db, {
    token_hash: sha256(token),
    role,
    email,
    created_by: inviter.id,
    created_at: now.toISOString(),
    expires_at: expiresAt,
  });
  const url = `${options.baseUrl}/invite/${token}`;
  let mailed = false;
  if (email && options.mail) {
    mailed = await enqueueMail(
      db,
      {
        kind: 'invite',
        to: email,
        subject: `You are invited to ${options.siteName}`,
        text:
          `${inviter.display_name} invites you to join ${options.siteName} as ${role === 'admin' ? 'an' : 'a'} ${role}.\n\n` +
          `Choose your username and password here (the link works once, for 7 days):\n${url}\n\n` +
          `If you did not expect this, ignore this mail.\n`,
      },
      now,
    );
  }
  return { id, role, email, url, expiresAt, mailed };
}

/** The invitation behind a link, while it can still be used; otherwise a 404 that says why. */
export async function findUsableInvitation(db: Executor, token: string, now = new Date()) {
  const invitation = await findInvitationByHash(db, sha256(token));
  if (!invitation) throw notFound('Invitation');
  if (invitation.used_at) throw new AppError(404, 'not_found', 'This invitation has already been used. Sign in, or ask an administrator for a new one.');
  if (invitation.expires_at <= now.toISOString()) {
    throw new AppError(404, 'not_found', 'This invitation has expired (they last 7 days). Ask an administrator for a new one.');
  }
  return invitation;
}

export interface AcceptInput {
  username?: string;
  display_name?: string;
  email?: string;
  password?: string;
  password_confirm?: string;
}

/** Creates the invited account and spends the invitation, together or not at all. */
export async function acceptInvitation(db: Kysely<Database>, token: string, input: AcceptInput, cost: number, now = new Date()): Promise<User> {
  return db.transaction().execute(async (trx) => {
    const invitation = await findUsableInvitation(trx, token, now);
    const password = input.password ?? '';
    const mismatch: Record<string, string> = password !== (input.password_confirm ?? '') ? { password_confirm: 'The two passwords differ' } : {};
    const user = await createUser(
      trx,
      { username: input.username, display_name: input.display_name, email: input.email?.trim() || invitation.email, role: invitation.role, password },
      cost,
      mismatch,
    );
    if (!(await useInvitation(trx, invitation.id, user.id, now.toISOString()))) {
      throw new AppError(404, 'not_found', 'This invitation has just been used or has expired. Ask an administrator for a new one.');
    }
    return user;
  });
}

export const openInvitations = (db: Executor, now = new Date()) => listOpenInvitations(db, now.toISOString());

export async function revokeInvitation(db: Executor, id: number): Promise<void> {
  if (!(await deleteInvitation(db, id))) throw notFound('Invitation');
}
