import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../../data/executor.js';

/**
 * Mail leaves through a queue in the database: the request that causes a mail only inserts a
 * row, so a slow or broken SMTP server never slows or breaks it, and nothing is lost across a
 * restart. The sender (services/mail/sender.ts) delivers and retries.
 */
export interface OutgoingMail {
  kind: string;
  to: string;
  subject: string;
  text: string;
  html?: string | null;
  headers?: Record<string, string>;
  /** Same key twice → queued once ("never twice for the same event"). */
  dedupeKey?: string | null;
}

/** CR/LF in a header is how header injection works; no header value may contain one. */
export function headerSafe(value: string): string {
  return value.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

/** Queues a mail; returns false when the dedupe key was already used. */
export async function enqueueMail(db: Executor, mail: OutgoingMail, now = new Date()): Promise<boolean> {
  const iso = now.toISOString();
  const headers = Object.fromEntries(Object.entries(mail.headers ?? {}).map(([k, v]) => [headerSafe(k), headerSafe(v)]));
  const result = await db
    .insertInto('mail_queue')
    .values({
      kind: mail.kind,
      to_address: headerSafe(mail.to),
      subject: headerSafe(mail.subject),
      text_body: mail.text,
      html_body: mail.html ?? null,
      headers: JSON.stringify(headers),
      dedupe_key: mail.dedupeKey ?? null,
      status: 'queued',
      attempts: 0,
      next_attempt_at: iso,
      created_at: iso,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Mail is on only when SMTP_URL is set. */
export function mailEnabled(config: { smtpUrl: string | null }): boolean {
  return config.smtpUrl !== null;
}

/**
 * Signed, login-free links (unsubscribe, confirm email): `<payload>.<signature>`, with the
 * payload in base64url JSON. Verified in constant time.
 */
export function signToken(secret: string, purpose: string, payload: Record<string, unknown>): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = createHmac('sha256', secret).update(`${purpose}.${body}`).digest('base64url');
  return `${body}.${mac}`;
}

export function verifyToken<T = Record<string, unknown>>(secret: string, purpose: string, token: string): T | null {
  const [body, mac] = token.split('.');
  if (!body || !mac) return null;
  const expected = createHmac('sha256', secret).update(`${purpose}.${body}`).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}
