import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import {
  addPost,
  buildTestApp,
  getCsrf,
  makeUser,
  multipart,
  PASSWORD,
  tinyPng,
  type TestApp,
} from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { createApiToken } from '../../server/services/api-tokens.js';
import { submitComment } from '../../server/services/comments.js';
import { loadSettings } from '../../server/services/settings.js';
import { findPostById } from '../../server/data/posts.js';
import { sha256 } from '../../server/services/tokens.js';
import type { Role, User } from '../../server/db/schema.js';
import { collectRoutes, routeName, type RouteKey } from './routes.js';

/**
 * The roles table of product.md, walked over every route of the app. Each route is
 * classified below; a route the router has and this map lacks fails the test, so a new
 * route cannot ship without someone deciding who may use it.
 */
type Access =
  /** read published posts and approved comments; comment and reply; sign in; the mail links */
  | 'public'
  /** a person's own account pages: any signed-in role */
  | 'signed-in'
  /** closing one's own patron account (staff accounts are closed by an administrator) */
  | 'patron-self'
  /** "create and edit own posts, publish them" and the staff area that goes with it */
  | 'staff'
  /** "edit or delete anyone's posts" (the target is another author's post) */
  | 'edit-any-post'
  /** "moderate comments, see the queue" */
  | 'moderate'
  /** "manage users, settings, import/export, API tokens for others" */
  | 'admin'
  /** the public JSON API */
  | 'api-public'
  /** a commenter's own comment (issue 11): only its poster, by browser cookie, account or edit token; no role grants it */
  | 'comment-owner'
  | 'api-comment-owner'
  /** the staff JSON API, by bearer token only */
  | 'api-write-posts'
  | 'api-edit-any-post'
  | 'api-moderate'
  | 'api-admin';

type Who = Role | 'anonymous';
const WHO: Who[] = ['anonymous', 'patron', 'author', 'editor', 'admin'];
const ALL: Who[] = WHO;
const STAFF: Who[] = ['author', 'editor', 'admin'];
const EDITORS: Who[] = ['editor', 'admin'];

const ALLOWED: Record<Access, Who[]> = {
  public: ALL,
  'signed-in': ['patron', 'author', 'editor', 'admin'],
  'patron-self': ['patron'],
  staff: STAFF,
  'edit-any-post': EDITORS,
  moderate: EDITORS,
  admin: ['admin'],
  'api-public': ALL,
  // The matrix's target comments are posted by a visitor: nobody here holds their proof.
  'comment-owner': [],
  'api-comment-owner': [],
  'api-write-posts': STAFF,
  'api-edit-any-post': EDITORS,
  'api-moderate': EDITORS,
  'api-admin': ['admin'],
};

