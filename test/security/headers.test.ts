import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'htmlparser2';
import { findAll } from 'domutils';
import type { LightMyRequestResponse } from 'fastify';
import { addPost, buildTestApp, getCsrf, makeUser, parseSetCookies, PASSWORD, postForm, signIn, type TestApp } from '../helpers/app.js';
import { viewsDir } from '../../server/paths.js';
import { findPostById } from '../../server/data/posts.js';
import { collectRoutes } from './routes.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The CSP directives of a response, by name. */
function csp(res: LightMyRequestResponse): Record<string, string> {
  const header = String(res.headers['content-security-policy'] ?? '');
  return Object.fromEntries(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]),
  );
}

/** What in a rendered page the strict CSP would block (so the page would break), or could run. */
function inlineProblems(html: string): string[] {
  const problems: string[] = [];
  const document = parseDocument(html, { lowerCaseAttributeNames: true });
  for (const el of findAll(() => true, document.children)) {
    if (el.name === 'script' && !('src' in el.attribs) && el.attribs.type !== 'application/ld+json') problems.push('inline <script>');
    if (el.name === 'style') problems.push('<style> element');
    for (const attr of Object.keys(el.attribs)) {
      if (attr === 'style') problems.push(`style= on <${el.name}>`);
      if (attr.startsWith('on')) problems.push(`${attr}= on <${el.name}>`);
    }
  }
  return problems;
}

describe('templates', () => {
  // Mail is read in mail programs, where no CSP applies and inline styles are the only
  // styles that survive; it never reaches a browser from this server.
  const templates = walk(viewsDir).filter((f) => f.endsWith('.eta') && !relative(viewsDir, f).startsWith('mail'));

  it('finds the templates', () => {
    expect(templates.length).toBeGreaterThan(20);
  });

  it.each(templates.map((f) => [relative(viewsDir, f), f]))('%s has no inline script, style or event handler', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const problems: string[] = [];
    for (const m of text.matchAll(/<script\b([^>]*)>/gi)) {
      const attrs = m[1]!;
      if (!/\bsrc\s*=/.test(attrs) && !/\btype\s*=\s*"application\/ld\+json"/.test(attrs)) problems.push(`inline ${m[0]}`);
    }
    if (/<style\b/i.test(text)) problems.push('<style> element');
    for (const m of text.matchAll(/\sstyle\s*=/gi)) problems.push(`style attribute at ${m.index}`);
    for (const m of text.matchAll(/<[a-z][^>]*\son[a-z]+\s*=/gi)) problems.push(`event handler: ${m[0].slice(0, 60)}`);
    if (/javascript:/i.test(text)) problems.push('javascript: URL');
    expect(problems).toEqual([]);
  });
});

describe('security headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  it('sends a strict Content-Security-Policy and the other headers on pages', async () => {
    const res = await t.app.inject('/');
    const policy = csp(res);
    expect(policy['default-src']).toBe("'self'");
    expect(policy['script-src']).toBe("'self'");
    expect(policy['style-src']).toBe("'self'");
    expect(policy['object-src']).toBe("'none'");
    expect(policy['base-uri']).toBe("'self'");
    expect(policy['form-action']).toBe("'self'");
    expect(policy['frame-ancestors']).toBe("'none'");
    expect(JSON.stringify(policy)).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
  });

  it('puts the CSP on error pages, the API and static files too', async () => {
    for (const url of ['/no-such-page', '/api/v1/posts', '/static/css/site.css', '/feed.xml']) {
      const res = await t.app.inject(url);
      expect(csp(res)['frame-ancestors'], url).toBe("'none'");
    }
  });

  it('renders every page without inline script, style or event handlers (the CSP would block them)', { timeout: 60_000 }, async () => {
    const admin = await signIn(t, 'admin');
    const author = await makeUser(t, 'author');
    const id = await addPost(t, author, { title: 'A post', tags: ['Events'], categories: ['News'], body: '| a | b |\n|:-|-:|\n| 1 | 2 |\n\n```js\nx\n```' });
    const post = (await findPostById(t.db.kysely, id))!;
    const problems: string[] = [];
    let pages = 0;
    for (const route of collectRoutes(t.app).filter((r) => r.method === 'GET' && !r.url.includes('*'))) {
      const url = route.url
        .replace(':slug', post.slug)
        .replace(':username', author.username)
        .replace(/:year\([^)]*\)/, post.published_at!.slice(0, 4))
        .replace(/:month\([^)]*\)/, post.published_at!.slice(5, 7))
        .replace(/:(\w+)(\([^)]*\))?/g, '1');
      for (const cookies of [{}, admin.cookies]) {
        const res = await t.app.inject({ url, cookies });
        if (!String(res.headers['content-type'] ?? '').startsWith('text/html')) continue;
        pages++;
        for (const p of inlineProblems(res.body)) problems.push(`${url}: ${p}`);
      }
    }
    expect(pages).toBeGreaterThan(40);
    expect(problems).toEqual([]);
  });

  it('sends no HSTS over plain http, and no Secure cookies', async () => {
    const user = await makeUser(t, 'author');
    const form = await getCsrf(t, '/admin/login');
    const res = await postForm(t, form, '/admin/login', { username: user.username, password: PASSWORD });
    expect(res.statusCode).toBe(303);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    const session = res.cookies.find((c) => c.name === 'lectern_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(session.secure).toBeFalsy();
  });

  it('ignores X-Forwarded-Proto from a client when TRUST_PROXY is off', async () => {
    const res = await t.app.inject({ url: '/', headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});

describe('behind a TLS-terminating proxy (TRUST_PROXY)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ TRUST_PROXY: 'true' });
  });
  afterAll(() => t.close());

  const https = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };

  it('sends HSTS over https, on pages, the API and static files', async () => {
    for (const url of ['/', '/api/v1/posts', '/static/css/site.css', '/no-such-page']) {
      const res = await t.app.inject({ url, headers: https });
      expect(res.headers['strict-transport-security'], url).toMatch(/^max-age=\d{7,}/);
    }
    expect((await t.app.inject('/')).headers['strict-transport-security']).toBeUndefined();
  });

  it('marks the session and CSRF cookies Secure over https', async () => {
    const user = await makeUser(t, 'author');
    const page = await t.app.inject({ url: '/admin/login', headers: https });
    const csrfCookie = page.cookies.find((c) => c.name === 'lectern_csrf')!;
    expect(csrfCookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...https, 'content-type': 'application/x-www-form-urlencoded' },
      cookies: parseSetCookies(page),
      payload: new URLSearchParams({ _csrf: csrf, username: user.username, password: PASSWORD }).toString(),
    });
    expect(res.statusCode).toBe(303);
    const session = res.cookies.find((c) => c.name === 'lectern_session')!;
    expect(session).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
    expect(res.headers['strict-transport-security']).toBeDefined();
  });

  it('takes the client address from X-Forwarded-For (login throttling and rate limits key on it)', async () => {
    let seen = '';
    const probe = await buildTestApp({ TRUST_PROXY: 'true' }, {
      beforeReady: (app) => {
        app.get('/__ip', async (request) => {
          seen = request.ip;
          return { ip: request.ip };
        });
      },
    });
    try {
      await probe.app.inject({ url: '/__ip', headers: https });
      expect(seen).toBe('203.0.113.9');
    } finally {
      await probe.close();
    }
  });
});
