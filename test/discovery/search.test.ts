import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { findExecutable } from '../helpers/xss.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { deleteComment, setStatus } from '../../server/services/moderation.js';
import { deletePostById, updatePostById } from '../../server/services/posts.js';
import { parseQuery, searchSite } from '../../server/services/search.js';
import { fts5Match, sqlitePostHits } from '../../server/data/search.js';
import type { User } from '../../server/db/schema.js';
import { BASE, HOSTILE_QUERIES, author, comment, moderator, openModeration, writePost } from './helpers.js';

let t: TestApp;
let staff: User;
let mod: User;
const ids: Record<string, { id: number; slug: string }> = {};

/** Search through the service, as the route does; the HTTP layer has its own tests below. */
const search = (q: string, page = 1, perPage = 10, now?: Date) => searchSite(t.db, q, page, perPage, now);
const titles = async (q: string) => (await search(q)).hits.map((h) => (h.kind === 'comment' ? `comment:${h.byline}` : h.title));
const get = (url: string) => t.app.inject({ method: 'GET', url });

beforeAll(async () => {
  t = await buildTestApp({ BASE_URL: BASE });
  staff = await author(t, 'Maria Librarian');
  mod = await moderator(t);
  ids.titleHit = await writePost(t, staff, { title: 'Customer service at the desk', body: 'How we greet people who come in.' });
  ids.bodyHit = await writePost(t, staff, {
    title: 'Opening hours change',
    body: 'From May the branch opens at nine. Good customer care matters to us, and so do our libraries.',
  });
  ids.phrase = await writePost(t, staff, { title: 'Volunteers wanted', body: 'We are looking for people who enjoy customer service work.' });
  ids.scattered = await writePost(t, staff, { title: 'Our service pledge', body: 'Every customer is welcome; every service is free.' });
  ids.draft = await writePost(t, staff, { title: 'Draft about zeppelins', body: 'Zeppelins are a secret for now.', status: 'draft' });
  ids.future = await writePost(t, staff, {
    title: 'Scheduled piece on zeppelins',
    body: 'Zeppelins, later.',
    status: 'scheduled',
    published_at: '2099-01-01T00:00:00.000Z',
  });
  ids.hostileBody = await writePost(t, staff, {
    title: 'Raw HTML <em>inside</em>',
    body: 'Staff wrote <img src=x onerror=alert(1)> beside the word quokka and <script>alert(2)</script>.',
  });
  await openModeration(t);
  ids.commented = await writePost(t, staff, { title: 'Tell us about your visit', body: 'Comments welcome.' });
});
afterAll(async () => {
  await t.close();
});

describe('ranking and snippets', () => {
  it('ranks a title match above a body-only match, and finds both', async () => {
    const found = await titles('customer');
    expect(found.indexOf('Customer service at the desk')).toBe(0);
    expect(found).toContain('Opening hours change');
  });

  it('stems: "libraries" finds "library" and the reverse', async () => {
    expect(await titles('library')).toContain('Opening hours change');
    expect(await titles('LIBRARIES')).toContain('Opening hours change');
  });

  it('highlights the matches with <mark> in an escaped snippet', async () => {
    const { hits } = await search('care');
    const hit = hits.find((h) => h.title === 'Opening hours change')!;
    expect(hit.snippetHtml).toContain('<mark>care</mark>');
    expect(hit.snippetHtml).toContain('customer');
    expect(hit.href).toBe(`/posts/${ids.bodyHit!.slug}`);
    expect(hit.byline).toBe('Maria Librarian');
    const title = (await search('desk')).hits[0]!;
    expect(title.titleHtml).toBe('Customer service at the <mark>desk</mark>');
  });

  it('shows no markup from a post’s raw HTML in the snippet, and escapes the title', async () => {
    const { hits } = await search('quokka');
    expect(hits).toHaveLength(1);
    const [hit] = hits;
    expect(hit!.snippetHtml).toContain('<mark>quokka</mark>');
    expect(hit!.snippetHtml.replace(/<\/?mark>/g, '')).not.toMatch(/<|>/);
    expect(hit!.titleHtml).toBe('Raw HTML &lt;em&gt;inside&lt;/em&gt;');
  });
});

describe('query language', () => {
  it('"a phrase" needs the words together, in order', async () => {
    const found = await titles('"customer service"');
    expect(found).toEqual(expect.arrayContaining(['Customer service at the desk', 'Volunteers wanted']));
    expect(found).not.toContain('Our service pledge');
    expect(await titles('"service customer"')).toEqual([]);
  });

  it('word* is a prefix', async () => {
    expect(await titles('volu*')).toEqual(['Volunteers wanted']);
    expect(await titles('cust* pledg*')).toEqual(['Our service pledge']);
    expect(await titles('volu')).toEqual([]);
  });

  it('a minus (or NOT) leaves a word out, and OR takes either', async () => {
    const plain = await titles('customer');
    const without = await titles('customer -desk');
    expect(without).not.toContain('Customer service at the desk');
    expect(without.length).toBe(plain.length - 1);
    expect(await titles('customer NOT desk')).toEqual(without);
    expect((await titles('quokka OR volunteers')).sort()).toEqual(['Raw HTML <em>inside</em>', 'Volunteers wanted']);
  });

  it('all the words must match (AND)', async () => {
    expect(await titles('greet desk')).toEqual(['Customer service at the desk']);
    expect(await titles('greet quokka')).toEqual([]);
  });
});

