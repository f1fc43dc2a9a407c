import type { Executor } from '../data/executor.js';
import { findUserByUsername, updateUser } from '../data/users.js';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteSessionsOfUser,
  findSessionWithUser,
  insertSession,
  touchSession,
} from '../data/sessions.js';
import { findLiveTokenWithUser, touchToken } from '../data/tokens.js';
import type { User } from '../db/schema.js';
import { decoyPasswordHash, verifyPassword } from './passwords.js';
import { newSecret, sha256 } from './tokens.js';
import { enterLogin, leaveLogin, type LoginSource } from './login-throttle.js';

/** Sessions end after this long without use, and this long after login whatever happens. */
export const SESSION_IDLE_MS = 7 * 24 * 3600 * 1000;
export const SESSION_ABSOLUTE_MS = 30 * 24 * 3600 * 1000;
/** last_seen_at is written at most this often, so reading pages does not write. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export type SessionUser = Omit<User, 'password_hash'>;

/** The user the credentials belong to, or null. Takes as long whether the user exists or not. */
export async function checkCredentials(db: Executor, username: string, password: string, cost: number): Promise<User | null> {
  // Usernames are stored lower-case (services/users.ts), whatever case was typed.
  const user = await findUserByUsername(db, username.trim().toLowerCase());
  const hash = user?.password_hash ?? (await decoyPasswordHash(cost));
  const ok = await verifyPassword(password, hash);
  if (!ok || !user || !user.password_hash || user.disabled_at) return null;
  return user;
}

export type SignInResult<U> = { user: U; retryAfterS: null } | { user: null; retryAfterS: number | null };

/**
 * Every sign-in form goes through here, around its own credential check: throttled per
 * account and per client IP (services/login-throttle.ts). `retryAfterS` is set when the
 * attempt was refused unchecked (answer 429 with Retry-After); null user and null wait is
 * a plain wrong name or password. Both answers are the same whether the account exists.
 */
export async function throttledSignIn<U>(
  db: Executor,
  secret: string,
  source: LoginSource,
  check: () => Promise<U | null>,
  now = new Date(),
): Promise<SignInResult<U>> {
  const gate = await enterLogin(db, secret, source, now);
  if (!gate.allowed) return { user: null, retryAfterS: gate.retryAfterS };
  const user = await check();
  await leaveLogin(db, gate, user !== null);
  return user === null ? { user: null, retryAfterS: null } : { user, retryAfterS: null };
}

/** Starts a session; returns the cookie value (the database keeps only its hash). */
export async function startSession(db: Executor, userId: number, now = new Date()): Promise<string> {
  const token = newSecret();
  const iso = now.toISOString();
  await insertSession(db, {
    id: sha256(token),
    user_id: userId,
    created_at: iso,
    last_seen_at: iso,
    expires_at: new Date(now.getTime() + SESSION_ABSOLUTE_MS).toISOString(),
  });
  await updateUser(db, userId, { last_login_at: iso });
  return token;
}

export interface ResolvedSession {
  user: SessionUser;
  sessionHash: string;
}

/** The signed-in user behind a cookie value, or null when unknown, expired, idle or disabled. */
export async function resolveSession(db: Executor, token: string, now = new Date()): Promise<ResolvedSession | null> {
  const idHash = sha256(token);
  const row = await findSessionWithUser(db, idHash);
  if (!row) return null;
  const nowMs = now.getTime();
  const lastSeen = Date.parse(row.last_seen_at);
  if (Date.parse(row.expires_at) <= nowMs || lastSeen + SESSION_IDLE_MS <= nowMs) {
    await deleteSession(db, idHash);
    return null;
  }
  if (nowMs - lastSeen > TOUCH_INTERVAL_MS) await touchSession(db, idHash, now.toISOString());
  const { session_id: _s, session_created_at: _c, last_seen_at: _l, expires_at: _e, password_hash: _p, ...user } = row;
  return { user, sessionHash: idHash };
}

export async function endSession(db: Executor, token: string): Promise<void> {
  await deleteSession(db, sha256(token));
}

export const endAllSessionsOf = deleteSessionsOfUser;

export async function purgeExpiredSessions(db: Executor, now = new Date()): Promise<number> {
  return deleteExpiredSessions(db, now.toISOString(), new Date(now.getTime() - SESSION_IDLE_MS).toISOString());
}

/** The user behind an API token, or null when unknown, revoked or disabled. */
export async function resolveApiToken(db: Executor, token: string, now = new Date()): Promise<SessionUser | null> {
  const row = await findLiveTokenWithUser(db, sha256(token));
  if (!row) return null;
  if (!row.last_used_at || now.getTime() - Date.parse(row.last_used_at) > TOUCH_INTERVAL_MS) {
    await touchToken(db, row.token_id, now.toISOString());
  }
  const { token_id: _t, last_used_at: _l, password_hash: _p, ...user } = row;
  return user;
}
