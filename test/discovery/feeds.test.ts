import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFeed } from '@rowanmanning/feed-parser';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { deleteComment, setStatus } from '../../server/services/moderation.js';
import type { User } from '../../server/db/schema.js';
import { BASE, author, comment, moderator, openModeration, writePost } from './helpers.js';

let t: TestApp;
let maria: User;
let mod: User;
type Written = { id: number; slug: string };
const posts = {} as Record<'first' | 'second' | 'third' | 'draft' | 'future', Written>;
const commentIds = {} as Record<'approved' | 'second' | 'spam' | 'rejected' | 'pending', number>;

beforeAll(async () => {
  t = await buildTestApp({ BASE_URL: BASE });
  await setSettings(t, { site_name: 'Riverside Library' });
  maria = await author(t, 'Maria Librarian');
  const joe = await author(t, 'Joe Shelver');
  mod = await moderator(t);
  posts.first = await writePost(t, maria, {
    title: 'Story time returns',
    body: 'Bring the little ones. ![Reading corner](/uploads/corner.png) See [our hours](/pages/hours).',
    published_at: '2024-01-15T10:00:00.000Z',
    categories: ['Events'],
    tags: ['Children'],
  });
  posts.second = await writePost(t, joe, {
    title: 'Fish & Chips <3 ]]> night',
    body: 'A **quiz** with ]]> in it.',
    published_at: '2024-02-20T18:30:00.000Z',
    categories: ['Events'],
  });
  posts.third = await writePost(t, maria, { title: 'New e-books', body: 'Borrow from home.', published_at: '2024-03-01T09:00:00.000Z', tags: ['Digital'] });
  posts.draft = await writePost(t, maria, { title: 'Secret draft', body: 'Not yet.', status: 'draft', categories: ['Events'] });
  posts.future = await writePost(t, maria, { title: 'Future plans', body: 'Soon.', status: 'scheduled', published_at: '2099-01-01T00:00:00.000Z', categories: ['Events'] });

  await openModeration(t);
  commentIds.approved = await comment(t, posts.first.slug, 'Our kids *loved* it.', { name: 'Ann <Patron>' });
  commentIds.second = await comment(t, posts.second.slug, 'Count me in for the quiz.', { name: 'Bo', email: 'bo@example.org' });
  commentIds.spam = await comment(t, posts.first.slug, 'Cheap watches here', { name: 'Spammer', email: 'spam@example.org' });
  commentIds.rejected = await comment(t, posts.first.slug, 'Rude remark', { name: 'Rude', email: 'rude@example.org' });
  await setStatus(t.db.kysely, mod, commentIds.spam, 'spam');
  await setStatus(t.db.kysely, mod, commentIds.rejected, 'rejected');
  await setSettings(t, { moderation: 'all' });
  commentIds.pending = await comment(t, posts.first.slug, 'Waiting for a moderator', { name: 'Held', email: 'held@example.org' });
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

async function fetchFeed(url: string) {
  const res = await get(url);
  expect(res.statusCode, url).toBe(200);
  return { res, feed: parseFeed(res.body) };
}

/** Every URL the raw XML carries, in links, ids, guids and the HTML it embeds. */
function urlsIn(xml: string): string[] {
  const found: string[] = [];
  for (const m of xml.matchAll(/<(link|id|guid|uri|loc)\b[^>]*>([^<]+)</g)) found.push(m[2]!.trim());
  for (const m of xml.matchAll(/\b(href|src|domain|scheme)="([^"]+)"/g)) found.push(m[2]!);
  return found.filter((u) => u !== '' && !u.startsWith('http://www.w3.org/') && !u.startsWith('http://purl.org/') && !u.includes('validator.w3.org'));
}

describe('posts feeds', () => {
  it('/feed.xml is RSS 2.0 with the published posts, newest first, full content and absolute links', async () => {
    const { res, feed } = await fetchFeed('/feed.xml');
    expect(res.headers['content-type']).toBe('application/rss+xml; charset=utf-8');
    expect(feed.meta).toEqual({ type: 'rss', version: '2.0' });
    expect(feed.title).toBe('Riverside Library');
    expect(feed.url).toBe(`${BASE}/`);
    expect(feed.self).toBe(`${BASE}/feed.xml`);
    expect(feed.items.map((i) => i.title)).toEqual(['New e-books', 'Fish & Chips <3 ]]> night', 'Story time returns']);
    const story = feed.items[2]!;
    expect(story.url).toBe(`${BASE}/posts/${posts.first.slug}`);
    expect(story.published?.toISOString()).toBe('2024-01-15T10:00:00.000Z');
    expect(story.authors.map((a) => a.name)).toEqual(['Maria Librarian']);
    expect(story.categories.map((c) => c.term).sort()).toEqual(['Children', 'Events']);
    // Full content, with the site's relative links made absolute for readers elsewhere.
    expect(story.content).toContain(`src="${BASE}/uploads/corner.png"`);
    expect(story.content).toContain(`href="${BASE}/pages/hours"`);
    expect(feed.items[1]!.content).toContain('<strong>quiz</strong> with ]]> in it.');
    expect(res.body).toContain('<strong>quiz</strong> with ]]&gt; in it.');
    expect(res.body).not.toContain('Secret draft');
    expect(res.body).not.toContain('Future plans');
    for (const url of urlsIn(res.body)) expect(url.startsWith(`${BASE}/`), url).toBe(true);
  });

  it('/feed.atom carries the same posts as Atom 1.0', async () => {
    const { res, feed } = await fetchFeed('/feed.atom');
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(feed.meta.type).toBe('atom');
    expect(feed.self).toBe(`${BASE}/feed.atom`);
    // The newest change among the entries (these posts were written today, with earlier dates).
    const newestChange = await t.db.kysely.selectFrom('posts').select((eb) => eb.fn.max('updated_at').as('at')).where('status', '=', 'published').executeTakeFirstOrThrow();
    expect(feed.updated?.toISOString()).toBe(newestChange.at);
    expect(feed.items.map((i) => i.title)).toEqual(['New e-books', 'Fish & Chips <3 ]]> night', 'Story time returns']);
    const story = feed.items[2]!;
    expect(story.id).toBe(`${BASE}/posts/${posts.first.slug}`);
    expect(story.url).toBe(`${BASE}/posts/${posts.first.slug}`);
    expect(story.published?.toISOString()).toBe('2024-01-15T10:00:00.000Z');
    expect(story.authors).toEqual([{ name: 'Maria Librarian', email: null, url: `${BASE}/author/${maria.username}` }]);
    expect(story.categories.map((c) => c.label).sort()).toEqual(['Children', 'Events']);
    for (const url of urlsIn(res.body)) expect(url.startsWith(`${BASE}/`), url).toBe(true);
  });

  it.each([
    ['/category/events/feed.xml', ['Fish & Chips <3 ]]> night', 'Story time returns'], 'Riverside Library » Events'],
    ['/category/events/feed.atom', ['Fish & Chips <3 ]]> night', 'Story time returns'], 'Riverside Library » Events'],
    ['/tag/digital/feed.xml', ['New e-books'], 'Riverside Library » Tagged Digital'],
    ['/tag/children/feed.atom', ['Story time returns'], 'Riverside Library » Tagged Children'],
  ])('%s lists only that term’s published posts', async (url, titles, feedTitle) => {
    const { res, feed } = await fetchFeed(url);
    expect(feed.title).toBe(feedTitle);
    expect(feed.items.map((i) => i.title)).toEqual(titles);
    expect(feed.url).toBe(BASE + url.replace(/\/feed\.(xml|atom)$/, ''));
    expect(feed.self).toBe(BASE + url);
    for (const u of urlsIn(res.body)) expect(u.startsWith(`${BASE}/`), u).toBe(true);
  });

  it('has a feed per author', async () => {
    const { feed } = await fetchFeed(`/author/${maria.username}/feed.xml`);
    expect(feed.title).toBe('Riverside Library » Posts by Maria Librarian');
    expect(feed.items.map((i) => i.title)).toEqual(['New e-books', 'Story time returns']);
  });

  it.each(['/category/nope/feed.xml', '/tag/nope/feed.atom', '/author/nobody/feed.xml', '/posts/nope/feed.xml'])('%s is a 404', async (url) => {
    expect((await get(url)).statusCode).toBe(404);
  });
});

describe('comment feeds', () => {
  it('/comments/feed.xml has approved comments only, never an email', async () => {
    const { res, feed } = await fetchFeed('/comments/feed.xml');
    expect(feed.title).toBe('Comments for Riverside Library');
    expect(feed.items.map((i) => i.title)).toEqual([
      'Comment on Fish & Chips <3 ]]> night by Bo',
      'Comment on Story time returns by Ann <Patron>',
    ]);
    const ann = feed.items[1]!;
    expect(ann.url).toBe(`${BASE}/posts/${posts.first.slug}#comment-${commentIds.approved}`);
    expect(ann.authors.map((a) => a.name)).toEqual(['Ann <Patron>']);
    expect(ann.content).toContain('<em>loved</em>');
    expect(ann.published).toBeInstanceOf(Date);
    const stored = await t.db.kysely.selectFrom('comments').select('created_at').where('id', '=', commentIds.approved).executeTakeFirstOrThrow();
    expect(ann.published!.toISOString().slice(0, 19)).toBe(stored.created_at.slice(0, 19));
    for (const hidden of ['Cheap watches', 'Rude remark', 'Waiting for a moderator', '@example.org']) expect(res.body).not.toContain(hidden);
    for (const url of urlsIn(res.body)) expect(url.startsWith(`${BASE}/`), url).toBe(true);
  });

  it('/comments/feed.atom is the same as Atom', async () => {
    const { feed } = await fetchFeed('/comments/feed.atom');
    expect(feed.meta.type).toBe('atom');
    expect(feed.items.map((i) => i.authors[0]?.name)).toEqual(['Bo', 'Ann <Patron>']);
  });

  it('/posts/:slug/feed.xml has that post’s approved comments only', async () => {
    const { res, feed } = await fetchFeed(`/posts/${posts.first.slug}/feed.xml`);
    expect(feed.title).toBe('Comments on: Story time returns');
    expect(feed.url).toBe(`${BASE}/posts/${posts.first.slug}`);
    expect(feed.items.map((i) => i.title)).toEqual(['By: Ann <Patron>']);
    expect(res.body).not.toContain('Count me in');
    const atom = await fetchFeed(`/posts/${posts.first.slug}/feed.atom`);
    expect(atom.feed.items.map((i) => i.url)).toEqual([`${BASE}/posts/${posts.first.slug}#comment-${commentIds.approved}`]);
  });

  it('has no feed for a draft or a post not yet due', async () => {
    expect((await get(`/posts/${posts.draft.slug}/feed.xml`)).statusCode).toBe(404);
    expect((await get(`/posts/${posts.future.slug}/feed.atom`)).statusCode).toBe(404);
  });

  it('drops a comment the moment it is marked spam, and brings it back when restored', async () => {
    await setStatus(t.db.kysely, mod, commentIds.second, 'spam');
    expect((await fetchFeed('/comments/feed.xml')).feed.items.map((i) => i.authors[0]?.name)).toEqual(['Ann <Patron>']);
    await setStatus(t.db.kysely, mod, commentIds.second, 'approved');
    expect((await fetchFeed('/comments/feed.xml')).feed.items.map((i) => i.authors[0]?.name)).toEqual(['Bo', 'Ann <Patron>']);
  });

  it('stays well-formed whatever a commenter writes (control characters, CDATA ends, markup)', async () => {
    await setSettings(t, { moderation: 'none' });
    const nasty = 'Ends ]]> here \u0001\u0008\u000b\ufffe and <script>alert(1)</script> &amp;';
    const id = await comment(t, posts.third.slug, nasty, { name: 'Nasty\u0002 ]]> <i>', email: 'nasty@example.org' });
    for (const url of ['/comments/feed.xml', '/comments/feed.atom', `/posts/${posts.third.slug}/feed.xml`]) {
      const { res, feed } = await fetchFeed(url);
      // eslint-disable-next-line no-control-regex -- the characters a feed must not carry
      expect(res.body).not.toMatch(/[\u0001\u0002\u0008\u000b\ufffe]/);
      const item = feed.items.find((i) => i.url?.endsWith(`#comment-${id}`))!;
      expect(item.authors[0]?.name).toBe('Nasty ]]> <i>');
      // Markup a commenter typed arrives as text (escaped), never as a tag.
      expect(res.body).not.toContain('<script>');
      expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(item.content).toContain('Ends ]]> here');
    }
    const admin = await moderator(t);
    await deleteComment(t.db.kysely, admin, id);
    expect((await get('/comments/feed.xml')).body).not.toContain('Nasty');
  });
});

describe('conditional GET', () => {
  it.each(['/feed.xml', '/feed.atom', '/comments/feed.xml', `/category/events/feed.xml`])('%s answers 304 to a current ETag or date', async (url) => {
    const first = await get(url);
    const etag = first.headers.etag as string;
    const lastModified = first.headers['last-modified'] as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(new Date(lastModified).toUTCString()).toBe(lastModified);
    expect(first.headers['cache-control']).toContain('no-cache');

    const byTag = await get(url, { 'if-none-match': etag });
    expect(byTag.statusCode).toBe(304);
    expect(byTag.body).toBe('');
    expect(byTag.headers.etag).toBe(etag);
    expect((await get(url, { 'if-none-match': `"other", W/${etag}` })).statusCode).toBe(304);
    expect((await get(url, { 'if-none-match': '"stale"' })).statusCode).toBe(200);

    expect((await get(url, { 'if-modified-since': lastModified })).statusCode).toBe(304);
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    expect((await get(url, { 'if-modified-since': later })).statusCode).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await get(url, { 'if-modified-since': earlier })).statusCode).toBe(200);
    expect((await get(url, { 'if-modified-since': 'not a date' })).statusCode).toBe(200);
    // If-None-Match wins over If-Modified-Since (RFC 9110).
    expect((await get(url, { 'if-none-match': '"stale"', 'if-modified-since': later })).statusCode).toBe(200);
  });

  it('gives the same ETag for the same content, and a new one when a comment is approved', async () => {
    const before = (await get('/comments/feed.xml')).headers.etag as string;
    expect((await get('/comments/feed.xml')).headers.etag).toBe(before);
    await setSettings(t, { moderation: 'none' });
    await comment(t, posts.third.slug, 'Fresh thoughts', { name: 'Cy', email: 'cy@example.org' });
    const after = await get('/comments/feed.xml', { 'if-none-match': before });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before);
  });
});