const ACCESS: Record<string, Access> = {
  // Public site
  'GET /': 'public',
  'GET /static/*': 'public',
  'GET /uploads/*': 'public',
  'GET /search': 'public',
  'GET /sitemap.xml': 'public',
  'GET /sitemap-:part(^\\d{1,4}$).xml': 'public',
  'GET /robots.txt': 'public',
  'GET /healthz': 'public',
  'GET /archive': 'public',
  'GET /:year(^\\d{4}$)/:month(^\\d{2}$)': 'public',
  'GET /posts/:slug': 'public',
  'POST /posts/:slug/comments': 'public',
  // Likes and reports (issue 11): readers, no account
  'POST /posts/:slug/like': 'public',
  'POST /comments/:id/like': 'public',
  'GET /comments/:id/report': 'public',
  // A commenter's own edit and delete (issue 11)
  'GET /comments/:id/edit': 'comment-owner',
  'POST /comments/:id/edit': 'comment-owner',
  'GET /comments/:id/delete': 'comment-owner',
  'POST /comments/:id/delete': 'comment-owner',
  'POST /comments/:id/report': 'public',
  // Question summaries (issue 11): what the post page shows, on a page and as CSV
  'GET /posts/:slug/summary': 'public',
  'GET /posts/:slug/summary.csv': 'public',
  'GET /posts/:slug/feed.xml': 'public',
  'GET /posts/:slug/feed.atom': 'public',
  'GET /pages/:slug': 'public',
  'GET /avatars/:key': 'public',
  'GET /author/:username': 'public',
  'GET /author/:username/feed.xml': 'public',
  'GET /author/:username/feed.atom': 'public',
  'GET /category/:slug': 'public',
  'GET /category/:slug/feed.xml': 'public',
  'GET /category/:slug/feed.atom': 'public',
  'GET /tag/:slug': 'public',
  'GET /tag/:slug/feed.xml': 'public',
  'GET /tag/:slug/feed.atom': 'public',
  'GET /feed.xml': 'public',
  'GET /feed.atom': 'public',
  'GET /comments/feed.xml': 'public',
  'GET /comments/feed.atom': 'public',
  'GET /unsubscribe': 'public',
  // Old WordPress addresses, redirected (issue 7)
  'GET /index.php': 'public',
  'GET /feed': 'public',
  'GET /feed/:format': 'public',
  'GET /comments/feed': 'public',
  'GET /author/:parent/:slug': 'public',
  'GET /category/:parent/:slug': 'public',
  'GET /tag/:parent/:slug': 'public',
  'GET /wp-content/uploads/*': 'public',
  'GET /:year(^\\d{4}$)/:month(^\\d{2}$)/:slug': 'public',
  'GET /:year(^\\d{4}$)/:month(^\\d{2}$)/:day(^\\d{2}$)/:slug': 'public',
  'GET /:year(^\\d{4}$)/:month(^\\d{2}$)/:day(^\\d{2}$)/:slug/:extra': 'public',
  'POST /unsubscribe': 'public',
  // Patron accounts
  'GET /account': 'signed-in',
  'GET /account/register': 'public',
  'POST /account/register': 'public',
  'GET /account/confirm/:token': 'public',
  'POST /account/confirm': 'signed-in',
  'GET /account/login': 'public',
  'POST /account/login': 'public',
  'POST /account/logout': 'public',
  'POST /account/profile': 'signed-in',
  'POST /account/password': 'signed-in',
  'POST /account/close': 'patron-self',
  'GET /invite/:token': 'public',
  'POST /invite/:token': 'public',
  // Staff area: signing in, first run, passwords
  'GET /admin/setup': 'public',
  'POST /admin/setup': 'public',
  'GET /admin/login': 'public',
  'POST /admin/login': 'public',
  'POST /admin/logout': 'public',
  'GET /admin/forgot': 'public',
  'POST /admin/forgot': 'public',
  'GET /admin/reset/:token': 'public',
  'POST /admin/reset/:token': 'public',
  // Staff area
  'GET /admin': 'staff',
  'GET /admin/profile': 'staff',
  'POST /admin/profile': 'staff',
  'GET /admin/password': 'staff',
  'POST /admin/password': 'staff',
  'GET /admin/tokens': 'staff',
  'POST /admin/tokens': 'staff',
  'POST /admin/tokens/:id/revoke': 'staff',
  'GET /admin/posts': 'staff',
  'POST /admin/posts': 'staff',
  'GET /admin/posts/new': 'staff',
  'POST /admin/preview': 'staff',
  'POST /admin/uploads': 'staff',
  'GET /admin/posts/:id/edit': 'edit-any-post',
  'POST /admin/posts/:id': 'edit-any-post',
  'GET /admin/posts/:id/delete': 'edit-any-post',
  'POST /admin/posts/:id/delete': 'edit-any-post',
  'GET /admin/comments': 'moderate',
  'GET /admin/categories': 'moderate',
  'POST /admin/categories': 'moderate',
  'POST /admin/comments/bulk': 'moderate',
  'POST /admin/comments/:id/status': 'moderate',
  'GET /admin/comments/:id/delete': 'moderate',
  'POST /admin/comments/:id/delete': 'moderate',
  'POST /admin/comments/:id/reply': 'moderate',
  // Moderation workspace (issue 11): claims, notes, undo, blocks; the dry run sits on the settings page
  'POST /admin/comments/:id/claim': 'moderate',
  'POST /admin/comments/:id/release': 'moderate',
  'GET /admin/comments/:id/notes': 'moderate',
  'POST /admin/comments/:id/notes': 'moderate',
  'GET /admin/comments/:id/block': 'moderate',
  'POST /admin/comments/:id/block': 'moderate',
  'POST /admin/moderation/undo': 'moderate',
  'GET /admin/blocks': 'moderate',
  'POST /admin/blocks': 'moderate',
  'POST /admin/blocks/:id/delete': 'moderate',
  'POST /admin/settings/discussion/dry-run': 'admin',
  // Question posts (issue 11): themes and the official answer
  'GET /admin/posts/:id/themes': 'moderate',
  'POST /admin/posts/:id/themes/:themeId/delete': 'moderate',
  'POST /admin/posts/:id/answer': 'moderate',
  'POST /admin/posts/:id/answer/delete': 'moderate',
  'POST /admin/comments/:id/themes': 'moderate',
  'POST /admin/comments/:id/themes/:themeId/delete': 'moderate',
  'GET /admin/comments/log': 'admin',
  'GET /admin/settings': 'admin',
  'POST /admin/settings': 'admin',
  'GET /admin/settings/discussion': 'admin',
  'POST /admin/settings/discussion': 'admin',
  'GET /admin/mail': 'admin',
  'POST /admin/mail/settings': 'admin',
  'POST /admin/mail/:id/retry': 'admin',
  'GET /admin/subscriptions': 'admin',
  'POST /admin/subscriptions/remove-all': 'admin',
  'POST /admin/subscriptions/restore': 'admin',
  'POST /admin/subscriptions/:id/delete': 'admin',
  'GET /admin/import-export': 'admin',
  'POST /admin/import-export/import': 'admin',
  'GET /admin/import-export/export/wordpress': 'admin',
  'GET /admin/import-export/export/json': 'admin',
  'GET /admin/privacy': 'admin',
  'POST /admin/privacy/export': 'admin',
  'POST /admin/privacy/erase': 'admin',
  'GET /admin/users': 'admin',
  'POST /admin/users': 'admin',
  'POST /admin/users/invite': 'admin',
  'POST /admin/users/invitations/:id/revoke': 'admin',
  'GET /admin/users/:id': 'admin',
  'POST /admin/users/:id/role': 'admin',
  'POST /admin/users/:id/reset-link': 'admin',
  'POST /admin/users/:id/disable': 'admin',
  'POST /admin/users/:id/enable': 'admin',
  'POST /admin/users/:id/confirm-email': 'admin',
  'GET /admin/users/:id/delete': 'admin',
  'POST /admin/users/:id/delete': 'admin',
  // JSON API
  'GET /api/v1/posts': 'api-public',
  'GET /api/v1/posts/:slug': 'api-public',
  'POST /api/v1/posts/:slug/comments': 'api-public',
  'POST /api/v1/posts/:slug/like': 'api-public',
  'DELETE /api/v1/posts/:slug/like': 'api-public',
  'POST /api/v1/comments/:id/like': 'api-public',
  'DELETE /api/v1/comments/:id/like': 'api-public',
  'POST /api/v1/comments/:id/reports': 'api-public',
  'PATCH /api/v1/comments/:id/own': 'api-comment-owner',
  'DELETE /api/v1/comments/:id/own': 'api-comment-owner',
  'POST /api/v1/posts': 'api-write-posts',
  'PATCH /api/v1/posts/:id': 'api-edit-any-post',
  'DELETE /api/v1/posts/:id': 'api-edit-any-post',
  'GET /api/v1/comments': 'api-moderate',
  'PATCH /api/v1/comments/:id': 'api-moderate',
  'DELETE /api/v1/comments/:id': 'api-moderate',
  'POST /api/v1/comments/bulk': 'api-moderate',
  'POST /api/v1/comments/:id/claim': 'api-moderate',
  'DELETE /api/v1/comments/:id/claim': 'api-moderate',
  'GET /api/v1/comments/:id/notes': 'api-moderate',
  'POST /api/v1/comments/:id/notes': 'api-moderate',
  'POST /api/v1/moderation/undo': 'api-moderate',
  'POST /api/v1/moderation/dry-run': 'api-moderate',
  'GET /api/v1/blocks': 'api-moderate',
  'POST /api/v1/blocks': 'api-moderate',
  'DELETE /api/v1/blocks/:id': 'api-moderate',
  'GET /api/v1/posts/:slug/summary': 'api-public',
  'GET /api/v1/posts/:slug/themes': 'api-moderate',
  'PUT /api/v1/posts/:slug/answer': 'api-moderate',
  'DELETE /api/v1/posts/:slug/answer': 'api-moderate',
  'POST /api/v1/comments/:id/themes': 'api-moderate',
  'DELETE /api/v1/comments/:id/themes/:themeId': 'api-moderate',
  'GET /api/v1/users': 'api-admin',
  'POST /api/v1/users': 'api-admin',
  'GET /api/v1/users/:id': 'api-admin',
  'PATCH /api/v1/users/:id': 'api-admin',
  'DELETE /api/v1/users/:id': 'api-admin',
  'POST /api/v1/users/:id/reset-link': 'api-admin',
  'POST /api/v1/invitations': 'api-admin',
  'GET /api/v1/privacy': 'api-admin',
  'POST /api/v1/privacy/erase': 'api-admin',
};

