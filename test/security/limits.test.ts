import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { addPost, apiToken, buildTestApp, multipart, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { renderComment, renderPost } from '../../server/markup/render.js';
import { findPostById } from '../../server/data/posts.js';

/** Input limits (issue 5): sizes, lengths, pathological Markdown, and bytes that are not text. */

let t: TestApp;
let slug: string;
let admin: Browser;
let patron: Browser;
let token: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 100_000, patron_registration: true });
  admin = await signIn(t, 'admin');
  patron = await signIn(t, 'patron');
  token = (await apiToken(t, 'editor')).headers;
  slug = (await findPostById(t.db.kysely, await addPost(t, admin.user, { title: 'Limits' })))!.slug;
});
afterAll(() => t.close());

const long = (n: number) => 'a'.repeat(n);
const form = (url: string, fields: Record<string, string>, cookies: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

describe('body size', () => {
  const big = 1024 * 1024 + 10;

  it('refuses a form body over 1 MiB with 413', async () => {
    const res = await form(`/posts/${slug}/comments`, { name: 'Big', email: 'big@example.org', body: long(big) });
    expect(res.statusCode).toBe(413);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('refuses a JSON body over 1 MiB with 413 and the error envelope', async () => {
    for (const [url, headers] of [[`/api/v1/posts/${slug}/comments`, {}], ['/api/v1/posts', token]] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers, payload: { title: 'x', name: 'x', email: 'x@example.org', status: 'draft', body: long(big) } });
      expect(res.statusCode, url).toBe(413);
      expect(res.json().error.code, url).toBe('payload_too_large');
    }
  });

  it('refuses an upload over the upload limit with 413', async () => {
    const file = multipart({ filename: 'big.png', contentType: 'image/png', data: Buffer.alloc(t.config.maxUploadBytes + 1024, 1) });
    const res = await t.app.inject({ method: 'POST', url: `/admin/uploads?_csrf=${encodeURIComponent(admin.csrf)}`, cookies: admin.cookies, headers: { ...file.headers, accept: 'application/json' }, payload: file.payload });
    expect(res.statusCode).toBe(413);
  });

  it('refuses a body that says it is smaller than it is, or larger', async () => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, headers: { 'content-type': 'application/json', 'content-length': '5' }, payload: '{"body":"hello"}' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});

/** [what, how to send it, the field the 422 must name] */
type LengthCase = [string, () => Promise<LightMyRequestResponse>, string];

const formCases = (): LengthCase[] => [
  ['comment name', () => form(`/posts/${slug}/comments`, { name: long(101), email: 'a@example.org', body: 'x' }), 'name'],
  ['comment email', () => form(`/posts/${slug}/comments`, { name: 'A', email: `${long(250)}@example.org`, body: 'x' }), 'email'],
  ['comment website', () => form(`/posts/${slug}/comments`, { name: 'A', email: 'a@example.org', url: `https://example.org/${long(300)}`, body: 'x' }), 'url'],
  ['comment body', () => form(`/posts/${slug}/comments`, { name: 'A', email: 'a@example.org', body: long(10_001) }), 'body'],
  ['post title', () => postForm(t, admin, '/admin/posts', { title: long(201), body: 'x', action: 'draft' }), 'title'],
  ['post body', () => postForm(t, admin, '/admin/posts', { title: 'T', body: long(200_001), action: 'draft' }), 'body'],
  ['post excerpt', () => postForm(t, admin, '/admin/posts', { title: 'T', body: 'x', excerpt: long(1001), action: 'draft' }), 'excerpt'],
  ['post slug', () => postForm(t, admin, '/admin/posts', { title: 'T', body: 'x', slug: long(101), action: 'draft' }), 'slug'],
  ['a tag name', () => postForm(t, admin, '/admin/posts', { title: 'T', body: 'x', tags: long(61), action: 'draft' }), 'tags'],
  ['the number of tags', () => postForm(t, admin, '/admin/posts', { title: 'T', body: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`).join(','), action: 'draft' }), 'tags'],
  ['a category name', () => postForm(t, admin, '/admin/posts', { title: 'T', body: 'x', categories: long(61), action: 'draft' }), 'categories'],
  ['profile name', () => postForm(t, admin, '/admin/profile', { display_name: long(101), email: '', bio: '' }), 'display_name'],
  ['profile email', () => postForm(t, admin, '/admin/profile', { display_name: 'A', email: `${long(250)}@example.org`, bio: '' }), 'email'],
  ['profile bio', () => postForm(t, admin, '/admin/profile', { display_name: 'A', email: '', bio: long(5001) }), 'bio'],
  ['patron name', () => postForm(t, patron, '/account/profile', { display_name: long(101) }), 'display_name'],
  ['registration name', () => postForm(t, patron, '/account/register', { name: long(101), email: 'reg@example.org', password: 'a long password 1', password_confirm: 'a long password 1' }), 'name'],
  ['site name', () => postForm(t, admin, '/admin/settings', { site_name: long(101), tagline: '', timezone: 'UTC', posts_per_page: '10' }), 'site_name'],
  ['tagline', () => postForm(t, admin, '/admin/settings', { site_name: 'S', tagline: long(201), timezone: 'UTC', posts_per_page: '10' }), 'tagline'],
  ['time zone', () => postForm(t, admin, '/admin/settings', { site_name: 'S', tagline: '', timezone: long(300), posts_per_page: '10' }), 'timezone'],
  ['hold words', () => postForm(t, admin, '/admin/settings/discussion', { ...DISCUSSION, hold_words: Array.from({ length: 1001 }, (_, i) => `w${i}`).join('\n') }), 'hold_words'],
  ['one hold word', () => postForm(t, admin, '/admin/settings/discussion', { ...DISCUSSION, hold_words: long(20_000) }), 'hold_words'],
  ['one block word', () => postForm(t, admin, '/admin/settings/discussion', { ...DISCUSSION, block_words: long(20_000) }), 'block_words'],
  ['mail sender', () => postForm(t, admin, '/admin/mail/settings', { moderator_mail: 'off', digest_minutes: '60', mail_from: `${long(250)}@example.org` }), 'mail_from'],
  ['token label', () => postForm(t, admin, '/admin/tokens', { name: long(101) }), 'name'],
  ['username', () => postForm(t, admin, '/admin/users', { username: long(33), display_name: 'A', email: '', role: 'author' }), 'username'],
  ['user display name', () => postForm(t, admin, '/admin/users', { username: 'longname', display_name: long(101), email: '', role: 'author' }), 'display_name'],
  ['new password', () => postForm(t, admin, '/admin/password', { current: 'x', password: long(1025), password_confirm: long(1025) }), 'password'],
];

const DISCUSSION = { moderation: 'none', hold_links: '2', hold_words: '', block_words: '', close_after_days: '0', thread_depth: '5', comment_rate_per_minute: '100' };

const apiCases = (): LengthCase[] => [
  ['API comment name', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, payload: { name: long(101), email: 'a@example.org', body: 'x' } }), 'name'],
  ['API comment website', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, payload: { name: 'A', email: 'a@example.org', url: `https://e.org/${long(300)}`, body: 'x' } }), 'url'],
  ['API comment body', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, payload: { name: 'A', email: 'a@example.org', body: long(10_001) } }), 'body'],
  ['API post title', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: long(201), body: 'x', status: 'draft' } }), 'title'],
  ['API post body', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'T', body: long(200_001), status: 'draft' } }), 'body'],
  ['API post excerpt', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'T', body: 'x', excerpt: long(1001), status: 'draft' } }), 'excerpt'],
  ['API post slug', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'T', body: 'x', slug: long(101), status: 'draft' } }), 'slug'],
  ['API tag name', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'T', body: 'x', tags: [long(61)], status: 'draft' } }), 'tags'],
  ['API category name', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'T', body: 'x', categories: [long(61)], status: 'draft' } }), 'categories'],
];

