import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { addPost, buildTestApp, getCsrf, makeUser, parseSetCookies, PASSWORD, postForm, signIn, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, startSession } from '../../server/services/auth.js';
import { sha256 } from '../../server/services/tokens.js';
import { safeNext } from '../../server/routes/admin/forms.js';

const ORIGIN = 'http://lectern.test';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { patron_registration: true });
});
afterAll(() => t.close());

const session = (res: LightMyRequestResponse) => res.cookies.find((c) => c.name === 'lectern_session');
const sessionRow = (token: string) => t.db.kysely.selectFrom('sessions').selectAll().where('id', '=', sha256(token)).executeTakeFirst();

describe('session cookies', () => {
  it('are HttpOnly, SameSite=Lax, path /, from every way of signing in', async () => {
    const staff = await makeUser(t, 'author');
    const patron = await makeUser(t, 'patron', { email: 'cookie-patron@example.org' });
    const form = await getCsrf(t, '/admin/login');
    const results = [
      await postForm(t, form, '/admin/login', { username: staff.username, password: PASSWORD }),
      await postForm(t, form, '/account/login', { login: 'cookie-patron@example.org', password: PASSWORD }),
      await postForm(t, form, '/account/register', { name: 'New Reader', email: 'new-reader@example.org', password: 'a long new password', password_confirm: 'a long new password' }),
    ];
    expect(patron.id).toBeGreaterThan(0);
    for (const res of results) {
      expect(res.statusCode).toBe(303);
      const raw = ([] as string[]).concat(res.headers['set-cookie'] as string[]).find((c) => c.startsWith('lectern_session='))!;
      expect(raw).toMatch(/; HttpOnly/);
      expect(raw).toMatch(/; SameSite=Lax/);
      expect(raw).toMatch(/; Path=\//);
      expect(session(res)!.value).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    }
  });

  it('are stored only as their SHA-256', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(t.db.kysely, user.id);
    const rows = await t.db.kysely.selectFrom('sessions').select('id').execute();
    expect(rows.map((r) => r.id)).toContain(sha256(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('session fixation', () => {
  it('issues a new session id at sign-in and ends the one the browser came with', async () => {
    const user = await makeUser(t, 'editor');
    const before = await signIn(t, 'patron');
    const oldToken = before.cookies.lectern_session!;
    const res = await postForm(t, before, '/admin/login', { username: user.username, password: PASSWORD });
    expect(res.statusCode).toBe(303);
    const fresh = session(res)!.value;
    expect(fresh).not.toBe(oldToken);
    expect(await sessionRow(oldToken)).toBeUndefined();
    expect((await sessionRow(fresh))!.user_id).toBe(user.id);
  });

  it('never adopts a session id the attacker planted', async () => {
    const user = await makeUser(t, 'editor');
    const planted = 'attacker-chosen-session-value-0123456789abcdef';
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, { cookies: { ...form.cookies, lectern_session: planted }, csrf: form.csrf }, '/admin/login', { username: user.username, password: PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(session(res)!.value).not.toBe(planted);
    expect(await sessionRow(planted)).toBeUndefined();
    const stillOut = await t.app.inject({ url: '/admin', cookies: { lectern_session: planted } });
    expect(stillOut.statusCode).toBe(303);
  });
});

describe('session expiry', () => {
  const opens = async (token: string) => (await t.app.inject({ url: '/admin/profile', cookies: { lectern_session: token } })).statusCode === 200;

  it('ends a session unused for the idle time', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(t.db.kysely, user.id);
    expect(await opens(token)).toBe(true);
    const idle = new Date(Date.now() - SESSION_IDLE_MS - 60_000).toISOString();
    await t.db.kysely.updateTable('sessions').set({ last_seen_at: idle }).where('id', '=', sha256(token)).execute();
    const res = await t.app.inject({ url: '/admin/profile', cookies: { lectern_session: token } });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/login?next=%2Fadmin%2Fprofile');
    expect(await sessionRow(token)).toBeUndefined();
  });

  it('ends a session after its absolute lifetime, however busy', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(t.db.kysely, user.id, new Date(Date.now() - SESSION_ABSOLUTE_MS - 60_000));
    // Used a minute ago: not idle, but too old.
    await t.db.kysely.updateTable('sessions').set({ last_seen_at: new Date(Date.now() - 60_000).toISOString() }).where('id', '=', sha256(token)).execute();
    expect(await opens(token)).toBe(false);
    expect(await sessionRow(token)).toBeUndefined();
  });

  it('keeps a session alive while it is used, and says so in the cookie’s lifetime', async () => {
    const user = await makeUser(t, 'author');
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, form, '/admin/login', { username: user.username, password: PASSWORD });
    expect(session(res)!.maxAge).toBe(SESSION_ABSOLUTE_MS / 1000);
    expect(SESSION_IDLE_MS).toBeLessThanOrEqual(SESSION_ABSOLUTE_MS);
  });
});

/** Where a Location header takes a browser, resolved as a browser would. */
function lands(location: string | undefined): string {
  return new URL(String(location ?? ''), ORIGIN).origin;
}

const HOSTILE_NEXT = [
  '//evil.example',
  '//evil.example/admin',
  '/\\evil.example',
  '\\/evil.example',
  '/\\/evil.example',
  'https://evil.example',
  'http:evil.example',
  'https:/evil.example',
  '/%2F%2Fevil.example',
  '%2F%2Fevil.example',
  '/%5Cevil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  '\t//evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  ' //evil.example',
  '//evil.example%2F..',
  '///evil.example',
  '/.//evil.example',
  '/..//evil.example',
  '//@evil.example',
  '/admin@evil.example',
  '\u3002//evil.example',
  '/\u2028/evil.example',
  '/\uff0f/evil.example',
  '/\uff0fevil.example',
  '/\u0085/evil.example',
  'evil.example',
];

describe('the next parameter of sign-in', () => {
  it.each(HOSTILE_NEXT.map((n) => [JSON.stringify(n), n]))('safeNext keeps %s on the site', (_label, next) => {
    const result = safeNext(next);
    expect(result.startsWith('/')).toBe(true);
    expect(lands(result)).toBe(ORIGIN);
    // eslint-disable-next-line no-control-regex
    expect(result).not.toMatch(/[\u0000-\u0020\u007f]/);
  });

  it('never sends a browser off the site, whatever next says, on any sign-in path', async () => {
    const staff = await makeUser(t, 'editor');
    const patron = await makeUser(t, 'patron', { email: 'next-patron@example.org' });
    const signedInStaff = { lectern_session: await startSession(t.db.kysely, staff.id) };
    const wrong: string[] = [];
    for (const next of HOSTILE_NEXT) {
      const form = await getCsrf(t, '/admin/login');
      const attempts: [string, LightMyRequestResponse][] = [
        ['POST /admin/login', await postForm(t, form, '/admin/login', { username: staff.username, password: PASSWORD, next })],
        ['POST /account/login', await postForm(t, form, '/account/login', { login: patron.email!, password: PASSWORD, next })],
        ['GET /admin/login (signed in)', await t.app.inject({ url: `/admin/login?next=${encodeURIComponent(next)}`, cookies: signedInStaff })],
        ['GET /account/login (signed in)', await t.app.inject({ url: `/account/login?next=${encodeURIComponent(next)}`, cookies: signedInStaff })],
      ];
      for (const [where, res] of attempts) {
        if (res.statusCode < 300 || res.statusCode >= 400) {
          if (res.statusCode >= 500) wrong.push(`${where} ${JSON.stringify(next)}: ${res.statusCode}`);
          continue;
        }
        if (lands(res.headers.location as string) !== ORIGIN) wrong.push(`${where} ${JSON.stringify(next)} → ${res.headers.location}`);
      }
      // The form itself carries only a safe value forward.
      const page = await t.app.inject(`/admin/login?next=${encodeURIComponent(next)}`);
      const carried = /name="next" value="([^"]*)"/.exec(page.body)?.[1] ?? '/admin';
      if (lands(carried.replace(/&amp;/g, '&')) !== ORIGIN) wrong.push(`login form carries ${carried}`);
    }
    expect(wrong).toEqual([]);
  });

  it('still takes a browser back to a page of the site', async () => {
    const staff = await makeUser(t, 'editor');
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, form, '/admin/login', { username: staff.username, password: PASSWORD, next: '/admin/posts?page=2' });
    expect(res.headers.location).toBe('/admin/posts?page=2');
  });
});

describe('redirects elsewhere', () => {
  it('never lead off the site (moderation return_to, old WordPress addresses, trailing slashes)', async () => {
    const editor = await signIn(t, 'editor');
    const author = await makeUser(t, 'author');
    await addPost(t, author, { title: 'Redirect target', tags: ['Events'] });
    const wrong: string[] = [];
    const paths = [
      '//evil.example/', '///evil.example/', '/%2F%2Fevil.example/', '//evil.example/feed/', '/category//evil.example/',
      '/tag/%2F%2Fevil.example/', '/author//evil.example/', '/category/%5C%5Cevil.example/', '//evil.example/%2e%2e/',
      '/wp-content/uploads//evil.example/', '/feed//evil.example', '/index.php?p=//evil.example', '/?s=//evil.example',
      '/?author=//evil.example', '/2024/01//evil.example/', '/%09/evil.example/', '/tag/events/%2F%2Fevil.example',
    ];
    for (const path of paths) {
      const res = await t.app.inject(path);
      if (res.statusCode >= 500) wrong.push(`${path}: ${res.statusCode}`);
      if (res.headers.location !== undefined && lands(res.headers.location as string) !== ORIGIN) wrong.push(`${path} → ${res.headers.location}`);
    }
    for (const returnTo of HOSTILE_NEXT) {
      const res = await postForm(t, editor, '/admin/comments/bulk', { ids: '999999', bulk_action: 'approved', return_to: returnTo });
      if (res.headers.location !== undefined && lands(res.headers.location as string) !== ORIGIN) wrong.push(`return_to ${JSON.stringify(returnTo)} → ${res.headers.location}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('sign-out', () => {
  it('ends the session in the database, so a copied cookie is worthless', async () => {
    const user = await makeUser(t, 'author');
    const form = await getCsrf(t, '/admin/login');
    const login = await postForm(t, form, '/admin/login', { username: user.username, password: PASSWORD });
    const cookies = { ...form.cookies, ...parseSetCookies(login) };
    const token = cookies.lectern_session!;
    const out = await postForm(t, { cookies, csrf: form.csrf }, '/admin/logout', {});
    expect(out.statusCode).toBe(303);
    expect(await sessionRow(token)).toBeUndefined();
    expect((await t.app.inject({ url: '/admin/profile', cookies: { lectern_session: token } })).statusCode).toBe(303);
  });
});