interface Actor {
  who: Who;
  user: User | null;
  /** The CSRF cookie and a token that matches it. */
  csrfCookies: Record<string, string>;
  csrf: string;
  token: string | null;
}

let t: TestApp;
let routes: RouteKey[];
let actors: Actor[];
let otherAuthor: User;
let loginTarget: User;
let post: { id: number; slug: string; published_at: string };
let pageSlug: string;
let counter = 0;

const settings = () => loadSettings(t.db.kysely);

beforeAll(async () => {
  t = await buildTestApp();
  routes = collectRoutes(t.app);
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 100_000, hold_links: 0 });
  otherAuthor = await makeUser(t, 'author');
  loginTarget = await makeUser(t, 'author');
  const postId = await addPost(t, otherAuthor, { title: 'Matrix post', tags: ['Events'], categories: ['News'] });
  const row = (await findPostById(t.db.kysely, postId))!;
  post = { id: postId, slug: row.slug, published_at: row.published_at! };
  pageSlug = (await findPostById(t.db.kysely, await addPost(t, otherAuthor, { title: 'Opening hours', kind: 'page' })))!.slug;
  actors = [];
  for (const who of WHO) {
    const user = who === 'anonymous' ? null : await makeUser(t, who, { email: `${who}@example.org` });
    const form = await getCsrf(t, '/admin/login');
    let token: string | null = null;
    if (user && who !== 'patron') token = (await createApiToken(t.db.kysely, user, 'matrix')).token;
    if (user && who === 'patron') {
      // Tokens are for staff; a patron may still hold one from before a demotion.
      token = `lct_matrix_patron_${user.id}`;
      await t.db.kysely.insertInto('api_tokens').values({ user_id: user.id, name: 'old', token_hash: sha256(token), created_at: new Date().toISOString() }).execute();
    }
    actors.push({ who, user, csrfCookies: form.cookies, csrf: form.csrf, token });
  }
});
afterAll(() => t.close());