describe('what may be found', () => {
  it('never finds a draft or a post before its time', async () => {
    expect(await titles('zeppelins')).toEqual([]);
    // The scheduled post is in the index; it appears the moment its time comes.
    const later = await search('zeppelins', 1, 10, new Date('2099-01-02T00:00:00Z'));
    expect(later.hits.map((h) => h.title)).toEqual(['Scheduled piece on zeppelins']);
  });

  it('finds a post once published, and loses it when it goes back to draft or is deleted', async () => {
    const post = await writePost(t, staff, { title: 'Harpsichord recital', body: 'Baroque music.', status: 'draft' });
    expect(await titles('harpsichord')).toEqual([]);
    await updatePostById(t.db.kysely, staff, post.id, { status: 'published' });
    expect(await titles('harpsichord')).toEqual(['Harpsichord recital']);
    await updatePostById(t.db.kysely, staff, post.id, { title: 'Clavichord recital' });
    expect(await titles('harpsichord')).toEqual([]);
    expect(await titles('clavichord')).toEqual(['Clavichord recital']);
    await updatePostById(t.db.kysely, staff, post.id, { status: 'draft' });
    expect(await titles('clavichord')).toEqual([]);
    await updatePostById(t.db.kysely, staff, post.id, { status: 'published' });
    expect(await titles('clavichord')).toEqual(['Clavichord recital']);
    await deletePostById(t.db.kysely, staff, post.id);
    expect(await titles('clavichord')).toEqual([]);
  });

  it('finds approved comments, and a comment moved to spam leaves the results at once', async () => {
    const id = await comment(t, ids.commented!.slug, 'The marmalade sandwiches at the event were wonderful.', { name: 'Paddington' });
    const { hits } = await search('marmalade');
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({
      kind: 'comment',
      href: `/posts/${ids.commented!.slug}#comment-${id}`,
      title: 'Tell us about your visit',
      byline: 'Paddington',
    });
    expect(hits[0]!.snippetHtml).toContain('<mark>marmalade</mark>');

    await setStatus(t.db.kysely, mod, id, 'spam');
    expect(await titles('marmalade')).toEqual([]);
    await setStatus(t.db.kysely, mod, id, 'approved'); // restore
    expect(await titles('marmalade')).toEqual(['comment:Paddington']);
    await setStatus(t.db.kysely, mod, id, 'pending'); // unapprove
    expect(await titles('marmalade')).toEqual([]);
    await setStatus(t.db.kysely, mod, id, 'rejected');
    expect(await titles('marmalade')).toEqual([]);
    await setStatus(t.db.kysely, mod, id, 'approved');
    await deleteComment(t.db.kysely, mod, id);
    expect(await titles('marmalade')).toEqual([]);
  });

  it('never finds a held comment, nor the comments of a post that is no longer public', async () => {
    await setSettings(t, { moderation: 'all' });
    await comment(t, ids.commented!.slug, 'Pending words about gooseberries', { name: 'Held', email: 'held@example.org' });
    await setSettings(t, { moderation: 'none' });
    expect(await titles('gooseberries')).toEqual([]);

    const post = await writePost(t, staff, { title: 'Short-lived', body: 'Here today.' });
    await comment(t, post.slug, 'Lovely rhubarb crumble.', { name: 'Cook', email: 'cook@example.org' });
    expect(await titles('rhubarb')).toEqual(['comment:Cook']);
    await updatePostById(t.db.kysely, staff, post.id, { status: 'draft' });
    expect(await titles('rhubarb')).toEqual([]);
    await updatePostById(t.db.kysely, staff, post.id, { status: 'published' });
    expect(await titles('rhubarb')).toEqual(['comment:Cook']);
    await deletePostById(t.db.kysely, staff, post.id);
    expect(await titles('rhubarb')).toEqual([]);
  });

  it('pages through many results with a stable total', async () => {
    for (let i = 1; i <= 13; i++) await writePost(t, staff, { title: `Knitting circle ${i}`, body: 'Bring wool.' });
    const first = await search('knitting', 1, 5);
    const third = await search('knitting', 3, 5);
    expect(first.total).toBe(13);
    expect(first.pages).toBe(3);
    expect(first.hits).toHaveLength(5);
    expect(third.hits).toHaveLength(3);
    const all = [...first.hits, ...(await search('knitting', 2, 5)).hits, ...third.hits].map((h) => h.title);
    expect(new Set(all).size).toBe(13);
    const past = await search('knitting', 9, 5);
    expect(past).toMatchObject({ state: 'ok', total: 13, hits: [] });
  });
});

