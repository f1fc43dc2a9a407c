import nodemailer from 'nodemailer';
import type { Executor } from '../../data/executor.js';
import { claimDueMail, markMailFailure, markMailSent } from '../../data/mail.js';
import type { MailQueueRow } from '../../db/schema.js';

/**
 * Delivers the mail queue (services/mail/queue.ts) over SMTP, outside any request. Each round
 * claims due rows with one conditional UPDATE and a lease, so several instances, or one that
 * restarted, never send a row twice while its lease runs; a sender that died mid-send leaves a
 * lease that simply runs out, and the row goes out on a later round.
 */

/** What the sender needs of a nodemailer transport; tests may pass their own. */
export interface MailTransport {
  sendMail(message: {
    from?: string;
    to: string;
    subject: string;
    text: string;
    html?: string;
    headers?: Record<string, string>;
  }): Promise<unknown>;
  close?(): void;
}

/** After the 1st, 2nd, … failure, wait this long; after the last, the mail is 'failed'. */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 12 * 3600_000];

/** Longer than any SMTP exchange can take with the timeouts below. */
export const LEASE_MS = 5 * 60_000;
const BATCH = 20;

/** SMTP_URL, e.g. smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465. */
export function createMailTransport(smtpUrl: string): MailTransport {
  return nodemailer.createTransport({
    url: smtpUrl,
    // One connection, reused across a round: a new SMTP session per mail is slow.
    pool: true,
    maxConnections: 1,
    // Fail fast instead of hanging a round on a dead server; the row is retried later.
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 60_000,
  } as Parameters<typeof nodemailer.createTransport>[0]);
}

export interface DeliveryReport {
  sent: number;
  /** Failed this time, to be tried again later. */
  retrying: number;
  /** Failed for the last time: now 'failed', shown in /admin/mail. */
  failed: number;
}

function describeError(err: unknown): string {
  const e = err as { message?: string; responseCode?: number; response?: string; code?: string };
  const text = e.response || e.message || String(err);
  const code = e.responseCode && !text.startsWith(String(e.responseCode)) ? `${e.responseCode} ` : '';
  return `${code}${text}`.replace(/\s+/g, ' ').slice(0, 500);
}

function messageOf(row: MailQueueRow) {
  const { From: from, ...headers } = JSON.parse(row.headers) as Record<string, string>;
  return {
    ...(from ? { from } : {}),
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    ...(row.html_body ? { html: row.html_body } : {}),
    headers,
  };
}

/**
 * One delivery round: claim the mail due at `now`, send it, and settle each row: sent, or
 * retried later with backoff, or failed after the last retry. Safe to run anywhere at once.
 */
export async function deliverDueMail(db: Executor, transport: MailTransport, now = new Date(), limit = BATCH): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
  const nowIso = now.toISOString();
  const lease = new Date(now.getTime() + LEASE_MS).toISOString();
  const rows = await claimDueMail(db, nowIso, lease, limit);
  for (const row of rows) {
    try {
      await transport.sendMail(messageOf(row));
    } catch (err) {
      const attempts = row.attempts + 1;
      const delay = RETRY_DELAYS_MS[attempts - 1];
      const nextAttemptAt = delay === undefined ? null : new Date(now.getTime() + delay).toISOString();
      await markMailFailure(db, row.id, lease, { attempts, lastError: describeError(err), nextAttemptAt });
      if (nextAttemptAt) report.retrying += 1;
      else report.failed += 1;
      continue;
    }
    await markMailSent(db, row.id, lease, nowIso);
    report.sent += 1;
  }
  return report;
}

export interface MailWorkerOptions {
  /** Runs before each round (the moderator digest). */
  beforeDelivery?: (now: Date) => Promise<unknown>;
  onError: (err: unknown) => void;
  intervalMs?: number;
  /** For tests; by default a transport for config.smtpUrl. */
  transport?: MailTransport;
}

/**
 * The background sender for server.ts: a round every `intervalMs` (never two at once), more
 * rounds at once while a full batch came back. Returns stop(), which waits for the round in
 * flight so the database can be closed after it. With no SMTP_URL it does nothing.
 */
export function startMailWorker(db: Executor, config: { smtpUrl: string | null }, options: MailWorkerOptions): () => Promise<void> {
  if (!config.smtpUrl && !options.transport) return async () => {};
  const transport = options.transport ?? createMailTransport(config.smtpUrl!);
  const intervalMs = options.intervalMs ?? 15_000;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();

  const round = async () => {
    try {
      await options.beforeDelivery?.(new Date());
      // Bounded: a long queue is worked through over several ticks, not in one endless loop.
      for (let i = 0; i < 10 && !stopped; i++) {
        const report = await deliverDueMail(db, transport);
        if (report.sent + report.retrying + report.failed < BATCH) break;
      }
    } catch (err) {
      options.onError(err);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
    transport.close?.();
  };
}