/** A fresh row for routes that change or remove their target, so no request spoils the next. */
async function freshId(route: RouteKey, actor: Actor): Promise<number> {
  const url = route.url;
  if (url.startsWith('/admin/posts/') || url.startsWith('/api/v1/posts/')) return addPost(t, otherAuthor, { title: `Target ${++counter}` });
  if (url.startsWith('/admin/comments/') || url.startsWith('/api/v1/comments/') || url.startsWith('/comments/')) {
    const result = await submitComment(
      t.db.kysely,
      post.slug,
      { name: 'Target', email: `target${++counter}@example.org`, body: 'A comment to act on' },
      { user: null, ipHash: 'f'.repeat(32) },
      await settings(),
      'matrix-secret',
    );
    return result.id;
  }
  if (url.startsWith('/admin/tokens/')) {
    const owner = actor.user && actor.who !== 'patron' ? actor.user : otherAuthor;
    return (await createApiToken(t.db.kysely, owner, 'to revoke')).id;
  }
  if (url.startsWith('/admin/users/invitations/')) return 999_999;
  if (url.startsWith('/admin/users/') || url.startsWith('/api/v1/users/')) return (await makeUser(t, 'patron')).id;
  return 999_999;
}

/** The route's address with every parameter filled in. */
async function concreteUrl(route: RouteKey, actor: Actor): Promise<string> {
  const [year, month] = post.published_at.slice(0, 7).split('-');
  const values: Record<string, () => Promise<string> | string> = {
    slug: () => (route.url.startsWith('/pages/') ? pageSlug : route.url.startsWith('/category/') ? 'news' : route.url.startsWith('/tag/') ? 'events' : post.slug),
    username: () => otherAuthor.username,
    key: () => `${'a'.repeat(32)}.svg`,
    token: () => 'not-a-real-token',
    year: () => year!,
    month: () => month!,
    part: () => '1',
    day: () => post.published_at.slice(8, 10),
    parent: () => (route.url.startsWith('/author/') ? otherAuthor.username : route.url.startsWith('/category/') ? 'news' : 'events'),
    extra: () => 'feed',
    format: () => 'atom',
    id: async () => String(await freshId(route, actor)),
    themeId: () => '999999',
  };
  let url = route.url.replace('*', route.url.startsWith('/static/') ? 'css/site.css' : 'no-such-file.png');
  for (const match of [...url.matchAll(/:(\w+)(\([^)]*\))?/g)]) {
    const fill = values[match[1]!];
    if (!fill) throw new Error(`no value for :${match[1]} in ${route.url}`);
    url = url.replace(match[0], await fill());
  }
  if (route.url === '/api/v1/privacy') url += '?email=nobody%40example.org';
  return url;
}

