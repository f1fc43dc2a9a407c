import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, getCsrf, logIn, makeUser, parseSetCookies, PASSWORD, postForm, signIn, type TestApp } from '../helpers/app.js';
import { startSession } from '../../server/services/auth.js';
import { sha256 } from '../../server/services/tokens.js';
import { isCommonPassword, passwordProblem } from '../../server/services/passwords.js';
import { COMMON_PASSWORDS } from '../../server/data/common-passwords.js';
import { createResetLink } from '../../server/services/password-reset.js';
import { linkIn, mailsTo, shownValue } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp({ SMTP_URL: 'smtp://mail.example:587' });
});
afterEach(() => t.close());

const NEW_PASSWORD = 'a brand new passphrase';
const sessionIds = async (userId: number) => (await t.db.kysely.selectFrom('sessions').select('id').where('user_id', '=', userId).execute()).map((r) => r.id);
const opens = async (cookie: string, url = '/admin/posts') => (await t.app.inject({ url, cookies: { lectern_session: cookie } })).statusCode === 200;

describe('common passwords', () => {
  it('ships a list of thousands, and refuses them whatever their case', () => {
    expect(COMMON_PASSWORDS.length).toBeGreaterThanOrEqual(1000);
    expect(COMMON_PASSWORDS.length).toBeLessThanOrEqual(10_000);
    for (const pw of ['password123', 'PASSWORD123', 'Password123', 'qwertyuiop', 'QwErTyUiOp', '1234567890']) {
      expect(isCommonPassword(pw), pw).toBe(true);
      expect(passwordProblem(pw), pw).toMatch(/most common/);
    }
    expect(passwordProblem(PASSWORD)).toBeNull();
    expect(passwordProblem('short')).toMatch(/at least 10/);
  });

  it('refuses one on every form that sets a password', async () => {
    const admin = await signIn(t, 'admin');
    const change = await postForm(t, admin, '/admin/password', { current: PASSWORD, password: 'Password123', password_confirm: 'Password123' });
    expect(change.statusCode).toBe(422);
    expect(change.body).toContain('id="password-error"');
    expect(change.body).toContain('one of the most common ones');
    const api = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: { authorization: `Bearer ${(await import('../../server/services/api-tokens.js').then((m) => m.createApiToken(t.db.kysely, admin.user, 'x'))).token}` },
      payload: { username: 'weak', role: 'author', password: 'ILOVEYOU123' },
    });
    expect(api.statusCode).toBe(422);
    expect(api.json().error.fields.password).toMatch(/most common/);
  });
});

