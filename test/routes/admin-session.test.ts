import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import {
  apiToken,
  buildTestApp,
  getCsrf,
  logIn,
  makeUser,
  PASSWORD,
  postForm,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { sha256 } from '../../server/services/tokens.js';
import { verifyPassword } from '../../server/services/passwords.js';
import { createApiToken } from '../../server/services/api-tokens.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

const sessionCookie = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === 'lectern_session');
const sessions = () => t.db.kysely.selectFrom('sessions').selectAll().execute();
const countUsers = async () => (await t.db.kysely.selectFrom('users').select('id').execute()).length;
/** Whether a cookie still opens the staff area. */
const opensStaffArea = async (cookie: string) => {
  const res = await t.app.inject({ url: '/admin/posts', cookies: { lectern_session: cookie } });
  if (res.statusCode === 303) expect(res.headers.location).toBe('/admin/login?next=%2Fadmin%2Fposts');
  return res.statusCode === 200;
};

const SETUP = { username: 'Head.Librarian', display_name: 'Ada Byron', email: 'ada@library.example', password: 'a fine long password', password_confirm: 'a fine long password' };

describe('first-run setup', () => {
  it('sends /admin and /admin/login to /admin/setup while no user exists', async () => {
    for (const url of ['/admin', '/admin/login']) {
      const res = await t.app.inject(url);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/admin/setup');
    }
    const setup = await t.app.inject('/admin/setup');
    expect(setup.statusCode).toBe(200);
    expect(setup.body).toContain('<form method="post" action="/admin/setup"');
    expect(setup.body).toMatch(/name="_csrf" value="[^"]+"/);
  });

  it('creates the admin with a scrypt hash, signs them in with a safe cookie, then closes', async () => {
    const form = await getCsrf(t, '/admin/setup');
    const res = await postForm(t, form, '/admin/setup', SETUP);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin?welcome=1');

    const user = await t.db.kysely.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(user).toMatchObject({ username: 'head.librarian', display_name: 'Ada Byron', email: 'ada@library.example', role: 'admin', disabled_at: null });
    expect(user.password_hash).toMatch(/^scrypt\$\d+\$/);
    expect(user.password_hash).not.toContain(SETUP.password);
    expect(await verifyPassword(SETUP.password, user.password_hash!)).toBe(true);

    const cookie = sessionCookie(res)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const setCookie = ([] as string[]).concat(res.headers['set-cookie'] as string | string[]).find((c) => c.startsWith('lectern_session='))!;
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    // Stored hashed: the table alone grants nothing.
    expect((await sessions()).map((s) => s.id)).toEqual([sha256(cookie.value)]);

    const dashboard = await t.app.inject({ url: '/admin?welcome=1', cookies: { lectern_session: cookie.value } });
    expect(dashboard.statusCode).toBe(200);
    expect(dashboard.body).toContain('Your account is ready.');
    expect(dashboard.body).toContain('Ada Byron (admin)');

    // Setup is gone for good, whoever asks.
    expect((await t.app.inject('/admin/setup')).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/admin/setup', cookies: { lectern_session: cookie.value } })).statusCode).toBe(404);
    const again = await getCsrf(t, '/admin/login');
    const second = await postForm(t, again, '/admin/setup', { ...SETUP, username: 'intruder' });
    expect(second.statusCode).toBe(404);
    expect(second.body).toContain('Page not found');
    expect(await countUsers()).toBe(1);
  });

  it('keeps every typed value (but not the passwords) when the passwords differ', async () => {
    const form = await getCsrf(t, '/admin/setup');
    const res = await postForm(t, form, '/admin/setup', { ...SETUP, password_confirm: 'something else entirely' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('value="Head.Librarian"');
    expect(res.body).toContain('value="Ada Byron"');
    expect(res.body).toContain('value="ada@library.example"');
    expect(res.body).toContain('The two passwords differ');
    expect(res.body).not.toContain(SETUP.password);
    expect(await countUsers()).toBe(0);
    expect(sessionCookie(res)).toBeUndefined();
  });

  it('refuses a short password with 422, naming the field and keeping the values', async () => {
    const form = await getCsrf(t, '/admin/setup');
    const res = await postForm(t, form, '/admin/setup', { ...SETUP, password: 'short', password_confirm: 'short' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="password-error"');
    expect(res.body).toContain('Use at least 10 characters');
    expect(res.body).toContain('value="Head.Librarian"');
    expect(res.body).toContain('value="Ada Byron"');
    expect(res.body).toContain('value="ada@library.example"');
    expect(await countUsers()).toBe(0);
  });

  it('refuses a bad username and email with 422', async () => {
    const form = await getCsrf(t, '/admin/setup');
    const res = await postForm(t, form, '/admin/setup', { ...SETUP, username: 'no spaces please', email: 'not-an-email' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="username-error"');
    expect(res.body).toContain('id="email-error"');
    expect(res.body).toContain('value="no spaces please"');
    expect(res.body).toContain('value="not-an-email"');
    expect(await countUsers()).toBe(0);
  });

  it('refuses a form without its CSRF token with 403, keeping the typed fields to send again', async () => {
    const res = await postForm(t, null, '/admin/setup', SETUP);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Your form was not sent');
    expect(res.body).toContain('<form method="post" action="/admin/setup">');
    expect(res.body).toContain('<input type="hidden" name="username" value="Head.Librarian">');
    expect(res.body).toContain('<input type="hidden" name="display_name" value="Ada Byron">');
    expect(res.body).toContain('<input type="hidden" name="email" value="ada@library.example">');
    expect(res.body).not.toContain(SETUP.password);
    expect(await countUsers()).toBe(0);
  });
});

describe('sign in', () => {
  it('shows the form', async () => {
    await makeUser(t, 'admin');
    const res = await t.app.inject('/admin/login');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('name="username"');
    expect(res.body).toContain('name="password"');
    expect(res.body).toContain('<input type="hidden" name="next" value="/admin">');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('gives the same 401 page for a wrong password and an unknown user', async () => {
    const user = await makeUser(t, 'editor');
    const wrong = await logIn(t, user.username, 'not the password');
    const unknown = await logIn(t, 'nobody-at-all', PASSWORD);
    for (const res of [wrong.res, unknown.res]) {
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('That username and password do not match.');
      expect(sessionCookie(res)).toBeUndefined();
    }
    const message = (html: string) => /<div class="error-summary"[^>]*>([\s\S]*?)<\/div>/.exec(html)?.[1];
    expect(message(wrong.res.body)).toBe(message(unknown.res.body));
    expect(wrong.res.body).toContain(`value="${user.username}"`);
    expect(wrong.res.body).not.toContain('not the password');
    expect(await sessions()).toEqual([]);
  });

  it('signs in, sets an HttpOnly SameSite=Lax cookie and goes to the dashboard', async () => {
    const user = await makeUser(t, 'author');
    const { res } = await logIn(t, user.username);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    const cookie = sessionCookie(res)!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(await opensStaffArea(cookie.value)).toBe(true);
    const stored = await sessions();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.id).toBe(sha256(cookie.value));
    expect(stored[0]!.user_id).toBe(user.id);
  });

  it('takes the username as set up, whatever its case', async () => {
    const form = await getCsrf(t, '/admin/setup');
    await postForm(t, form, '/admin/setup', SETUP);
    const { res } = await logIn(t, 'Head.Librarian', SETUP.password);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    expect((await logIn(t, '  HEAD.LIBRARIAN ', SETUP.password)).res.statusCode).toBe(303);
  });

  it('refuses a disabled user with the right password', async () => {
    const user = await makeUser(t, 'author');
    await t.db.kysely.updateTable('users').set({ disabled_at: new Date().toISOString() }).where('id', '=', user.id).execute();
    const { res } = await logIn(t, user.username);
    expect(res.statusCode).toBe(401);
  });

  it('starts a fresh session at sign-in: the old cookie stops working', async () => {
    const user = await makeUser(t, 'editor');
    const first = await logIn(t, user.username);
    const oldCookie = sessionCookie(first.res)!.value;
    expect(await opensStaffArea(oldCookie)).toBe(true);

    // Signing in again from the same browser, old cookie attached.
    const form = await getCsrf(t, '/admin/login', {});
    const second = await postForm(t, { cookies: { ...form.cookies, lectern_session: oldCookie }, csrf: form.csrf }, '/admin/login', {
      username: user.username,
      password: PASSWORD,
    });
    expect(second.statusCode).toBe(303);
    const newCookie = sessionCookie(second)!.value;
    expect(newCookie).not.toBe(oldCookie);
    expect(await opensStaffArea(oldCookie)).toBe(false);
    expect(await opensStaffArea(newCookie)).toBe(true);
    expect((await sessions()).map((s) => s.id)).toEqual([sha256(newCookie)]);
  });

  it('ignores a planted session id: the cookie after sign-in is a new one', async () => {
    const user = await makeUser(t, 'editor');
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, { cookies: { ...form.cookies, lectern_session: 'attacker-chosen' }, csrf: form.csrf }, '/admin/login', {
      username: user.username,
      password: PASSWORD,
    });
    expect(res.statusCode).toBe(303);
    expect(sessionCookie(res)!.value).not.toBe('attacker-chosen');
    expect(await opensStaffArea('attacker-chosen')).toBe(false);
  });

  it.each([
    ['/admin/posts/new', '/admin/posts/new'],
    ['/admin/posts?page=1', '/admin/posts?page=1'],
    ['//evil.example', '/admin'],
    ['//evil.example/admin', '/admin'],
    ['/\\evil.example', '/admin'],
    ['https://evil.example/', '/admin'],
    ['javascript:alert(1)', '/admin'],
    ['', '/admin'],
    // Browsers drop tabs and newlines from a URL, so these would read as //evil.example.
    ['/\t/evil.example', '/admin'],
    ['/\n/evil.example', '/admin'],
    ['/\r\n/evil.example', '/admin'],
    ['/ /evil.example', '/admin'],
  ])('after sign-in, next=%j leads to %j', async (next, location) => {
    const user = await makeUser(t, 'editor');
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, form, '/admin/login', { username: user.username, password: PASSWORD, next });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(location);
  });

  it('carries next through the form and keeps it on a failed attempt', async () => {
    const user = await makeUser(t, 'editor');
    const page = await t.app.inject('/admin/login?next=%2Fadmin%2Fprofile');
    expect(page.body).toContain('<input type="hidden" name="next" value="/admin/profile">');
    const evil = await t.app.inject('/admin/login?next=%2F%2Fevil.example');
    expect(evil.body).toContain('<input type="hidden" name="next" value="/admin">');
    const form = await getCsrf(t, '/admin/login');
    const failed = await postForm(t, form, '/admin/login', { username: user.username, password: 'nope nope nope', next: '/admin/profile' });
    expect(failed.statusCode).toBe(401);
    expect(failed.body).toContain('<input type="hidden" name="next" value="/admin/profile">');
  });

  it('sends a signed-in staff member away from the login form', async () => {
    const browser = await signIn(t, 'author');
    const res = await t.app.inject({ url: '/admin/login?next=%2Fadmin%2Fposts', cookies: browser.cookies });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/posts');
  });

  it('sends a patron to the site, not the staff area, which stays closed to them', async () => {
    const patron = await makeUser(t, 'patron');
    const { res } = await logIn(t, patron.username);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const cookie = sessionCookie(res)!.value;
    const dash = await t.app.inject({ url: '/admin', cookies: { lectern_session: cookie } });
    expect(dash.statusCode).toBe(403);
  });

  it('refuses a sign-in without its CSRF token, keeping the username but never the password', async () => {
    const user = await makeUser(t, 'editor');
    const res = await postForm(t, null, '/admin/login', { username: user.username, password: PASSWORD });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain(`<input type="hidden" name="username" value="${user.username}">`);
    expect(res.body).not.toContain(PASSWORD);
    expect(sessionCookie(res)).toBeUndefined();
  });
});

describe('sign out', () => {
  it('ends the session in the database; the old cookie then leads to the login page', async () => {
    const browser = await signIn(t, 'editor');
    const cookie = browser.cookies.lectern_session!;
    expect(await opensStaffArea(cookie)).toBe(true);
    const res = await postForm(t, browser, '/admin/logout', {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login?signed_out=1');
    const cleared = sessionCookie(res)!;
    expect(cleared.value).toBe('');
    expect(await sessions()).toEqual([]);
    expect(await opensStaffArea(cookie)).toBe(false);
  });

  it('only ends the session it was sent from', async () => {
    const a = await signIn(t, 'editor');
    const b = await signIn(t, 'editor');
    await postForm(t, a, '/admin/logout', {});
    expect(await opensStaffArea(a.cookies.lectern_session!)).toBe(false);
    expect(await opensStaffArea(b.cookies.lectern_session!)).toBe(true);
  });

  it('refuses a sign-out without its CSRF token, and the session lives on', async () => {
    const browser = await signIn(t, 'editor');
    const res = await postForm(t, { cookies: browser.cookies, csrf: 'forged' }, '/admin/logout', {});
    expect(res.statusCode).toBe(403);
    expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(true);
  });
});

describe('ended sessions', () => {
  it('refuses an expired session', async () => {
    const browser = await signIn(t, 'editor');
    await t.db.kysely.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
    expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(false);
    // …and the row is gone.
    expect(await sessions()).toEqual([]);
    // A form sent with it is refused with 401, not acted on.
    const res = await postForm(t, browser, '/admin/posts', { title: 'Too late', body: 'x', action: 'draft' });
    expect(res.statusCode).toBe(401);
    expect(await t.db.kysely.selectFrom('posts').selectAll().execute()).toEqual([]);
  });

  it('refuses an idle session', async () => {
    const browser = await signIn(t, 'editor');
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000).toISOString();
    await t.db.kysely.updateTable('sessions').set({ last_seen_at: eightDaysAgo, created_at: eightDaysAgo }).execute();
    expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(false);
  });

  it('ends a disabled user’s sessions and API tokens at once', async () => {
    const browser = await signIn(t, 'editor');
    const { token } = await createApiToken(t.db.kysely, browser.user, 'sync');
    const headers = { authorization: `Bearer ${token}` };
    expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(true);
    const ok = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers, payload: { title: 'Before', body: 'x', status: 'draft' } });
    expect(ok.statusCode).toBe(201);

    await t.db.kysely.updateTable('users').set({ disabled_at: new Date().toISOString() }).where('id', '=', browser.user.id).execute();

    expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(false);
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers, payload: { title: 'After', body: 'x', status: 'draft' } });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe('unauthorized');
  });

  it('keeps a session working while it is used', async () => {
    const browser = await signIn(t, 'author');
    for (let i = 0; i < 3; i++) expect(await opensStaffArea(browser.cookies.lectern_session!)).toBe(true);
  });
});

describe('the staff area is for staff', () => {
  const STAFF_PAGES = ['/admin', '/admin/posts', '/admin/posts/new', '/admin/profile', '/admin/tokens', '/admin/settings', '/admin/users'];

  it.each(STAFF_PAGES)('sends a visitor from %s to the login page with next', async (url) => {
    await makeUser(t, 'admin');
    const res = await t.app.inject(url);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent(url)}`);
  });

  it.each(STAFF_PAGES)('shows a patron a 403 page at %s', async (url) => {
    const patron = await signIn(t, 'patron');
    const res = await t.app.inject({ url, cookies: patron.cookies });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('Not allowed');
  });

  it.each([
    ['author', '/admin/settings', 403],
    ['author', '/admin/users', 403],
    ['editor', '/admin/settings', 403],
    ['editor', '/admin/users', 403],
    ['admin', '/admin/settings', 200],
    ['admin', '/admin/users', 200],
    ['author', '/admin', 200],
    ['author', '/admin/posts', 200],
    ['author', '/admin/profile', 200],
    ['author', '/admin/tokens', 200],
  ] as const)('%s at %s → %i', async (role, url, status) => {
    const browser = await signIn(t, role);
    const res = await t.app.inject({ url, cookies: browser.cookies });
    expect(res.statusCode).toBe(status);
  });

  it('marks staff pages no-store', async () => {
    const browser = await signIn(t, 'author');
    const res = await t.app.inject({ url: '/admin/posts', cookies: browser.cookies });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses a visitor’s form post with 401 rather than a redirect', async () => {
    await makeUser(t, 'admin');
    const form = await getCsrf(t, '/admin/login');
    for (const url of ['/admin/posts', '/admin/settings', '/admin/profile', '/admin/tokens']) {
      const res = await postForm(t, form, url, { title: 'x' });
      expect(res.statusCode, url).toBe(401);
    }
    expect(await t.db.kysely.selectFrom('posts').selectAll().execute()).toEqual([]);
  });

  it('lets an API token open nothing in the staff area', async () => {
    const { headers } = await apiToken(t, 'admin');
    const res = await t.app.inject({ url: '/admin/posts', headers });
    expect(res.statusCode).toBe(303);
  });
});