/** What a browser form sends: some typed fields, and valid credentials for the sign-in forms. */
function formFields(route: RouteKey): Record<string, string> {
  if (route.url === '/admin/login') return { username: loginTarget.username, password: PASSWORD };
  if (route.url === '/account/login') return { login: loginTarget.username, password: PASSWORD };
  return {
    title: 'Typed title',
    body: 'Typed body text',
    display_name: 'Typed Name',
    name: 'Typed Name',
    email: 'typed@example.org',
    status: 'approved',
    role: 'patron',
    action: 'draft',
  };
}

function apiBody(route: RouteKey, id: string | undefined): Record<string, unknown> | undefined {
  const key = routeName(route);
  const bodies: Record<string, Record<string, unknown>> = {
    'POST /api/v1/posts': { title: 'From the matrix', body: 'x', status: 'draft' },
    'PATCH /api/v1/posts/:id': { title: 'Changed by the matrix' },
    'POST /api/v1/posts/:slug/comments': { name: 'Matrix', email: 'matrix@example.org', body: 'Through the API' },
    'PATCH /api/v1/comments/:id': { status: 'approved' },
    'PATCH /api/v1/comments/:id/own': { body: 'Edited by the matrix' },
    'POST /api/v1/comments/bulk': { ids: [Number(id ?? 1)], status: 'approved' },
    'POST /api/v1/comments/:id/notes': { body: 'A note from the matrix' },
    'POST /api/v1/blocks': { email: 'matrix-blocked@example.org' },
    'POST /api/v1/users': { username: `matrix${++counter}`, role: 'patron' },
    'PATCH /api/v1/users/:id': { role: 'patron' },
    'POST /api/v1/invitations': { role: 'author' },
    'POST /api/v1/privacy/erase': { email: 'nobody@example.org', mode: 'delete' },
  };
  if (route.method === 'GET' || route.method === 'DELETE') return undefined;
  return bodies[key] ?? {};
}

type Credentials = 'token' | 'cookie';

async function send(route: RouteKey, actor: Actor, credentials: Credentials): Promise<{ url: string; res: LightMyRequestResponse }> {
  const url = await concreteUrl(route, actor);
  // A session of its own for each request: a sign-out route ends only that one.
  const session: Record<string, string> = actor.user && credentials === 'cookie' ? { lectern_session: await startSession(t.db.kysely, actor.user.id) } : {};
  const cookies = { ...actor.csrfCookies, ...session };
  if (route.url.startsWith('/api/')) {
    const headers: Record<string, string> = credentials === 'token' && actor.token ? { authorization: `Bearer ${actor.token}` } : {};
    const body = apiBody(route, url.match(/\/(\d+)$/)?.[1]);
    const res = await t.app.inject({
      method: route.method as 'GET',
      url,
      headers,
      cookies: credentials === 'cookie' ? cookies : {},
      ...(body !== undefined ? { payload: body } : {}),
    });
    return { url, res };
  }
  if (route.method === 'GET') return { url, res: await t.app.inject({ method: 'GET', url, cookies }) };
  if (route.url === '/admin/uploads') {
    const form = multipart({ filename: 'matrix.png', contentType: 'image/png', data: tinyPng() });
    const res = await t.app.inject({ method: 'POST', url: `${url}?_csrf=${encodeURIComponent(actor.csrf)}`, cookies, headers: form.headers, payload: form.payload });
    return { url, res };
  }
  const params = new URLSearchParams({ _csrf: actor.csrf, ...formFields(route) });
  const res = await t.app.inject({
    method: route.method as 'POST',
    url,
    cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: params.toString(),
  });
  return { url, res };
}

/** A page asked for without the right to see it may send the browser to sign in instead. */
const toLogin = (res: LightMyRequestResponse, method: string) =>
  method === 'GET' && res.statusCode >= 300 && res.statusCode < 400 && /^\/(admin|account)\/login(\?|$)/.test(String(res.headers.location ?? ''));
const denied = (res: LightMyRequestResponse, method: string) => res.statusCode === 401 || res.statusCode === 403 || toLogin(res, method);

