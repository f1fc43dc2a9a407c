import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeTables } from '../../server/services/copy-site.js';
import { addPost, buildTestApp, parseSetCookies, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { createApiToken } from '../../server/services/api-tokens.js';

/**
 * Every state-changing route of the staff area, found from the router itself, so a form
 * added later is covered without anyone remembering to list it here.
 */
function postRoutesUnder(app: TestApp['app'], prefix: string): string[] {
  const lines = app.printRoutes({ commonPrefix: false }).split('\n');
  const stack: { depth: number; path: string }[] = [];
  const out: string[] = [];
  for (const line of lines) {
    const m = /^([\s│├└─]*?)(?:[├└]── )?(\S+) \(([^)]+)\)$/.exec(line.replace(/\s+$/, ''));
    if (!m) continue;
    const depth = line.indexOf(m[2]!);
    while (stack.length && stack.at(-1)!.depth >= depth) stack.pop();
    const parent = stack.at(-1)?.path ?? '';
    const segment = m[2]!;
    const path = parent === '' ? segment : parent.endsWith('/') || segment.startsWith('/') ? parent + segment : `${parent}/${segment}`;
    stack.push({ depth, path });
    if (m[3]!.split(', ').includes('POST') && path.startsWith(prefix)) out.push(path);
  }
  return out;
}

let t: TestApp;
let admin: Browser;
let postId: number;
let tokenId: number;

beforeAll(async () => {
  t = await buildTestApp();
  admin = await signIn(t, 'admin');
  postId = await addPost(t, admin.user, { title: 'Protected post' });
  tokenId = (await createApiToken(t.db.kysely, admin.user, 'protected')).id;
});
afterAll(() => t.close());

/** Every row of every table, to show a refused request changed nothing. */
async function snapshot(): Promise<Record<string, unknown[]>> {
  const tables = [...(await describeTables(t.db)).keys()].sort();
  const out: Record<string, unknown[]> = {};
  for (const name of tables) out[name] = (await sql`select * from ${sql.table(name)}`.execute(t.db.kysely)).rows;
  return out;
}

const TYPED = {
  title: 'Typed title',
  body: 'Typed body text',
  display_name: 'Typed Name',
  site_name: 'Typed site',
  timezone: 'UTC',
  posts_per_page: '10',
  name: 'typed label',
  username: 'typed-user',
  role: 'author',
  status: 'approved',
  ids: '1',
  action: 'draft',
};

describe('CSRF protection on every staff form', () => {
  it('finds the staff area’s state-changing routes', () => {
    const routes = postRoutesUnder(t.app, '/admin');
    for (const expected of [
      '/admin/setup', '/admin/login', '/admin/logout', '/admin/posts', '/admin/posts/:id', '/admin/posts/:id/delete',
      '/admin/preview', '/admin/profile', '/admin/uploads', '/admin/users', '/admin/settings', '/admin/tokens', '/admin/tokens/:id/revoke',
    ]) {
      expect(routes).toContain(expected);
    }
  });

  const cases = () =>
    postRoutesUnder(t.app, '/admin').map((route) => route.replace(':id', String(route.startsWith('/admin/tokens') ? tokenId : postId)));

  it('refuses each one without a token with 403, changing nothing and keeping the typed fields to send again', async () => {
    for (const url of cases()) {
      const before = await snapshot();
      const res = await postForm(t, { cookies: admin.cookies, csrf: '' }, url, TYPED);
      expect(res.statusCode, url).toBe(403);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.body, url).toContain('Your form was not sent');
      expect(res.body, url).toContain(`<form method="post" action="${url}">`);
      expect(res.body, url).toContain('<input type="hidden" name="title" value="Typed title">');
      expect(res.body, url).toContain('<input type="hidden" name="body" value="Typed body text">');
      expect(res.body, url).toMatch(/<input type="hidden" name="_csrf" value="[^"]+">/);
      expect(await snapshot(), url).toEqual(before);
    }
  });

  it('refuses each one with a forged token or another browser’s token with 403', async () => {
    const other = await signIn(t, 'admin');
    for (const url of cases()) {
      const before = await snapshot();
      for (const csrf of ['forged-token', other.csrf]) {
        const res = await postForm(t, { cookies: admin.cookies, csrf }, url, TYPED);
        expect(res.statusCode, `${url} ${csrf}`).toBe(403);
      }
      expect(await snapshot(), url).toEqual(before);
    }
  });

  it('refuses a token sent without its cookie', async () => {
    const res = await postForm(t, { cookies: { lectern_session: admin.cookies.lectern_session! }, csrf: admin.csrf }, '/admin/posts', { ...TYPED });
    expect(res.statusCode).toBe(403);
  });

  it('lets the person send the kept form again, and then it goes through', async () => {
    const refused = await postForm(t, { cookies: admin.cookies, csrf: 'stale' }, '/admin/posts', { title: 'Sent twice', body: 'Kept **safe**', tags: 'one, two', action: 'publish' });
    expect(refused.statusCode).toBe(403);
    const fields: Record<string, string[]> = {};
    for (const m of refused.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) (fields[m[1]!] ??= []).push(m[2]!);
    const csrf = fields._csrf![0]!;
    delete fields._csrf;
    const cookies = { ...admin.cookies, ...parseSetCookies(refused) };
    const resent = await postForm(t, { cookies, csrf }, '/admin/posts', fields);
    expect(resent.statusCode).toBe(303);
    const row = await t.db.kysely.selectFrom('posts').selectAll().where('title', '=', 'Sent twice').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ body_md: 'Kept **safe**', status: 'published' });
  });

  it('escapes the kept values in the send-again page', async () => {
    const res = await postForm(t, { cookies: admin.cookies, csrf: '' }, '/admin/profile', { bio: '"><script>alert(1)</script>' });
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('<script>alert(1)</script>');
    expect(res.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
  });
});