describe('changing your own password', () => {
  it('needs the current one, and ends every other session but keeps this one', async () => {
    const me = await signIn(t, 'editor');
    const laptop = await startSession(t.db.kysely, me.user.id);
    const phone = await startSession(t.db.kysely, me.user.id);
    expect(await sessionIds(me.user.id)).toHaveLength(3);

    const wrong = await postForm(t, me, '/admin/password', { current: 'not my password', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="current-error"');
    const differ = await postForm(t, me, '/admin/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: 'something else' });
    expect(differ.statusCode).toBe(422);
    expect(differ.body).toContain('The two passwords differ');
    expect(await sessionIds(me.user.id)).toHaveLength(3);

    const ok = await postForm(t, me, '/admin/password', { current: PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/admin/password?saved=1');
    expect(await sessionIds(me.user.id)).toEqual([sha256(me.cookies.lectern_session!)]);
    expect(await opens(me.cookies.lectern_session!)).toBe(true);
    expect(await opens(laptop)).toBe(false);
    expect(await opens(phone)).toBe(false);
    expect((await logIn(t, me.user.username, PASSWORD)).res.statusCode).toBe(401);
    expect((await logIn(t, me.user.username, NEW_PASSWORD)).res.statusCode).toBe(303);
  });

  it('is open to every staff role and keeps patrons out (they use /account)', async () => {
    for (const role of ['admin', 'editor', 'author'] as const) {
      const b = await signIn(t, role);
      expect((await t.app.inject({ url: '/admin/password', cookies: b.cookies })).statusCode, role).toBe(200);
    }
    const patron = await signIn(t, 'patron');
    expect((await t.app.inject({ url: '/admin/password', cookies: patron.cookies })).statusCode).toBe(403);
  });
});

describe('forgot password', () => {
  async function requestLink(login: string): Promise<string> {
    const form = await getCsrf(t, '/admin/forgot');
    const res = await postForm(t, form, '/admin/forgot', { login });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('If an account matches, we have sent a link');
    return res.body;
  }

  it('mails a single-use link, stored only as its SHA-256, that sets the password and ends every session', async () => {
    const user = await makeUser(t, 'author', { email: 'Ann@Library.example' });
    const old = await startSession(t.db.kysely, user.id);
    await requestLink('ann@library.example');
    const [mail] = await mailsTo(t, 'Ann@Library.example');
    expect(mail).toMatchObject({ kind: 'password-reset', status: 'queued' });
    const path = linkIn(mail!.text_body, '/admin/reset/');
    const token = path.split('/').pop()!;
    const rows = await t.db.kysely.selectFrom('password_resets').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).toBe(sha256(token));
    expect(Date.parse(rows[0]!.expires_at) - Date.parse(rows[0]!.created_at)).toBe(3600 * 1000);

    // Opening the link spends nothing.
    expect((await t.app.inject(path)).statusCode).toBe(200);
    expect((await t.app.inject(path)).body).toContain(`For the account <strong>${user.username}</strong>`);
    const form = await getCsrf(t, path);
    const common = await postForm(t, form, path, { password: 'qwertyuiop123', password_confirm: 'qwertyuiop123' });
    expect(common.statusCode).toBe(422);
    const res = await postForm(t, form, path, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin?password_reset=1');
    expect(await opens(parseSetCookies(res).lectern_session!)).toBe(true);
    expect(await opens(old)).toBe(false);
    expect((await logIn(t, user.username, NEW_PASSWORD)).res.statusCode).toBe(303);

    // Single use.
    const again = await t.app.inject(path);
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('expired or has already been used');
    const form2 = await getCsrf(t, '/admin/forgot');
    const reuse = await postForm(t, form2, path, { password: 'yet another passphrase', password_confirm: 'yet another passphrase' });
    expect(reuse.statusCode).toBe(404);
    expect((await logIn(t, user.username, 'yet another passphrase')).res.statusCode).toBe(401);
  });

  it('expires after an hour', async () => {
    const user = await makeUser(t, 'author', { email: 'bo@library.example' });
    const hourAgo = new Date(Date.now() - 3600 * 1000 - 1);
    const link = await createResetLink(t.db.kysely, user.id, t.config.baseUrl, hourAgo);
    const path = new URL(link.url).pathname;
    const page = await t.app.inject(path);
    expect(page.statusCode).toBe(404);
    const form = await getCsrf(t, '/admin/forgot');
    expect((await postForm(t, form, path, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD })).statusCode).toBe(404);
    // A minute younger, it still works.
    const fresh = await createResetLink(t.db.kysely, user.id, t.config.baseUrl, new Date(Date.now() - 59 * 60 * 1000));
    expect((await t.app.inject(new URL(fresh.url).pathname)).statusCode).toBe(200);
  });

  it('answers the same for an unknown or disabled account, and mails nothing', async () => {
    const disabled = await makeUser(t, 'author', { email: 'gone@library.example' });
    await t.db.kysely.updateTable('users').set({ disabled_at: new Date().toISOString() }).where('id', '=', disabled.id).execute();
    await requestLink('nobody@library.example');
    await requestLink('gone@library.example');
    expect(await t.db.kysely.selectFrom('mail_queue').selectAll().execute()).toEqual([]);
  });

  it('a newer link replaces an older one', async () => {
    const user = await makeUser(t, 'author', { email: 'cy@library.example' });
    const first = await createResetLink(t.db.kysely, user.id, t.config.baseUrl);
    const second = await createResetLink(t.db.kysely, user.id, t.config.baseUrl);
    expect((await t.app.inject(new URL(first.url).pathname)).statusCode).toBe(404);
    expect((await t.app.inject(new URL(second.url).pathname)).statusCode).toBe(200);
  });
});

describe('without mail', () => {
  it('says to ask an administrator, who makes the link from the user page', async () => {
    await t.close();
    t = await buildTestApp();
    const page = await t.app.inject('/admin/forgot');
    expect(page.body).toContain('This site cannot send mail. Ask an administrator');
    const admin = await signIn(t, 'admin');
    const user = await makeUser(t, 'author');
    const res = await postForm(t, admin, `/admin/users/${user.id}/reset-link`, {});
    expect(res.statusCode).toBe(201);
    const path = new URL(shownValue(res.body, 'Password reset link')).pathname;
    const form = await getCsrf(t, path);
    const done = await postForm(t, form, path, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(done.statusCode).toBe(303);
    expect((await logIn(t, user.username, NEW_PASSWORD)).res.statusCode).toBe(303);
    expect(await t.db.kysely.selectFrom('mail_queue').selectAll().execute()).toEqual([]);
  });
});