describe('autodiscovery', () => {
  const alternates = (html: string) =>
    [...html.matchAll(/<link rel="alternate" type="([^"]+)" title="([^"]+)" href="([^"]+)">/g)].map((m) => ({ type: m[1], title: m[2], href: m[3] }));

  it('every public page links the site feeds from its head', async () => {
    for (const url of ['/', '/archive', '/search?q=story', `/posts/${posts.first.slug}`]) {
      const html = (await get(url)).body;
      const head = html.slice(0, html.indexOf('</head>'));
      expect(alternates(head), url).toEqual(
        expect.arrayContaining([
          { type: 'application/rss+xml', title: 'Riverside Library » Feed', href: '/feed.xml' },
          { type: 'application/rss+xml', title: 'Riverside Library » Comments Feed', href: '/comments/feed.xml' },
        ]),
      );
    }
  });

  it.each([
    ['post', () => `/posts/${posts.first.slug}`, () => `/posts/${posts.first.slug}/feed.xml`, 'Riverside Library » “Story time returns” Comments Feed'],
    ['category', () => '/category/events', () => '/category/events/feed.xml', 'Riverside Library » Events Category Feed'],
    ['tag', () => '/tag/children', () => '/tag/children/feed.xml', 'Riverside Library » Children Tag Feed'],
    ['author', () => `/author/${maria.username}`, () => `/author/${maria.username}/feed.xml`, 'Riverside Library » Posts by Maria Librarian Feed'],
  ])('a %s page links its own feed, and that feed answers', async (_kind, page, feed, title) => {
    const html = (await get(page())).body;
    expect(alternates(html)).toContainEqual({ type: 'application/rss+xml', title, href: feed() });
    expect((await get(feed())).statusCode).toBe(200);
  });

  it('the navigation links the feed, the archive and search, and the header has a search box', async () => {
    const html = (await get('/')).body;
    expect(html).toMatch(/<nav class="site-nav"[\s\S]*href="\/archive"[\s\S]*href="\/search"[\s\S]*href="\/feed.xml"[\s\S]*<\/nav>/);
    expect(html).toMatch(/<form class="site-search" role="search" action="\/search" method="get">[\s\S]*<input type="search" id="site-search-q" name="q"/);
  });
});