describe('authorization matrix (product.md, Roles)', () => {
  it('knows every route of the app, and no route it lists is gone', () => {
    const names = routes.map(routeName);
    const unclassified = names.filter((name) => !(name in ACCESS));
    expect(unclassified, 'classify these routes in ACCESS (test/security/authz-matrix.test.ts)').toEqual([]);
    const stale = Object.keys(ACCESS).filter((name) => !names.includes(name));
    expect(stale, 'these routes are in ACCESS but no longer in the app').toEqual([]);
    expect(names.length).toBeGreaterThan(100);
  });

  it('answers every route, for every role, as the roles table says', { timeout: 180_000 }, async () => {
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes) {
      const access = ACCESS[routeName(route)];
      if (!access) continue;
      const api = route.url.startsWith('/api/');
      for (const actor of actors) {
        const allowed = ALLOWED[access].includes(actor.who);
        // Through the API with the actor's token; elsewhere with their session cookie.
        const { url, res } = await send(route, actor, api ? 'token' : 'cookie');
        checked++;
        const label = `${route.method} ${url} as ${actor.who}: ${res.statusCode}${res.headers.location ? ` → ${res.headers.location}` : ''}`;
        if (res.statusCode >= 500) wrong.push(`${label} (server error)`);
        else if (allowed && denied(res, route.method)) wrong.push(`${label} (should be allowed)`);
        else if (!allowed && !denied(res, route.method)) wrong.push(`${label} (should be refused)`);
        if (api && !allowed && res.statusCode !== 401 && res.statusCode !== 403) wrong.push(`${label} (the API refuses with 401/403)`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBe(routes.length * WHO.length);
  });

  it('lets no one use the staff API with a session cookie alone (bearer tokens only)', { timeout: 60_000 }, async () => {
    const wrong: string[] = [];
    for (const route of routes.filter((r) => r.url.startsWith('/api/'))) {
      const access = ACCESS[routeName(route)]!;
      for (const actor of actors.filter((a) => a.user)) {
        const { url, res } = await send(route, actor, 'cookie');
        const label = `${route.method} ${url} as ${actor.who} by cookie: ${res.statusCode}`;
        if (res.statusCode >= 500) wrong.push(label);
        if (access === 'api-public' ? denied(res, route.method) : !denied(res, route.method)) wrong.push(label);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets an author change and delete their own posts only, in the staff area and the API', async () => {
    const author = actors.find((a) => a.who === 'author')!;
    const own = await addPost(t, author.user!, { title: 'Mine' });
    const theirs = await addPost(t, otherAuthor, { title: 'Theirs' });
    const cookies = { ...author.csrfCookies, lectern_session: await startSession(t.db.kysely, author.user!.id) };
    const edit = (id: number) => t.app.inject({ url: `/admin/posts/${id}/edit`, cookies });
    expect((await edit(own)).statusCode).toBe(200);
    expect((await edit(theirs)).statusCode).toBe(403);
    const headers = { authorization: `Bearer ${author.token}` };
    const patch = (id: number) => t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${id}`, headers, payload: { title: 'Renamed' } });
    expect((await patch(own)).statusCode).toBe(200);
    expect((await patch(theirs)).statusCode).toBe(403);
    expect((await findPostById(t.db.kysely, theirs))!.title).toBe('Theirs');
    const del = (id: number) => t.app.inject({ method: 'DELETE', url: `/api/v1/posts/${id}`, headers });
    expect((await del(theirs)).statusCode).toBe(403);
    expect((await del(own)).statusCode).toBe(204);
    expect(await findPostById(t.db.kysely, theirs)).toBeDefined();
  });

  it('lets a staff member revoke only their own API tokens; an admin anyone’s', async () => {
    const author = actors.find((a) => a.who === 'author')!;
    const admin = actors.find((a) => a.who === 'admin')!;
    const theirs = await createApiToken(t.db.kysely, otherAuthor, 'not yours');
    const revoke = async (actor: Actor) => {
      const cookies = { ...actor.csrfCookies, lectern_session: await startSession(t.db.kysely, actor.user!.id) };
      return t.app.inject({
        method: 'POST',
        url: `/admin/tokens/${theirs.id}/revoke`,
        cookies,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(actor.csrf)}`,
      });
    };
    expect((await revoke(author)).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/posts', headers: { authorization: `Bearer ${theirs.token}` } })).statusCode).toBe(200);
    expect((await revoke(admin)).statusCode).toBe(303);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: { authorization: `Bearer ${theirs.token}` }, payload: {} })).statusCode).toBe(401);
  });
});

