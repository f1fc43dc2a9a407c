import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, getCsrf, makeUser, parseSetCookies, PASSWORD, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { confirmationUrl } from '../../server/services/registration.js';
import { linkIn, mailsTo } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp({ SMTP_URL: 'smtp://mail.example:587' });
});
afterEach(() => t.close());

const REGISTRATION = { name: 'Pat Reader', email: 'Pat@Example.org', password: PASSWORD, password_confirm: PASSWORD };
const patronRow = () => t.db.kysely.selectFrom('users').selectAll().where('role', '=', 'patron').executeTakeFirst();

/** Registers through the form; returns the signed-in browser. */
async function register(fields: Record<string, string> = REGISTRATION) {
  const form = await getCsrf(t, '/account/register');
  const res = await postForm(t, form, '/account/register', fields);
  return { res, browser: { cookies: { ...form.cookies, ...parseSetCookies(res) }, csrf: form.csrf } };
}

async function comment(browser: { cookies: Record<string, string> }, slug: string, fields: Record<string, string>) {
  const form = await getCsrf(t, `/posts/${slug}`, browser.cookies);
  return postForm(t, form, `/posts/${slug}/comments`, fields);
}

describe('registration is a setting, off by default', () => {
  it('answers 404 with a clear "closed" page while off, and creates nothing', async () => {
    const page = await t.app.inject('/account/register');
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('This site does not take new accounts at the moment');
    const form = await getCsrf(t, '/account/login');
    const res = await postForm(t, form, '/account/register', REGISTRATION);
    expect(res.statusCode).toBe(404);
    expect(await patronRow()).toBeUndefined();
    expect((await t.app.inject('/')).body).not.toContain('href="/account/login"');
  });

  it('is switched on from the general settings page', async () => {
    const admin = await signIn(t, 'admin');
    const settings = await t.app.inject({ url: '/admin/settings', cookies: admin.cookies });
    expect(settings.body).toContain('id="patron_registration"');
    expect(settings.body).toContain('id="ip_hash_retention_days" name="ip_hash_retention_days" type="number" min="1" max="3650" value="30"');
    const fields = { site_name: 'Lectern', tagline: '', timezone: 'UTC', posts_per_page: '10', ip_hash_retention_days: '14' };
    const on = await postForm(t, admin, '/admin/settings', { ...fields, patron_registration: ['off', 'on'] });
    expect(on.statusCode).toBe(303);
    expect((await t.app.inject('/account/register')).statusCode).toBe(200);
    expect((await t.app.inject('/')).body).toContain('<a href="/account/login">Sign in</a>');
    const bad = await postForm(t, admin, '/admin/settings', { ...fields, ip_hash_retention_days: '0', patron_registration: 'off' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="ip_hash_retention_days-error"');
    const off = await postForm(t, admin, '/admin/settings', { ...fields, patron_registration: 'off' });
    expect(off.statusCode).toBe(303);
    expect((await t.app.inject('/account/register')).statusCode).toBe(404);
  });
});

describe('a patron account', () => {
  beforeEach(() => setSettings(t, { patron_registration: true }));

  it('registers with name, email and password, signed in, and must confirm the address before commenting', async () => {
    const post = await publishPost(t);
    const { res, browser } = await register();
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account?done=registered');
    const row = (await patronRow())!;
    expect(row).toMatchObject({ display_name: 'Pat Reader', email: 'pat@example.org', role: 'patron', email_confirmed_at: null });
    const account = await t.app.inject({ url: '/account', cookies: browser.cookies });
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('Confirm your email address (pat@example.org) before your first comment');

    // Unconfirmed: 403, nothing stored, the typed text handed back.
    const refused = await comment(browser, post.slug, { body: 'My carefully typed thoughts' });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Confirm your email address before commenting');
    expect(refused.body).toContain('My carefully typed thoughts</textarea>');
    const viaApi = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, cookies: browser.cookies, payload: { body: 'Through the API' } });
    expect(viaApi.statusCode).toBe(403);
    expect(viaApi.json().error).toMatchObject({ code: 'forbidden', message: expect.stringContaining('Confirm your email') });
    expect(await t.db.kysely.selectFrom('comments').select('id').execute()).toEqual([]);

    // The mailed link confirms.
    const [mail] = await mailsTo(t, 'pat@example.org');
    expect(mail).toMatchObject({ kind: 'confirm-email' });
    const link = linkIn(mail!.text_body, '/account/confirm/');
    const tampered = link.slice(0, -3) + (link.endsWith('AAA') ? 'BBB' : 'AAA');
    expect((await t.app.inject({ url: tampered, cookies: browser.cookies })).statusCode).toBe(404);
    const confirmed = await t.app.inject({ url: link, cookies: browser.cookies });
    expect(confirmed.statusCode).toBe(303);
    expect(confirmed.headers.location).toBe('/account?done=confirmed');
    expect((await patronRow())!.email_confirmed_at).not.toBeNull();

    // Now a comment goes through, under the account's name and address, nothing retyped.
    const ok = await comment(browser, post.slug, { body: 'My carefully typed thoughts' });
    expect(ok.statusCode).toBe(303);
    const stored = await t.db.kysely.selectFrom('comments').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ author_name: 'Pat Reader', author_email: 'pat@example.org', user_id: row.id, is_staff: 0, status: 'pending' });
    expect(JSON.parse(stored.reasons)).toContain('first-time commenter');
  });

  it('refuses an expired or foreign confirmation link', async () => {
    const { browser } = await register();
    const row = (await patronRow())!;
    const old = confirmationUrl('test-secret-that-is-long-enough-0123456789', t.config.baseUrl, row, new Date(Date.now() - 8 * 86_400_000));
    expect((await t.app.inject({ url: new URL(old).pathname, cookies: browser.cookies })).statusCode).toBe(404);
    const forged = confirmationUrl('another-secret-entirely-0123456789abcdef', t.config.baseUrl, row);
    expect((await t.app.inject({ url: new URL(forged).pathname, cookies: browser.cookies })).statusCode).toBe(404);
    const otherAddress = confirmationUrl('test-secret-that-is-long-enough-0123456789', t.config.baseUrl, { id: row.id, email: 'someone@else.example' });
    expect((await t.app.inject({ url: new URL(otherAddress).pathname, cookies: browser.cookies })).statusCode).toBe(404);
    expect((await patronRow())!.email_confirmed_at).toBeNull();
  });

  it('counts their approved comments for first-time moderation, by email, and lists their own with status', async () => {
    const post = await publishPost(t);
    const { browser } = await register();
    await t.db.kysely.updateTable('users').set({ email_confirmed_at: new Date().toISOString() }).execute();
    const first = await comment(browser, post.slug, { body: 'First words' });
    expect(first.headers.location).toMatch(/\?held=\d+#comment-\d+$/);
    const moderator = await apiToken(t, 'editor');
    const firstId = Number(/#comment-(\d+)$/.exec(first.headers.location as string)![1]);
    await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${firstId}`, headers: moderator.headers, payload: { status: 'approved' } });
    const second = await comment(browser, post.slug, { body: 'Second words' });
    expect(second.headers.location).toMatch(new RegExp(`^/posts/${post.slug}#comment-\\d+$`));

    const page = await t.app.inject({ url: '/account', cookies: browser.cookies });
    expect(page.body).toContain('First words');
    expect(page.body).toContain('Second words');
    expect(page.body.match(/<strong>published<\/strong>/g)).toHaveLength(2);

    // A signed-in patron sees the comment form without name and email fields.
    const postPage = await t.app.inject({ url: `/posts/${post.slug}`, cookies: browser.cookies });
    expect(postPage.body).toContain('Commenting as <strong>Pat Reader</strong>');
    expect(postPage.body).not.toContain('id="email" name="email"');
  });

  it('edits the display name, changes the password, and is refused bad values with 422', async () => {
    const { browser } = await register();
    const renamed = await postForm(t, browser, '/account/profile', { display_name: 'P. Reader' });
    expect(renamed.statusCode).toBe(303);
    expect((await patronRow())!.display_name).toBe('P. Reader');
    const empty = await postForm(t, browser, '/account/profile', { display_name: ' ' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('id="display_name-error"');
    const pw = await postForm(t, browser, '/account/password', { current: PASSWORD, password: 'another fine passphrase', password_confirm: 'another fine passphrase' });
    expect(pw.statusCode).toBe(303);
    expect(pw.headers.location).toBe('/account?done=password');
  });

  it('keeps registration errors next to their fields, with the values typed', async () => {
    await makeUser(t, 'author', { email: 'taken@example.org' });
    const { res } = await register({ name: 'Typed Name', email: 'TAKEN@example.org', password: 'password123', password_confirm: 'password123' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="email-error"');
    expect(res.body).toContain('An account already uses this address');
    expect(res.body).toContain('id="password-error"');
    expect(res.body).toContain('value="Typed Name"');
    expect(res.body).not.toContain('password123');
    // And the form is CSRF-protected like every other.
    expect((await postForm(t, null, '/account/register', REGISTRATION)).statusCode).toBe(403);
    expect(await patronRow()).toBeUndefined();
  });

  it('signs in at /account/login by email, whatever its case; staff are sent to the staff area', async () => {
    await register();
    const form = await getCsrf(t, '/account/login');
    const wrong = await postForm(t, form, '/account/login', { login: 'pat@example.org', password: 'not the password' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That email address and password do not match.');
    const ok = await postForm(t, form, '/account/login', { login: 'PAT@example.ORG', password: PASSWORD });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/account');
    const cookies = parseSetCookies(ok);
    expect((await t.app.inject({ url: '/account', cookies })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/admin', cookies })).statusCode).toBe(403);
    const staff = await makeUser(t, 'editor', { email: 'ed@library.example' });
    const staffLogin = await postForm(t, form, '/account/login', { login: 'ed@library.example', password: PASSWORD });
    expect(staffLogin.headers.location).toBe('/admin');
    expect(staff.role).toBe('editor');
    // /account needs a session.
    const anonymous = await t.app.inject('/account');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/account/login?next=%2Faccount');
  });

  it('closes the account: comments kept as "Anonymous", account, sessions and mail gone, logged without the email', async () => {
    const post = await publishPost(t);
    const { browser } = await register();
    await t.db.kysely.updateTable('users').set({ email_confirmed_at: new Date().toISOString() }).execute();
    await comment(browser, post.slug, { body: 'Words to keep' });
    const wrong = await postForm(t, browser, '/account/close', { close_password: 'not it at all' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain('id="close_password-error"');
    expect(await patronRow()).toBeDefined();

    const res = await postForm(t, browser, '/account/close', { close_password: PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/account/login?closed=1');
    expect(await patronRow()).toBeUndefined();
    expect(await t.db.kysely.selectFrom('sessions').selectAll().execute()).toEqual([]);
    const kept = await t.db.kysely.selectFrom('comments').selectAll().executeTakeFirstOrThrow();
    expect(kept).toMatchObject({ body_md: 'Words to keep', author_name: 'Anonymous', author_email: '', author_url: '', ip_hash: null, user_id: null });
    expect(await mailsTo(t, 'pat@example.org')).toEqual([]);
    const log = await t.db.kysely.selectFrom('privacy_log').selectAll().execute();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ action: 'close-account', actor_id: null });
    expect(JSON.stringify(log)).not.toMatch(/pat@example\.org|Pat Reader/i);
    expect((await t.app.inject({ url: '/account', cookies: browser.cookies })).statusCode).toBe(303);
  });
});

describe('without mail', () => {
  it('leaves the patron unconfirmed until an administrator confirms them', async () => {
    await t.close();
    t = await buildTestApp();
    await setSettings(t, { patron_registration: true });
    const post = await publishPost(t);
    const { browser } = await register();
    expect(await t.db.kysely.selectFrom('mail_queue').selectAll().execute()).toEqual([]);
    expect((await t.app.inject({ url: '/account', cookies: browser.cookies })).body).toContain('an administrator can confirm your address');
    expect((await comment(browser, post.slug, { body: 'Waiting' })).statusCode).toBe(403);
    const admin = await signIn(t, 'admin');
    const row = (await patronRow())!;
    expect((await t.app.inject({ url: '/admin/users', cookies: admin.cookies })).body).toContain('email not confirmed');
    expect((await postForm(t, admin, `/admin/users/${row.id}/confirm-email`, {})).statusCode).toBe(303);
    expect((await comment(browser, post.slug, { body: 'Waiting' })).statusCode).toBe(303);
  });
});
