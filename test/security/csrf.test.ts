import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPost, buildTestApp, getCsrf, makeUser, multipart, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { findPostById } from '../../server/data/posts.js';
import type { Role, User } from '../../server/db/schema.js';
import { collectRoutes, routeName, snapshotTables, type RouteKey } from './routes.js';

/**
 * Every state-changing route outside the JSON API, found from the router, must refuse a
 * request that carries a signed-in person's cookie but no CSRF token. The API is apart:
 * its staff endpoints take bearer tokens only and it reads JSON only (authz-matrix.test.ts
 * and below), so no other site can make a browser call it with the person's cookie.
 */
const EXCEPTIONS: Record<string, string> = {
  // RFC 8058 one-click unsubscribe: mail programs POST without cookies; the signed token
  // in the link is the permission, and all it can do is stop mail to that address.
  'POST /unsubscribe': 'signed one-click unsubscribe token (RFC 8058)',
};

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let t: TestApp;
let routes: RouteKey[];
let slug: string;
let postId: number;
let author: User;

beforeAll(async () => {
  t = await buildTestApp();
  routes = collectRoutes(t.app).filter((r) => STATE_CHANGING.has(r.method) && !r.url.startsWith('/api/'));
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 100_000, patron_registration: true });
  author = await makeUser(t, 'author');
  postId = await addPost(t, author, { title: 'CSRF target' });
  slug = (await findPostById(t.db.kysely, postId))!.slug;
});
afterAll(() => t.close());

function concrete(route: RouteKey): string {
  return route.url
    .replace(/:slug/g, slug)
    .replace(/:token/g, 'some-token')
    .replace(/:id/g, String(postId))
    .replace(/:(\w+)(\([^)]*\))?/g, '1');
}

/** A browser signed in as `role`, holding a valid CSRF cookie (and so able to send a token). */
async function browser(role: Role) {
  const user = await makeUser(t, role, { email: `${role}-${Date.now()}@example.org` });
  const form = await getCsrf(t, '/admin/login');
  return { user, cookies: { ...form.cookies, lectern_session: await startSession(t.db.kysely, user.id) }, csrf: form.csrf };
}

const TYPED = { title: 'Typed', body: 'Typed body', name: 'Typed', email: 'typed@example.org', display_name: 'Typed', status: 'approved', role: 'admin' };

describe('CSRF on every state-changing form', () => {
  it('finds the forms of the staff area and of patron accounts', () => {
    const names = routes.map(routeName);
    for (const expected of ['POST /posts/:slug/comments', 'POST /admin/login', 'POST /admin/posts', 'POST /account/login', 'POST /account/profile', 'POST /admin/users/:id/role']) {
      expect(names).toContain(expected);
    }
    for (const name of Object.keys(EXCEPTIONS)) expect(names, `stale exception ${name}`).toContain(name);
  });

  for (const role of ['admin', 'patron'] as Role[]) {
    it(`refuses each one from a signed-in ${role} without a token (403), changing nothing`, { timeout: 120_000 }, async () => {
      const wrong: string[] = [];
      for (const route of routes) {
        if (routeName(route) in EXCEPTIONS) continue;
        const me = await browser(role);
        const url = concrete(route);
        const before = await snapshotTables(t);
        const urlencoded = await t.app.inject({
          method: route.method as 'POST',
          url,
          cookies: me.cookies,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams(TYPED).toString(),
        });
        const form = multipart({ filename: 'x.png', contentType: 'image/png', data: Buffer.from('x') }, TYPED);
        const multi = await t.app.inject({ method: route.method as 'POST', url, cookies: me.cookies, headers: form.headers, payload: form.payload });
        for (const [kind, res] of [['urlencoded', urlencoded], ['multipart', multi]] as const) {
          // A route with a body schema refuses a body of the wrong shape before any check runs.
          if (kind === 'multipart' && res.statusCode === 422 && !res.body.includes('Your form was not sent')) continue;
          if (res.statusCode !== 403) wrong.push(`${route.method} ${url} (${kind}) as ${role}: ${res.statusCode}`);
          // An admin passes every role check, so the refusal must be the CSRF check's own.
          else if (role === 'admin' && !res.body.includes('Your form was not sent')) wrong.push(`${route.method} ${url} (${kind}): 403, but not for CSRF`);
        }
        const after = await snapshotTables(t);
        if (JSON.stringify(after) !== JSON.stringify(before)) wrong.push(`${route.method} ${url} as ${role} changed the database`);
      }
      expect(wrong).toEqual([]);
    });
  }

  it('refuses a forged token, and a token from another browser', async () => {
    const me = await browser('admin');
    const other = await browser('admin');
    for (const route of routes.filter((r) => !(routeName(r) in EXCEPTIONS)).slice(0, 40)) {
      for (const csrf of ['forged', other.csrf]) {
        const res = await t.app.inject({
          method: route.method as 'POST',
          url: concrete(route),
          cookies: me.cookies,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ ...TYPED, _csrf: csrf }).toString(),
        });
        expect(res.statusCode, `${routeName(route)} ${csrf}`).toBe(403);
      }
    }
  });

  it('lets a visitor whom no cookie identifies comment without a token (nothing to ride)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/posts/${slug}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ name: 'Visitor', email: 'visitor@example.org', body: 'Hello' }).toString(),
    });
    expect(res.statusCode).toBe(303);
  });

  it('takes a one-click unsubscribe without cookie or token, and a bad link changes nothing', async () => {
    const before = await snapshotTables(t);
    const res = await t.app.inject({ method: 'POST', url: '/unsubscribe?token=forged.token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(res.statusCode).toBe(400);
    expect(await snapshotTables(t)).toEqual(before);
  });
});

describe('the JSON API cannot be ridden with a cookie', () => {
  it('refuses a form-encoded or plain-text API write (what another site’s page can send) with 415', async () => {
    const me = await browser('admin');
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/posts/${slug}/comments`,
        cookies: me.cookies,
        headers: { 'content-type': type },
        payload: 'name=x&email=x%40example.org&body=forged',
      });
      expect(res.statusCode, type).toBe(415);
      expect(res.json().error.code).toBe('unsupported_media_type');
    }
    expect(await t.db.kysely.selectFrom('comments').select('id').where('body_md', '=', 'forged').execute()).toEqual([]);
  });

  it('refuses the staff API to an administrator’s session cookie without a bearer token', async () => {
    const me = await browser('admin');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/users', cookies: me.cookies, payload: { username: 'sneaky', role: 'admin', password: 'a long enough password' } });
    expect(res.statusCode).toBe(401);
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'sneaky').execute()).toEqual([]);
  });
});
