import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, makeUser, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { createTestDatabase } from '../helpers/database.js';
import { createMailTransport, deliverDueMail, LEASE_MS, RETRY_DELAYS_MS, startMailWorker, type MailTransport } from '../../server/services/mail/sender.js';
import { enqueueMail } from '../../server/services/mail/queue.js';
import { claimDueMail } from '../../server/data/mail.js';
import { addSubscription } from '../../server/data/subscriptions.js';
import { sendModeratorDigest } from '../../server/services/notifications.js';
import { deliverAll, linksIn, postComment, queueRows, rawHeader, startSmtp, TEST_ENV, type TestSmtp } from './helpers.js';

let smtp: TestSmtp;
let transport: MailTransport;

beforeAll(async () => {
  smtp = await startSmtp();
  transport = createMailTransport(smtp.url);
});
afterAll(async () => {
  transport.close?.();
  await smtp.close();
});
beforeEach(() => {
  smtp.accept();
  smtp.received.length = 0;
});

const later = (from: Date, ms: number) => new Date(from.getTime() + ms);
const mail = (to: string, n = 1) => ({ kind: 'test', to, subject: `Test ${n}`, text: `Body ${n}`, html: `<p>Body ${n}</p>`, dedupeKey: `test:${to}:${n}` });

describe('delivery from the queue', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp(TEST_ENV(smtp));
  });
  afterEach(async () => {
    await t.close();
  });
  const row = async () => (await queueRows(t))[0]!;

  it('retries with backoff while the SMTP server refuses, and delivers once after it recovers', async () => {
    const t0 = new Date();
    expect(await enqueueMail(t.db.kysely, mail('ann@example.org'), t0)).toBe(true);
    expect(await enqueueMail(t.db.kysely, mail('ann@example.org'), t0)).toBe(false); // same key: queued once

    smtp.refuse({ at: 'rcpt', code: 451, message: '4.3.0 Mailbox busy, try later' });
    expect(await deliverDueMail(t.db.kysely, transport, t0)).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(await row()).toMatchObject({ status: 'queued', attempts: 1, locked_until: null, next_attempt_at: later(t0, 60_000).toISOString() });
    expect((await row()).last_error).toContain('451');
    expect((await row()).last_error).toContain('Mailbox busy');

    // Not due yet: nothing is tried.
    expect(await deliverDueMail(t.db.kysely, transport, later(t0, 30_000))).toEqual({ sent: 0, retrying: 0, failed: 0 });

    smtp.refuse({ at: 'data', code: 554, message: '5.7.1 Not now' });
    const t1 = later(t0, 60_000);
    expect(await deliverDueMail(t.db.kysely, transport, t1)).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(await row()).toMatchObject({ status: 'queued', attempts: 2, next_attempt_at: later(t1, 5 * 60_000).toISOString() });
    expect((await row()).last_error).toContain('554');

    smtp.accept();
    expect(await deliverDueMail(t.db.kysely, transport, later(t1, 4 * 60_000))).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(await deliverDueMail(t.db.kysely, transport, later(t1, 5 * 60_000))).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(await row()).toMatchObject({ status: 'sent', attempts: 2, sent_at: later(t1, 5 * 60_000).toISOString() });
    expect(await deliverAll(t, transport, later(t0, 24 * 3600_000))).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(smtp.received.map((r) => r.envelope.to)).toEqual([['ann@example.org']]);
    expect(smtp.received[0]!.mail.subject).toBe('Test 1');
  });

  it('gives up after the last retry, shows it in /admin/mail, and "Retry now" sends it', async () => {
    const t0 = new Date();
    await enqueueMail(t.db.kysely, mail('gone@example.org'), t0);
    smtp.refuse({ at: 'rcpt', code: 550, message: '5.1.1 No such user' });
    let now = t0;
    const waits: number[] = [];
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length + 1; attempt++) {
      const report = await deliverDueMail(t.db.kysely, transport, now);
      const r = await row();
      expect(r.attempts).toBe(attempt);
      if (attempt <= RETRY_DELAYS_MS.length) {
        expect(report.retrying).toBe(1);
        waits.push(Date.parse(r.next_attempt_at) - now.getTime());
        now = new Date(r.next_attempt_at);
      } else {
        expect(report.failed).toBe(1);
        expect(r.status).toBe('failed');
      }
    }
    expect(waits).toEqual([60_000, 300_000, 1_800_000, 7_200_000, 43_200_000]); // 1m, 5m, 30m, 2h, 12h
    expect(await deliverAll(t, transport, later(now, 7 * 24 * 3600_000))).toEqual({ sent: 0, retrying: 0, failed: 0 });

    const admin = await signIn(t, 'admin');
    const failed = await t.app.inject({ url: '/admin/mail?status=failed', cookies: admin.cookies });
    expect(failed.statusCode).toBe(200);
    expect(failed.body).toContain('gone@example.org');
    expect(failed.body).toContain('550 5.1.1 No such user');
    expect(failed.body).toMatch(/<td>6<\/td>/);
    expect(failed.body).toContain('Failed <span class="count">(1)</span>');
    const id = (await row()).id;
    expect(failed.body).toContain(`action="/admin/mail/${id}/retry"`);

    smtp.accept();
    const retry = await postForm(t, admin, `/admin/mail/${id}/retry`, { return_to: '/admin/mail?status=failed' });
    expect(retry.statusCode).toBe(303);
    expect(retry.headers.location).toBe('/admin/mail?status=failed&done=retried');
    expect(await row()).toMatchObject({ status: 'queued', locked_until: null });
    expect(await deliverDueMail(t.db.kysely, transport, new Date())).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(smtp.to('gone@example.org')).toHaveLength(1);
    const sent = await t.app.inject({ url: '/admin/mail?status=sent', cookies: admin.cookies });
    expect(sent.body).toContain('gone@example.org');
    expect(sent.body).not.toContain(`action="/admin/mail/${id}/retry"`);
    // Only administrators see the mail.
    const editor = await signIn(t, 'editor');
    expect((await t.app.inject({ url: '/admin/mail', cookies: editor.cookies })).statusCode).toBe(403);
  });

  it('posting never waits on SMTP: a dead server only leaves mail queued, with the error', async () => {
    const dead = await startSmtp();
    await dead.close();
    const t2 = await buildTestApp(TEST_ENV(dead));
    try {
      const post = await publishPost(t2);
      await setSettings(t2, { moderation: 'none' });
      await postComment(t2, post.slug, { notify_post: 'on' });
      const started = Date.now();
      const { res } = await postComment(t2, post.slug, { name: 'Bo', email: 'bo@example.org', body: 'Hello' });
      expect(res.statusCode).toBe(303);
      expect(Date.now() - started).toBeLessThan(1000);
      const queued = await t2.db.kysely.selectFrom('mail_queue').selectAll().execute();
      expect(queued.map((r) => [r.to_address, r.status])).toEqual([['ann@example.org', 'queued']]);
      const deadTransport = createMailTransport(dead.url);
      expect(await deliverDueMail(t2.db.kysely, deadTransport, new Date())).toEqual({ sent: 0, retrying: 1, failed: 0 });
      deadTransport.close?.();
      const [after] = await t2.db.kysely.selectFrom('mail_queue').selectAll().execute();
      expect(after!.last_error).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      await t2.close();
    }
  });

  it('the background worker works through the queue and stops cleanly', async () => {
    for (let i = 1; i <= 25; i++) await enqueueMail(t.db.kysely, mail(`reader${i}@example.org`, i));
    const errors: unknown[] = [];
    const stop = startMailWorker(t.db.kysely, { smtpUrl: smtp.url }, { intervalMs: 10, onError: (err) => errors.push(err) });
    for (let i = 0; i < 300 && smtp.received.length < 25; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    await stop();
    expect(errors).toEqual([]);
    expect(smtp.received).toHaveLength(25);
    expect((await queueRows(t)).every((r) => r.status === 'sent')).toBe(true);
    // Without SMTP_URL the worker is a no-op.
    await startMailWorker(t.db.kysely, { smtpUrl: null }, { onError: () => {} })();
  });
});

