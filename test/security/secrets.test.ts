import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { buildTestApp, getCsrf, multipart, parseSetCookies, postForm, tinyPng, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { loadOrCreateSecret } from '../../server/services/secrets.js';
import { createResetLink } from '../../server/services/password-reset.js';
import { createInvitation } from '../../server/services/invitations.js';
import { confirmationUrl } from '../../server/services/registration.js';
import { unsubscribeToken } from '../../server/services/notifications.js';
import { sha256 } from '../../server/services/tokens.js';
import { redactUrl } from '../../server/plugins/log-redaction.js';

describe('the server secret', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lectern-secret-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is generated on first run into a file only the server’s user can read (0600), even under a lax umask', () => {
    const before = process.umask(0o000);
    try {
      const secret = loadOrCreateSecret(join(dir, 'data'), null);
      const file = join(dir, 'data', 'secret.key');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(secret.length).toBeGreaterThanOrEqual(48);
      expect(readFileSync(file, 'utf8').trim()).toBe(secret);
      // The next start reads the same secret back.
      expect(loadOrCreateSecret(join(dir, 'data'), null)).toBe(secret);
    } finally {
      process.umask(before);
    }
  });

  it('is taken as given from SECRET_KEY, and then no file is written', () => {
    const explicit = 'x'.repeat(40);
    expect(loadOrCreateSecret(join(dir, 'other'), explicit)).toBe(explicit);
    expect(() => statSync(join(dir, 'other', 'secret.key'))).toThrow();
  });

  it('is different on every install', () => {
    const a = loadOrCreateSecret(join(dir, 'a'), null);
    const b = loadOrCreateSecret(join(dir, 'b'), null);
    expect(a).not.toBe(b);
  });

  it('is read back without its trailing newline when an operator wrote the file', () => {
    writeFileSync(join(dir, 'secret.key'), 'operator-written-secret-0123456789abcdef\n', { mode: 0o600 });
    expect(loadOrCreateSecret(dir, null)).toBe('operator-written-secret-0123456789abcdef');
  });
});

describe('redacting addresses for the log', () => {
  it.each([
    ['/admin/uploads?_csrf=abc.def', {}, '/admin/uploads?_csrf=[redacted]'],
    ['/unsubscribe?token=eyJ.sig&x=1', {}, '/unsubscribe?token=[redacted]&x=1'],
    ['/admin/reset/s3cr3t', { token: 's3cr3t' }, '/admin/reset/[redacted]'],
    ['/invite/a%2Bb?x=1', { token: 'a+b' }, '/invite/[redacted]?x=1'],
    ['/posts/hello?page=2', { slug: 'hello' }, '/posts/hello?page=2'],
    ['/search?q=token', {}, '/search?q=token'],
  ])('%s → %s', (url, params, expected) => {
    expect(redactUrl(url, params)).toBe(expected);
  });
});

describe('stored secrets', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('keeps only SHA-256 hashes of sessions, API tokens, reset links and invitations', async () => {
    const form = await getCsrf(t, '/admin/setup');
    const setup = await postForm(t, form, '/admin/setup', { username: 'head', display_name: 'Head', email: 'head@example.org', password: 'setup password 12345', password_confirm: 'setup password 12345' });
    const cookie = parseSetCookies(setup).lectern_session!;
    const admin = (await t.db.kysely.selectFrom('users').selectAll().executeTakeFirstOrThrow());
    const browser = { cookies: { ...form.cookies, lectern_session: cookie }, csrf: form.csrf };
    const created = await postForm(t, browser, '/admin/tokens', { name: 'stored' });
    const token = /lct_[A-Za-z0-9_-]+/.exec(created.body)![0];
    const reset = await createResetLink(t.db.kysely, admin.id, t.config.baseUrl);
    const invite = await createInvitation(t.db.kysely, admin, { role: 'author' }, { baseUrl: t.config.baseUrl, mail: false, siteName: 'x' });
    const secrets = [cookie, token, reset.url.split('/').at(-1)!, invite.url.split('/').at(-1)!];
    const dump = JSON.stringify(
      await Promise.all(['sessions', 'api_tokens', 'password_resets', 'invitations'].map(async (table) => (await sql`select * from ${sql.table(table)}`.execute(t.db.kysely)).rows)),
    );
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      expect(dump).toContain(sha256(secret));
    }
  });
});