describe('field lengths', () => {
  it.each(formCases())('a form refuses a too long %s with 422, naming the field and keeping the page', async (_what, send, field) => {
    const res = await send();
    expect(res.statusCode).toBe(422);
    // Named beside the field, or at least in the summary that links to it.
    expect(res.body.includes(`id="${field}-error"`) || res.body.includes(`href="#${field}"`), `names ${field}`).toBe(true);
  });

  it.each(apiCases())('the API refuses a too long %s with 422, naming the field', async (_what, send, field) => {
    const res = await send();
    expect(res.statusCode).toBe(422);
    expect(Object.keys(res.json().error.fields)).toContain(field);
  });

  it('answers a search of any length without an error', async () => {
    for (const q of [long(2000), '"'.repeat(3000), `${'a OR '.repeat(500)}b`, '-'.repeat(2000), `(${'('.repeat(1000)}`]) {
      const res = await t.app.inject(`/search?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q.slice(0, 20)).toBeLessThan(500);
    }
  });

  it('refuses over-long addresses and parameters with 4xx, not 5xx', async () => {
    for (const url of [`/posts/${long(5000)}`, `/admin/reset/${long(600)}`, `/invite/${long(600)}`, `/tag/${long(300)}`, `/author/${long(100)}`, `/?page=${long(50)}`, `/api/v1/posts?page=99999999999999999999`]) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, url.slice(0, 40)).toBeLessThan(500);
    }
  });
});

describe('numbers too large for the database', () => {
  it('answers 4xx, never 5xx, wherever an id or a number is read', async () => {
    const huge = '9'.repeat(30);
    const adminToken = (await apiToken(t, 'admin')).headers;
    const cases: [string, () => Promise<LightMyRequestResponse>][] = [
      ['old ?p= link', () => t.app.inject(`/?p=${huge}`)],
      ['old ?page_id= link', () => t.app.inject(`/index.php?page_id=${huge}`)],
      ['old ?author= link', () => t.app.inject(`/?author=${huge}`)],
      ['comment form parent', () => form(`/posts/${slug}/comments`, { name: 'A', email: 'a@example.org', body: 'x', parent_id: huge })],
      ['comment API parent', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, payload: `{"name":"A","email":"a@example.org","body":"x","parent_id":${huge}}`, headers: { 'content-type': 'application/json' } })],
      ['post API id', () => t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${huge}`, headers: token, payload: { title: 'x' } })],
      ['comment API id', () => t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${huge}`, headers: token })],
      ['queue post filter', () => t.app.inject({ url: `/api/v1/comments?post_id=${huge}`, headers: token })],
      ['bulk ids', () => t.app.inject({ method: 'POST', url: '/api/v1/comments/bulk', headers: { ...token, 'content-type': 'application/json' }, payload: `{"ids":[${huge}],"status":"approved"}` })],
      ['user id', () => t.app.inject({ url: `/api/v1/users/${huge}`, headers: adminToken })],
      ['reassign_to', () => t.app.inject({ method: 'DELETE', url: `/api/v1/users/1?reassign_to=${huge}`, headers: adminToken })],
      ['editor page', () => t.app.inject({ url: `/admin/posts/${huge}/edit`, cookies: admin.cookies })],
      ['user page', () => t.app.inject({ url: `/admin/users/${huge}`, cookies: admin.cookies })],
      ['queue filter page', () => t.app.inject({ url: `/admin/comments?post_id=${huge}`, cookies: admin.cookies })],
      ['bulk form', () => postForm(t, admin, '/admin/comments/bulk', { ids: huge, bulk_action: 'approved' })],
      ['bulk form with 40,000 ids', () => postForm(t, admin, '/admin/comments/bulk', { ids: Array.from({ length: 40_000 }, (_, i) => String(i + 1)), bulk_action: 'approved' })],
      ['page number', () => t.app.inject(`/?page=${huge}`)],
      ['month', () => t.app.inject('/9999/99')],
    ];
    const wrong: string[] = [];
    for (const [what, send] of cases) {
      const res = await send();
      if (res.statusCode >= 500) wrong.push(`${what}: ${res.statusCode}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('pathological Markdown', () => {
  const inputs: [string, string][] = [
    ['10,000 nested quotes', '>'.repeat(10_000) + ' deep'],
    ['10,000 quote lines, each one deeper', Array.from({ length: 2000 }, (_, i) => '>'.repeat(i + 1) + ' x').join('\n')],
    ['50,000 open brackets', '['.repeat(50_000)],
    ['50,000 image openers', '!['.repeat(25_000)],
    ['alternating emphasis marks', '*_'.repeat(50_000)],
    ['emphasis runs', '**a'.repeat(30_000)],
    ['100,000 asterisks', '*'.repeat(100_000)],
    ['a long link chain', '[a]('.repeat(20_000)],
    ['nested links', '[['.repeat(10_000) + 'x' + '](y)'.repeat(10_000)],
    ['link titles never closed', '[a](b "'.repeat(10_000)],
    ['reference definitions', Array.from({ length: 5000 }, (_, i) => `[r${i}]: http://example.org/${i}`).join('\n') + '\n' + Array.from({ length: 5000 }, (_, i) => `[x][r${i}]`).join(' ')],
    ['backticks', '`'.repeat(100_000)],
    ['alternating backtick runs', Array.from({ length: 3000 }, (_, i) => '`'.repeat((i % 50) + 1) + 'x').join('')],
    ['10,000 nested list markers', '- '.repeat(10_000) + 'x'],
    ['deeply indented lists', Array.from({ length: 3000 }, (_, i) => ' '.repeat(i * 2) + '- x').join('\n')],
    ['html openers', '<a'.repeat(50_000)],
    ['html comments never closed', '<!--'.repeat(25_000)],
    ['entities', '&#'.repeat(50_000)],
    ['backslashes', 'a' + '\\'.repeat(100_000)],
    ['a wide table', '|' + 'a|'.repeat(20_000) + '\n|' + '-|'.repeat(20_000) + '\n|' + 'b|'.repeat(20_000)],
    ['linkify bait', 'http://' + 'a.'.repeat(50_000)],
    ['autolinks', '<http://a'.repeat(20_000)],
    ['underscores in words', 'a_'.repeat(100_000)],
    ['setext underline soup', 'a\n=\n-\n'.repeat(20_000)],
    ['a path the search parser chews on', 'path ' + '/~'.repeat(100_000)],
    ['underscores with spaces', 'underscores ' + 'a_'.repeat(50) + ' ' + '<!-- '.repeat(30_000)],
  ];

  it.each(inputs.map(([name, md]) => [name, md.slice(0, 200_000)]))('renders %s (post and comment) and returns', (_name, md) => {
    expect(typeof renderPost(md)).toBe('string');
    expect(typeof renderComment(md.slice(0, 10_000))).toBe('string');
    expect(typeof renderComment(md)).toBe('string');
  });

  it('accepts them through the API and the comment form without a server error', { timeout: 120_000 }, async () => {
    for (const [name, md] of inputs) {
      const post = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: name, body: md.slice(0, 200_000), status: 'published' } });
      expect(post.statusCode, name).toBe(201);
      const comment = await form(`/posts/${slug}/comments`, { name: 'Path', email: 'path@example.org', body: md.slice(0, 10_000) });
      expect(comment.statusCode, name).toBeLessThan(500);
      const page = await t.app.inject(`/posts/${post.json().post.slug}`);
      expect(page.statusCode, name).toBe(200);
    }
    // Searching makes snippets from these bodies: bounded too.
    for (const q of ['nested', 'comments never closed', 'underscores', 'emphasis', 'path']) {
      expect((await t.app.inject(`/search?q=${encodeURIComponent(q)}`)).statusCode, q).toBe(200);
    }
  });
});

describe('bytes that are not text', () => {
  const expect4xx = (res: LightMyRequestResponse, what: string) => {
    expect(res.statusCode, what).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, what).toBeLessThan(500);
  };
  const raw = (prefix: string, bytes: number[], suffix: string) => Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)]);

  it('refuses invalid UTF-8 in a form body and a JSON body with 400', async () => {
    const urlencoded = await t.app.inject({
      method: 'POST',
      url: `/posts/${slug}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: raw('name=A&email=a%40example.org&body=', [0xc3, 0x28], ''),
    });
    expect(urlencoded.statusCode).toBe(400);
    const json = await t.app.inject({
      method: 'POST',
      url: `/api/v1/posts/${slug}/comments`,
      headers: { 'content-type': 'application/json' },
      payload: raw('{"name":"A","email":"a@example.org","body":"', [0xc3, 0x28], '"}'),
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('bad_request');
    const staff = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: { ...token, 'content-type': 'application/json' }, payload: raw('{"title":"', [0xff, 0xfe], '","body":"x","status":"draft"}') });
    expect(staff.statusCode).toBe(400);
  });

  it('refuses NUL bytes, raw or escaped, with 400', async () => {
    const cases: [string, () => Promise<LightMyRequestResponse>][] = [
      ['raw NUL in a form', () => t.app.inject({ method: 'POST', url: `/posts/${slug}/comments`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: raw('name=A&email=a%40example.org&body=x', [0], 'y') })],
      ['%00 in a form', () => form(`/posts/${slug}/comments`, { name: 'A', email: 'a@example.org', body: 'x\u0000y' })],
      ['%00 in a field name', () => t.app.inject({ method: 'POST', url: `/posts/${slug}/comments`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'na%00me=A&email=a%40example.org&body=x' })],
      ['\\u0000 in JSON', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, headers: { 'content-type': 'application/json' }, payload: '{"name":"A","email":"a@example.org","body":"x\\u0000y"}' })],
      ['a lone surrogate in JSON', () => t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, headers: { 'content-type': 'application/json' }, payload: '{"name":"A","email":"a@example.org","body":"x\\ud800y"}' })],
      ['\\u0000 in a staff post', () => t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: token, payload: { title: 'a\u0000b', body: 'x', status: 'draft' } })],
      ['%00 in the editor form', () => postForm(t, admin, '/admin/posts', { title: 'a\u0000b', body: 'x', action: 'draft' })],
      ['%00 in a sign-in', () => postForm(t, admin, '/admin/login', { username: 'a\u0000b', password: 'x' })],
    ];
    for (const [what, send] of cases) {
      const res = await send();
      expect(res.statusCode, what).toBe(400);
    }
    const stored = await t.db.kysely.selectFrom('comments').select('body_md').execute();
    expect(stored.some((c) => c.body_md.includes('\u0000') || c.body_md.includes('\ufffd'))).toBe(false);
  });

  it('refuses %00 and %FF in addresses and query strings with 4xx, never 5xx', async () => {
    const urls = [
      '/posts/%00', '/posts/%FF', '/posts/a%00b/feed.xml', '/tag/%C3%28', '/category/%00', '/author/%00', '/pages/%FF',
      '/search?q=%00', '/search?q=%FF', '/search?q=%C3%28', '/?page=%00', '/?p=%00', '/admin/login?next=%00', '/admin/login?next=%FF',
      '/api/v1/posts/%00', '/api/v1/posts?page=%FF', '/%00', '/%FF', '/static/%00', '/uploads/%FF', '/unsubscribe?token=%00',
      '/admin/reset/%00', '/invite/%FF', '/account/confirm/%00', `/posts/${slug}?replytocom=%00`, `/posts/${slug}?held=%FF`,
    ];
    for (const url of urls) {
      for (const cookies of [{}, admin.cookies]) expect4xx(await t.app.inject({ url, cookies }), url);
    }
    expect4xx(await t.app.inject({ method: 'POST', url: `/posts/%00/comments`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=A&email=a%40example.org&body=x' }), 'POST /posts/%00/comments');
    expect4xx(await t.app.inject({ method: 'PATCH', url: '/api/v1/posts/%00', headers: token, payload: { title: 'x' } }), 'PATCH /api/v1/posts/%00');
  });

  it('still takes ordinary non-ASCII text, and uploads with any bytes', async () => {
    const ok = await form(`/posts/${slug}/comments`, { name: 'Zoë Ångström', email: 'zoe@example.org', body: 'Ça va? 日本語 🎉 — “quotes”' });
    expect(ok.statusCode).toBe(303);
    const search = await t.app.inject(`/search?q=${encodeURIComponent('Ångström 日本語')}`);
    expect(search.statusCode).toBe(200);
    const file = multipart({ filename: 'nul.png', contentType: 'image/png', data: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0xff])]) });
    const upload = await t.app.inject({ method: 'POST', url: `/admin/uploads?_csrf=${encodeURIComponent(admin.csrf)}`, cookies: admin.cookies, headers: file.headers, payload: file.payload });
    // Not an image, so refused by the upload rules (415): read, not stopped as text (400).
    expect(upload.statusCode).toBe(415);
  });
});