describe('exactly once, across restarts and instances', () => {
  let dir: string;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const open: TestApp[] = [];
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lectern-mail-'));
    const database = await createTestDatabase(dir);
    drop = database.drop;
    env = { ...TEST_ENV(smtp), DATA_DIR: dir, DATABASE_URL: database.url };
  });
  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async () => {
    const app = await buildTestApp(env);
    open.push(app);
    return app;
  };
  const stop = async (app: TestApp) => {
    open.splice(open.indexOf(app), 1);
    await app.close();
  };

  /** 24 followers of a post, then one approved comment: 24 mails in the queue. */
  async function fillQueue(t: TestApp) {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const at = new Date().toISOString();
    for (let i = 1; i <= 24; i++) await addSubscription(t.db.kysely, `reader${i}@example.org`, post.id, 'post', at);
    await postComment(t, post.slug, { name: 'Zed', email: 'zed@example.org', body: 'Hello, readers' });
    expect(await queueRows(t)).toHaveLength(24);
  }

  const expectEachOnce = async (t: TestApp) => {
    const recipients = smtp.received.flatMap((r) => r.envelope.to).sort();
    expect(recipients).toEqual(Array.from({ length: 24 }, (_, i) => `reader${i + 1}@example.org`).sort());
    expect((await queueRows(t)).every((r) => r.status === 'sent')).toBe(true);
  };

  it('a restart in the middle of the queue, even mid-send, still delivers each mail exactly once', async () => {
    const first = await start();
    await fillQueue(first);
    const now = new Date();
    expect(await deliverDueMail(first.db.kysely, transport, now, 10)).toEqual({ sent: 10, retrying: 0, failed: 0 });
    // The process dies mid-round: five rows claimed, never settled.
    const leased = await claimDueMail(first.db.kysely, now.toISOString(), later(now, LEASE_MS).toISOString(), 5);
    expect(leased).toHaveLength(5);
    await stop(first);

    const second = await start(); // same database
    expect(await queueRows(second)).toHaveLength(24);
    // The other nine go out; the five stay untouched while the dead sender's lease runs.
    expect(await deliverAll(second, transport, later(now, 1000))).toEqual({ sent: 9, retrying: 0, failed: 0 });
    expect(await deliverAll(second, transport, later(now, LEASE_MS - 1000))).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(await deliverAll(second, transport, later(now, LEASE_MS + 1000))).toEqual({ sent: 5, retrying: 0, failed: 0 });
    await expectEachOnce(second);
  });

  it('two instances sending from one database at once never send a mail twice', async () => {
    const a = await start();
    await fillQueue(a);
    const b = await start();
    const now = new Date();
    // Each with its own SMTP connection, as two servers would be.
    const [ta, tb] = [createMailTransport(smtp.url), createMailTransport(smtp.url)];
    const [ra, rb] = await Promise.all([deliverAll(a, ta, now), deliverAll(b, tb, now)]);
    ta.close?.();
    tb.close?.();
    expect(ra.sent + rb.sent).toBe(24);
    await expectEachOnce(a);
  });

  it('concurrent claims from two instances never share a row', async () => {
    const a = await start();
    await fillQueue(a);
    const b = await start();
    const now = new Date();
    const lease = later(now, LEASE_MS).toISOString();
    const ids: number[] = [];
    for (let round = 0; round < 20; round++) {
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) => claimDueMail((i % 2 ? a : b).db.kysely, now.toISOString(), lease, 3)),
      );
      if (claims.every((c) => c.length === 0)) break;
      ids.push(...claims.flat().map((r) => r.id));
    }
    expect(ids).toHaveLength(24); // every row claimed once, by one of them
    expect(new Set(ids).size).toBe(24);
  });
});