describe('GET /search', () => {
  it('shows ranked results with highlighted snippets and a pager that keeps the query', async () => {
    await setSettings(t, { posts_per_page: 5 });
    const res = await get('/search?q=knitting');
    await setSettings(t, { posts_per_page: 10 });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('13 results for “knitting”');
    expect(res.body).toContain('<mark>Knitting</mark> circle');
    expect(res.body).toContain('href="/search?q=knitting&amp;page=2"');
    expect(res.body).toContain('<meta name="robots" content="noindex, follow">');
    expect(res.body).toContain('<input type="search" id="search-q" name="q" value="knitting"');
    expect(res.body).toContain('<input type="search" id="site-search-q" name="q" value="knitting"');
  });

  it('shows a comment result linked to its anchor', async () => {
    const id = await comment(t, ids.commented!.slug, 'We saw a capybara in the garden.', { name: 'Zoe', email: 'zoe@example.org' });
    const res = await get('/search?q=capybara');
    expect(res.body).toContain(`href="/posts/${ids.commented!.slug}#comment-${id}"`);
    expect(res.body).toContain('Comment by Zoe on “Tell us about your visit”');
  });

  it('with no query shows the form and no error', async () => {
    for (const url of ['/search', '/search?q=', '/search?q=%20%20']) {
      const res = await get(url);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1>Search</h1>');
      expect(res.body).not.toContain('results for');
    }
  });

  it('says clearly when nothing matched', async () => {
    const res = await get('/search?q=xylophone');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Nothing matched “xylophone”');
  });


  it.each(HOSTILE_QUERIES.map((q) => [q.length > 40 ? `${q.slice(0, 30)}… (${q.length} chars)` : JSON.stringify(q), q]))(
    'q=%s answers 200, never an error, and reflects nothing unescaped',
    async (_label, q) => {
      const res = await get(`/search?q=${encodeURIComponent(q)}`);
      // A NUL byte is refused for the whole site by the input guard (plugins/input-guard.ts).
      expect(res.statusCode).toBe(q.includes('\u0000') ? 400 : 200);
      expect(findExecutable(res.body)).toEqual([]);
      expect(res.body).not.toContain('<script>alert');
      expect(res.body).not.toContain('<img src=x');
      if (res.statusCode === 200) expect(res.body).toMatch(/no words to search for|Nothing matched|results? for|<h1>Search<\/h1>/);
    },
  );

  it('a query of punctuation or operators only is a clear empty result', async () => {
    // (NEAR is an FTS5 operator but not one of ours: "NEAR(" searches for the word "near".)
    for (const q of ['(((', 'AND OR NOT', '"', '*', '-', '"" ** --', '-customer', 'NOT customer', '☕ 🤖']) {
      const res = await get(`/search?q=${encodeURIComponent(q)}`);
      expect(res.body, q).toContain('There were no words to search for');
    }
  });

  it('takes odd parameter shapes and pages without complaint', async () => {
    for (const url of ['/search?q=customer&q=desk', '/search?q[]=customer', '/search?q[a]=b', '/search?q=customer&page=999']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
    }
    // Malformed escapes never reach the search: the site-wide input guard answers 400.
    for (const url of ['/search?q=%E0%A4%A', '/search?q=%', '/search?q=%FF']) expect((await get(url)).statusCode, url).toBe(400);
    expect((await get('/search?q=customer&page=0')).statusCode).toBe(422);
  });

  it('escapes what comments hold in their snippets', async () => {
    await comment(t, ids.commented!.slug, '<script>alert("wombat")</script> and <b>wombat</b> too', { name: '<i>Evil</i>', email: 'evil@example.org' });
    const res = await get('/search?q=wombat');
    expect(res.statusCode).toBe(200);
    expect(findExecutable(res.body)).toEqual([]);
    expect(res.body).toContain('<mark>wombat</mark>');
    expect(res.body).not.toContain('<script>alert');
    // SQLite shows what the commenter typed, escaped; PostgreSQL's ts_headline leaves tags out.
    if (TEST_DIALECT === 'sqlite') expect(res.body).toContain('&lt;script&gt;alert(&quot;<mark>wombat</mark>&quot;)&lt;/script&gt;');
    expect(res.body).toContain('Comment by &lt;i&gt;Evil&lt;/i&gt;');
  });
});

describe('the SQLite index', () => {
  it.skipIf(TEST_DIALECT !== 'sqlite')('reads snippets for the page’s rows only, even for a single row (FTS5 and REAL-bound rowids)', async () => {
    const match = fts5Match(parseQuery('customer').groups);
    expect((await sqlitePostHits(t.db.kysely, match, [ids.titleHit!.id])).map((r) => r.id)).toEqual([ids.titleHit!.id]);
  });

  it.skipIf(TEST_DIALECT !== 'sqlite')('stays exactly in step with the posts and comments it mirrors (FTS5 integrity-check)', async () => {
    // Everything above wrote, edited, moderated and deleted; the external-content index must match.
    await sql`INSERT INTO posts_fts (posts_fts, rank) VALUES ('integrity-check', 1)`.execute(t.db.kysely);
    await sql`INSERT INTO comments_fts (comments_fts, rank) VALUES ('integrity-check', 1)`.execute(t.db.kysely);
    const before = await titles('customer');
    await sql`INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')`.execute(t.db.kysely);
    expect(await titles('customer')).toEqual(before);
  });
});