describe('the log', () => {
  it('never holds a password, session id, CSRF token, API token, link token or the server secret', { timeout: 60_000 }, async () => {
    const t = await buildTestApp({}, {
      beforeReady: (app) => {
        app.post('/__boom', async () => {
          throw new Error('boom');
        });
      },
    });
    try {
      const responses: LightMyRequestResponse[] = [];
      const keep = (res: LightMyRequestResponse) => (responses.push(res), res);
      const PW = { setup: 'the first admin password', wrong: 'not-the-password-at-all', newer: 'a brand new password 42', patron: 'patron password 1234', changed: 'changed patron password' };

      // First run, then signing in right and wrong.
      const setupForm = await getCsrf(t, '/admin/setup');
      keep(await postForm(t, setupForm, '/admin/setup', { username: 'head', display_name: 'Head', email: 'head@example.org', password: PW.setup, password_confirm: PW.setup }));
      const form = await getCsrf(t, '/admin/login');
      keep(await postForm(t, form, '/admin/login', { username: 'head', password: PW.wrong }));
      const login = keep(await postForm(t, form, '/admin/login', { username: 'head', password: PW.setup }));
      const admin = { cookies: { ...form.cookies, ...parseSetCookies(login) }, csrf: form.csrf };

      // A password change, a user with a generated password, an API token, used and forged.
      keep(await postForm(t, admin, '/admin/password', { current: PW.wrong, password: PW.newer, password_confirm: PW.newer }));
      keep(await postForm(t, admin, '/admin/password', { current: PW.setup, password: PW.newer, password_confirm: PW.newer }));
      const created = keep(await postForm(t, admin, '/admin/users', { username: 'ann', display_name: 'Ann', email: 'ann@example.org', role: 'author' }));
      const generated = /value="([A-Za-z0-9_-]{20,})"[^>]*aria-label="Generated password"/.exec(created.body)?.[1] ?? '';
      expect(generated.length).toBeGreaterThanOrEqual(20);
      const tokenPage = keep(await postForm(t, admin, '/admin/tokens', { name: 'ci' }));
      const apiToken = /lct_[A-Za-z0-9_-]+/.exec(tokenPage.body)![0];
      const headers = { authorization: `Bearer ${apiToken}` };
      keep(await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers, payload: { title: 'Logged', body: 'x', status: 'published' } }));
      keep(await t.app.inject({ url: '/api/v1/comments', headers }));
      keep(await t.app.inject({ url: '/api/v1/posts', headers: { authorization: 'Bearer lct_forged_token_value_0123456789' } }));

      // The no-JS upload form carries its CSRF token in the query string.
      const upload = multipart({ filename: 'a.png', contentType: 'image/png', data: tinyPng() });
      keep(await t.app.inject({ method: 'POST', url: `/admin/uploads?_csrf=${encodeURIComponent(admin.csrf)}`, cookies: admin.cookies, headers: upload.headers, payload: upload.payload }));

      // Patron registration and sign-in, and links that carry tokens in their address.
      await setSettings(t, { patron_registration: true });
      const reg = await getCsrf(t, '/account/register');
      const registered = keep(await postForm(t, reg, '/account/register', { name: 'Pat', email: 'pat@example.org', password: PW.patron, password_confirm: PW.patron }));
      const patron = { cookies: { ...reg.cookies, ...parseSetCookies(registered) }, csrf: reg.csrf };
      keep(await postForm(t, patron, '/account/password', { current: PW.patron, password: PW.changed, password_confirm: PW.changed }));
      keep(await postForm(t, form, '/account/login', { login: 'pat@example.org', password: PW.wrong }));
      const users = await t.db.kysely.selectFrom('users').selectAll().execute();
      const head = users.find((u) => u.username === 'head')!;
      const pat = users.find((u) => u.email === 'pat@example.org')!;
      const reset = await createResetLink(t.db.kysely, head.id, t.config.baseUrl);
      const invite = await createInvitation(t.db.kysely, head, { role: 'author' }, { baseUrl: t.config.baseUrl, mail: false, siteName: 'x' });
      const confirm = confirmationUrl('test-secret-that-is-long-enough-0123456789', t.config.baseUrl, pat);
      const post = await publishPost(t);
      const unsubscribe = unsubscribeToken('test-secret-that-is-long-enough-0123456789', { e: 'pat@example.org', k: 'all' });
      const path = (url: string) => new URL(url).pathname;
      keep(await t.app.inject(path(reset.url)));
      const resetForm = await getCsrf(t, path(reset.url));
      keep(await postForm(t, resetForm, path(reset.url), { password: 'reset to this password', password_confirm: 'reset to this password' }));
      keep(await t.app.inject(path(invite.url)));
      keep(await t.app.inject(path(confirm)));
      keep(await t.app.inject(`/unsubscribe?token=${encodeURIComponent(unsubscribe)}`));
      keep(await t.app.inject({ method: 'POST', url: `/unsubscribe?token=${encodeURIComponent(unsubscribe)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' }));
      keep(await t.app.inject(`/posts/${post.slug}?replytocom=1`));
      // A server error, from a request carrying a password.
      keep(await t.app.inject({ method: 'POST', url: '/__boom', payload: { password: PW.setup } }));

      const sessionIds = responses.flatMap((r) => r.cookies.filter((c) => c.name === 'lectern_session' && c.value).map((c) => c.value));
      const csrfCookies = responses.flatMap((r) => r.cookies.filter((c) => c.name === 'lectern_csrf' && c.value).map((c) => c.value));
      const csrfTokens = [form.csrf, setupForm.csrf, reg.csrf, resetForm.csrf];
      const hashes = users.map((u) => u.password_hash!).filter(Boolean);
      const secrets: Record<string, string[]> = {
        passwords: Object.values(PW).concat(['reset to this password', generated]),
        'session ids': sessionIds,
        'CSRF tokens and cookies': [...csrfTokens, ...csrfCookies],
        'API token': [apiToken, 'lct_forged_token_value_0123456789'],
        'link tokens': [reset.url.split('/').at(-1)!, invite.url.split('/').at(-1)!, confirm.split('/').at(-1)!, unsubscribe, encodeURIComponent(unsubscribe)],
        'server secret': ['test-secret-that-is-long-enough-0123456789'],
        'password hashes': hashes.map((h) => h.split('$').at(-1)!),
      };
      expect(sessionIds.length).toBeGreaterThanOrEqual(3);
      const logs = t.logs();
      // The log did record these requests (so this test can fail), with the secrets blanked.
      expect(logs).toContain('"url":"/admin/uploads?_csrf=[redacted]"');
      expect(logs).toContain('"url":"/unsubscribe?token=[redacted]"');
      expect(logs).toContain('"url":"/admin/reset/[redacted]"');
      expect(logs).toContain('"url":"/invite/[redacted]"');
      expect(logs).toContain('"url":"/account/confirm/[redacted]"');
      expect(logs).toContain('request failed');
      const found: string[] = [];
      for (const [kind, values] of Object.entries(secrets)) {
        for (const value of values) if (value && value.length >= 8 && logs.includes(value)) found.push(`${kind}: ${value.slice(0, 12)}…`);
      }
      expect(found).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