describe('the moderator digest', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp(TEST_ENV(smtp));
  });
  afterEach(async () => {
    await t.close();
  });

  it('collects held comments into one mail per moderator every N minutes, set in /admin/mail', async () => {
    await makeUser(t, 'editor', { email: 'editor@library.test' });
    const admin = await signIn(t, 'admin');
    const saved = await postForm(t, admin, '/admin/mail/settings', { moderator_mail: 'digest', digest_minutes: '10', notify_approved: 'on', mail_from: '' });
    expect(saved.statusCode).toBe(303);
    const bad = await postForm(t, admin, '/admin/mail/settings', { moderator_mail: 'hourly', digest_minutes: '1', mail_from: 'not an address' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Choose off, immediately or a digest');
    const t0 = new Date();

    const post = await publishPost(t);
    await postComment(t, post.slug, { name: 'One', email: 'one@example.org', body: 'First held' });
    await postComment(t, post.slug, { name: 'Two', email: 'two@example.org', body: 'Second held' });
    expect(await queueRows(t)).toEqual([]); // nothing at once in digest mode

    expect(await sendModeratorDigest(t.db.kysely, later(t0, 5 * 60_000))).toBe(0);
    expect(await sendModeratorDigest(t.db.kysely, later(t0, 11 * 60_000))).toBe(1);
    expect(await sendModeratorDigest(t.db.kysely, later(t0, 11 * 60_000))).toBe(0); // that period is done
    await deliverAll(t, transport, later(t0, 11 * 60_000));
    expect(smtp.received.map((r) => r.envelope.to)).toEqual([['editor@library.test']]);
    const digest = smtp.received[0]!;
    expect(digest.mail.subject).toBe('[Lectern] 2 new comments awaiting moderation');
    expect(digest.mail.text).toContain('One on “What makes good customer service?”');
    expect(digest.mail.text).toContain('Second held');
    expect(linksIn(digest.mail.text!)).toContain('http://library.test/admin/comments?status=pending');
    expect(rawHeader(digest, 'List-Unsubscribe')).toMatch(/^<http:\/\/library\.test\/unsubscribe\?token=/);

    // Nothing new held: no digest next time.
    expect(await sendModeratorDigest(t.db.kysely, later(t0, 22 * 60_000))).toBe(0);
    // Off: no digest at all.
    await setSettings(t, { moderator_mail: 'off' });
    await postComment(t, post.slug, { name: 'Three', email: 'three@example.org' });
    expect(await sendModeratorDigest(t.db.kysely, later(t0, 60 * 60_000))).toBe(0);
    expect(await queueRows(t)).toHaveLength(1);
  });
});
