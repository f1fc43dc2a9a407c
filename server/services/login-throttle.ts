import { createHmac } from 'node:crypto';
import type { Executor } from '../data/executor.js';
import {
  bumpLoginAttempt,
  deleteLoginAttempt,
  deleteStaleLoginAttempts,
  findLoginAttempt,
  insertLoginAttempt,
  takeBackLoginAttempt,
} from '../data/login-attempts.js';

/**
 * Sign-in throttling (issue 5). Failures are counted per account (the name typed, whether
 * or not such an account exists, so the answer never tells) and per client IP. After a few
 * free failures every further one locks the key for twice as long as the last, up to a
 * cap: one account gets about 4 guesses an hour once the cap is reached, whoever sends
 * them and from however many addresses. The counts live in the database, so they hold
 * across restarts and across instances.
 *
 * A failure is counted before the password is checked (and taken back on success), with a
 * compare-and-swap, so parallel guesses cannot all pass while the count is still low.
 */

export interface ThrottleRule {
  /** Failures allowed before the first lock. */
  free: number;
  /** The first lock; each further failure doubles it. */
  baseMs: number;
  maxMs: number;
}

export const LOGIN_THROTTLE = {
  account: { free: 5, baseMs: 1_000, maxMs: 15 * 60_000 } as ThrottleRule,
  // Libraries put many people behind one address: more room, same growth.
  ip: { free: 20, baseMs: 1_000, maxMs: 15 * 60_000 } as ThrottleRule,
  /** A key's count starts again after this long without a failure. */
  windowMs: 24 * 3600_000,
};

/** How long a key stays locked after its `failures`-th failure. */
export function lockMs(failures: number, rule: ThrottleRule): number {
  if (failures < rule.free) return 0;
  return Math.min(rule.baseMs * 2 ** Math.min(failures - rule.free, 30), rule.maxMs);
}

export interface LoginSource {
  /** The username or email address as typed. */
  login: string;
  /** The client address (request.ip, which honours TRUST_PROXY). */
  ip: string;
}

interface Key {
  key: string;
  rule: ThrottleRule;
}

/** Keyed hashes only: the table never holds a typed name (perhaps a password typed in the wrong box) or an IP. */
const keyedHash = (secret: string, purpose: string, value: string) => createHmac('sha256', secret).update(`${purpose}:${value}`).digest('hex').slice(0, 32);

export function throttleKeys(secret: string, source: LoginSource): { account: Key; ip: Key } {
  const login = source.login.normalize('NFKC').trim().toLowerCase();
  return {
    account: { key: `account:${keyedHash(secret, 'login-account', login)}`, rule: LOGIN_THROTTLE.account },
    ip: { key: `ip:${keyedHash(secret, 'login-ip', source.ip)}`, rule: LOGIN_THROTTLE.ip },
  };
}

export type LoginGate = { allowed: true; accountKey: string; ipKey: string } | { allowed: false; retryAfterS: number };

const retryAfter = (lockedUntil: string, now: Date) => Math.max(1, Math.ceil((Date.parse(lockedUntil) - now.getTime()) / 1000));
const lockedAt = (lockedUntil: string | null, now: Date) => lockedUntil !== null && Date.parse(lockedUntil) > now.getTime();

/** Counts one failure in advance; returns the seconds to wait instead when the key is locked. */
async function reserve(db: Executor, { key, rule }: Key, now: Date): Promise<number | null> {
  const iso = now.toISOString();
  const lockAfter = (failures: number) => {
    const ms = lockMs(failures, rule);
    return ms > 0 ? new Date(now.getTime() + ms).toISOString() : null;
  };
  for (let attempt = 0; attempt < 10; attempt++) {
    const row = await findLoginAttempt(db, key);
    if (!row) {
      if (await insertLoginAttempt(db, { key, failures: 1, first_failure_at: iso, last_failure_at: iso, locked_until: lockAfter(1) })) return null;
      continue;
    }
    if (lockedAt(row.locked_until, now)) return retryAfter(row.locked_until!, now);
    const quiet = Date.parse(row.last_failure_at) + LOGIN_THROTTLE.windowMs <= now.getTime();
    const failures = quiet ? 1 : row.failures + 1;
    const next = { failures, first_failure_at: quiet ? iso : row.first_failure_at, last_failure_at: iso, locked_until: lockAfter(failures) };
    if (await bumpLoginAttempt(db, row, next)) return null;
  }
  // Many requests racing for one key: that is itself a flood.
  return 1;
}

/**
 * Before checking a password: refuses while the account or the address is locked, and
 * otherwise counts the attempt as a failure until leaveLogin says it succeeded.
 */
export async function enterLogin(db: Executor, secret: string, source: LoginSource, now = new Date()): Promise<LoginGate> {
  const keys = throttleKeys(secret, source);
  await deleteStaleLoginAttempts(db, new Date(now.getTime() - LOGIN_THROTTLE.windowMs).toISOString(), now.toISOString());
  // Look first, so a locked key costs no write.
  const [account, ip] = await Promise.all([findLoginAttempt(db, keys.account.key), findLoginAttempt(db, keys.ip.key)]);
  const waits = [account, ip].filter((row) => row && lockedAt(row.locked_until, now)).map((row) => retryAfter(row!.locked_until!, now));
  if (waits.length) return { allowed: false, retryAfterS: Math.max(...waits) };
  const ipWait = await reserve(db, keys.ip, now);
  if (ipWait !== null) return { allowed: false, retryAfterS: ipWait };
  const accountWait = await reserve(db, keys.account, now);
  if (accountWait !== null) {
    await takeBackLoginAttempt(db, keys.ip.key);
    return { allowed: false, retryAfterS: accountWait };
  }
  return { allowed: true, accountKey: keys.account.key, ipKey: keys.ip.key };
}

/** After the check: a success clears the account's count and takes back the address's. */
export async function leaveLogin(db: Executor, gate: Extract<LoginGate, { allowed: true }>, succeeded: boolean): Promise<void> {
  if (!succeeded) return;
  await deleteLoginAttempt(db, gate.accountKey);
  await takeBackLoginAttempt(db, gate.ipKey);
}

/** "Wait 2 minutes", for the sign-in page. */
export function throttleMessage(retryAfterS: number): string {
  const wait = retryAfterS < 90 ? `${retryAfterS} second${retryAfterS === 1 ? '' : 's'}` : `${Math.ceil(retryAfterS / 60)} minutes`;
  return `Too many failed sign-ins. Wait ${wait}, then try again.`;
}
