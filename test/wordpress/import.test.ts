import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import type { ImportSummary } from '../../server/services/wordpress/summary.js';
import { commentByWpId, fixtureText, importFile, postByWpId, snapshot, termSlugs, writeTemp } from './helpers.js';

/**
 * The real WordPress 6.1 export of shared/fixtures/wordpress (its README lists what is in
 * it): every count and property below is the file's.
 */

let t: TestApp;
let first: ImportSummary;

beforeAll(async () => {
  t = await buildTestApp();
  first = await importFile(t.db);
});

afterAll(async () => {
  await t?.close();
});

const db = () => t.db.kysely;

describe('importing the Millbrook Library export', () => {
  it('reports what it created and why it skipped the rest', () => {
    const c = first.counts;
    expect([c.users.created, c.categories.created, c.tags.created, c.posts.created, c.pages.created, c.comments.created]).toEqual([3, 5, 10, 15, 2, 65]);
    expect(c.comments.reasons).toEqual({ 'pingbacks and trackbacks (Lectern has no pings)': 2 });
    expect(c.other.reasons).toEqual({ 'attachments (media files are not in a WXR file; see docs/backup.md on copying wp-content/uploads)': 6 });
    expect(c.posts.notes).toMatchObject({ 'private in WordPress: imported as drafts (Lectern has no private posts)': 1 });
    expect(c.categories.notes).toMatchObject({ 'sub-categories flattened (Lectern categories have no parents)': 1 });
    expect(first.source).toBe('blog.millbrook-library.example');
    expect(first.siteTitle).toBe('Millbrook Library News');
    // The duplicate <wp:term> copies are neither created nor counted.
    expect(c.categories.skipped + c.tags.skipped).toBe(0);
  });

  it('makes the three authors accounts without a password, email kept', async () => {
    const users = await db().selectFrom('users').select(['username', 'display_name', 'email', 'role', 'password_hash']).orderBy('username').execute();
    expect(users).toEqual([
      { username: 'mhollis', display_name: 'Margaret Hollis', email: 'margaret.hollis@millbrook-library.example', role: 'author', password_hash: null },
      { username: 'tadeyemi', display_name: 'Tobi Adeyemi', email: 'tobi.adeyemi@millbrook-library.example', role: 'author', password_hash: null },
      { username: 'zofia.wojcik', display_name: 'Zofia Wójcik', email: 'zofia.wojcik@millbrook-library.example', role: 'author', password_hash: null },
    ]);
    expect(first.warnings.join(' ')).toMatch(/lectern user create/);
  });

  it('keeps the categories and tags with their slugs, names and descriptions', async () => {
    const terms = await db().selectFrom('terms').select(['kind', 'slug', 'name', 'description']).orderBy('kind').orderBy('slug').execute();
    expect(terms.filter((x) => x.kind === 'category').map((x) => [x.slug, x.name])).toEqual([
      ['events', 'Events'],
      ['people', 'People'],
      ['services', 'Services'],
      ['story-time', 'Story Time'],
      ['uncategorized', 'Uncategorized'],
    ]);
    expect(terms.find((x) => x.slug === 'events')!.description).toBe('Talks, clubs, workshops and everything else happening in the library.');
    expect(terms.filter((x) => x.kind === 'category' && x.description).length).toBe(4);
    const tags = terms.filter((x) => x.kind === 'tag');
    expect(tags.map((x) => x.slug)).toEqual([
      'accessibility', 'author-visits', 'book-club', 'e-books', 'families', 'languages', 'local-history', 'makerspace', 'summer-reading', 'volunteers',
    ]);
    expect(tags.find((x) => x.slug === 'book-club')!.name).toBe('book club');
    expect(tags.filter((x) => x.description).map((x) => x.slug)).toEqual(['local-history']);
  });

  it('imports 15 posts and 2 pages with WordPress’s statuses mapped', async () => {
    const rows = await db().selectFrom('posts').select(['kind', 'status']).execute();
    const tally = (kind: string, status: string) => rows.filter((r) => r.kind === kind && r.status === status).length;
    expect([tally('post', 'published'), tally('post', 'scheduled'), tally('post', 'draft'), tally('page', 'published')]).toEqual([12, 1, 2, 2]);
    expect((await postByWpId(t.db, 24)).status).toBe('draft');
    expect((await postByWpId(t.db, 25)).status).toBe('scheduled');
    // Private posts become drafts: nobody outside sees them.
    expect((await postByWpId(t.db, 26)).status).toBe('draft');
  });

  it('uses the GMT dates, decodes percent-encoded slugs and keeps excerpts', async () => {
    const p11 = await postByWpId(t.db, 11);
    expect(p11).toMatchObject({ slug: 'how-to-borrow-e-books-and-audiobooks-with-your-library-card', published_at: '2025-04-29T13:20:00.000Z', updated_at: '2025-05-02T08:11:37.000Z' });
    expect(p11.excerpt_md).not.toBe('');
    expect((await postByWpId(t.db, 13)).excerpt_md).not.toBe('');
    expect((await postByWpId(t.db, 6)).published_at).toBe('2024-12-03T10:15:00.000Z');
    const p18 = await postByWpId(t.db, 18);
    expect(p18.slug).toBe('розмовний-клуб-українська-мова-щосуб');
    expect(p18.title).toBe('Розмовний клуб: українська мова щосуботи');
    expect(await postByWpId(t.db, 25)).toMatchObject({ published_at: '2027-06-01T08:00:00.000Z' });
    // The draft had no slug and no GMT date.
    expect(await postByWpId(t.db, 24)).toMatchObject({ slug: 'spring-programme-ideas-draft', published_at: null, created_at: '2026-11-10T15:02:00.000Z' });
    expect((await postByWpId(t.db, 4)).slug).toBe('about');
    expect((await postByWpId(t.db, 5)).kind).toBe('page');
  });

  it('keeps each post’s authors, categories, tags and comment switch', async () => {
    const p22 = await postByWpId(t.db, 22);
    expect(await termSlugs(t.db, p22.id, 'category')).toEqual(['events', 'people']);
    expect(await termSlugs(t.db, p22.id, 'tag')).toEqual(['author-visits', 'families']);
    expect(await termSlugs(t.db, (await postByWpId(t.db, 10)).id, 'category')).toEqual(['story-time']);
    const author = await db().selectFrom('users').select('username').where('id', '=', p22.author_id).executeTakeFirstOrThrow();
    expect(author.username).toBe('tadeyemi');
    expect((await postByWpId(t.db, 19)).comments_open).toBe(0);
    expect((await postByWpId(t.db, 4)).comments_open).toBe(0);
    expect((await postByWpId(t.db, 6)).comments_open).toBe(1);
  });

  it('turns WordPress HTML into Markdown, keeping what Markdown cannot say', async () => {
    const p6 = await postByWpId(t.db, 6);
    // wpautop: blank-line paragraphs became paragraphs.
    expect(p6.body_md).toContain('## A few house rules');
    expect(p6.body_md).toContain('- Be kind. Librarians are people, and so are the other commenters.');
    expect(p6.body_html.match(/<p>/g)!.length).toBeGreaterThanOrEqual(3);
    const page5 = await postByWpId(t.db, 5);
    expect(page5.body_md).toContain('| Day | Main library | Local studies room |');
    expect(page5.body_html).toContain('<table>');
    const p22 = await postByWpId(t.db, 22);
    expect(p22.body_md).not.toContain('<!-- wp:');
    expect(p22.body_md).toContain('## What to expect');
    expect(p22.body_html).toMatch(/<figure><img src="\/uploads\/wp\/2026\/09\/priya-raman-reading-1024x682.jpg"[^>]*><figcaption>Priya Raman reading to a group of Year 5 pupils.<\/figcaption><\/figure>/);
    expect(p22.body_html).toContain('<cite>Priya Raman</cite>');
    // [caption] is a figure; [gallery] has no equivalent and stays visible.
    expect((await postByWpId(t.db, 8)).body_html).toContain('<figcaption>Arthur with the returns trolley, which he insists has a mind of its own.</figcaption>');
    const p14 = await postByWpId(t.db, 14);
    expect(p14.body_md).toContain('`[gallery columns="3" link="file" size="medium" ids="15,16,17"]`');
    expect(p14.body_html).toContain('<code>[gallery columns="3" link="file" size="medium" ids="15,16,17"]</code>');
    expect((await postByWpId(t.db, 11)).body_md).not.toContain('more-->');
  });

  it('points links between imported posts, and images, at their new addresses', async () => {
    const about = await postByWpId(t.db, 4);
    expect(about.body_md).toContain('](/posts/how-to-borrow-e-books-and-audiobooks-with-your-library-card)');
    expect(about.body_html).toContain('href="/posts/how-to-borrow-e-books-and-audiobooks-with-your-library-card"');
    expect(about.body_md).toContain('(mailto:enquiries@millbrook-library.example)');
    expect((await postByWpId(t.db, 6)).body_html).toContain('href="/pages/opening-hours"');
    expect((await postByWpId(t.db, 11)).body_html).toContain('src="/uploads/wp/2025/04/reading-app-on-tablet-300x225.jpg"');
    const all = await db().selectFrom('posts').select('body_html').execute();
    expect(all.filter((p) => p.body_html.includes('href="https://blog.millbrook-library.example'))).toEqual([]);
  });

  it('imports comments with their statuses: 54 approved, 6 pending, 3 spam, 2 rejected', async () => {
    const rows = await db().selectFrom('comments').select(['status']).execute();
    const tally = (s: string) => rows.filter((r) => r.status === s).length;
    expect([rows.length, tally('approved'), tally('pending'), tally('spam'), tally('rejected')]).toEqual([65, 54, 6, 3, 2]);
    for (const id of [6, 23, 35]) expect((await commentByWpId(t.db, id))!.status).toBe('spam');
    for (const id of [36, 60]) expect((await commentByWpId(t.db, id))!.status).toBe('rejected');
    for (const id of [7, 16, 28, 42, 56, 65]) expect((await commentByWpId(t.db, id))!.status).toBe('pending');
    expect(JSON.parse((await commentByWpId(t.db, 7))!.reasons)).toEqual(['held in WordPress']);
    // The pingback (55) and the trackback (64) are not comments here.
    expect(await commentByWpId(t.db, 55)).toBeUndefined();
    expect(await commentByWpId(t.db, 64)).toBeUndefined();
  });

  it('keeps the threads: parents, depths (the deepest is 8 → 9 → 10 → 11) and staff replies', async () => {
    const c = async (id: number) => (await commentByWpId(t.db, id))!;
    const chain = [await c(8), await c(9), await c(10), await c(11)];
    expect(chain.map((x) => x.depth)).toEqual([0, 1, 2, 3]);
    expect(chain[0]!.parent_id).toBeNull();
    for (let i = 1; i < 4; i++) expect(chain[i]!.parent_id).toBe(chain[i - 1]!.id);
    const approved = await db().selectFrom('comments').select(['depth']).where('status', '=', 'approved').execute();
    const byDepth = [0, 1, 2, 3].map((d) => approved.filter((r) => r.depth === d).length);
    expect(byDepth).toEqual([29, 21, 3, 1]);
    // Replies by registered users: staff, tied to their accounts.
    for (const [id, login] of [[4, 'mhollis'], [54, 'mhollis'], [19, 'tadeyemi'], [41, 'tadeyemi'], [46, 'tadeyemi'], [63, 'zofia.wojcik']] as const) {
      const comment = await c(id);
      const user = await db().selectFrom('users').select('username').where('id', '=', comment.user_id!).executeTakeFirstOrThrow();
      expect([comment.is_staff, user.username]).toEqual([1, login]);
    }
    expect((await c(2)).is_staff).toBe(0);
  });

  it('keeps commenters’ names, emails, URLs and dates, and drops the stored <script>', async () => {
    const c = async (id: number) => (await commentByWpId(t.db, id))!;
    expect((await c(20)).author_name).toBe("Siobhán O'Neill");
    expect((await c(12)).author_name).toBe('Colm Ó Briain');
    expect(await c(5)).toMatchObject({ author_url: 'http://gwenbakes.example.com' });
    expect(await c(2)).toMatchObject({ author_email: 'eleanor.pike@example.com', created_at: '2024-12-03T11:50:00.000Z', ip_hash: null });
    expect((await c(62)).created_at).toBe('2026-04-07T10:30:00.000Z');
    const script = await c(59);
    expect(script.body_html).not.toMatch(/script|collector/);
    expect(script.body_html).toBe('<p>Love the new hours! See you Saturday.</p>\n');
    expect((await c(24)).body_html).toContain('rel="nofollow ugc noopener"');
    expect((await c(15)).body_html).toContain('<blockquote>');
    expect((await c(14)).body_md).toContain('_A Short History of Getting Lost_');
  });

  it('counts approved comments per post exactly as the file has them', async () => {
    const expected: Record<number, number> = { 6: 4, 7: 11, 8: 5, 10: 4, 11: 5, 13: 4, 14: 4, 18: 4, 19: 4, 20: 4, 21: 2, 22: 3, 4: 0, 5: 0, 24: 0, 25: 0, 26: 0 };
    for (const [wpId, n] of Object.entries(expected)) {
      const post = await postByWpId(t.db, Number(wpId));
      const actual = await db().selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', post.id).where('status', '=', 'approved').executeTakeFirstOrThrow();
      expect([Number(wpId), post.comment_count, Number(actual.n)]).toEqual([Number(wpId), n, n]);
    }
  });

  it('shows the imported post on its page with its thread', async () => {
    const res = await t.app.inject('/posts/winter-book-club-our-reading-list-for-january-to-march');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('11 Responses');
    const ukrainian = await t.app.inject(`/posts/${encodeURIComponent('розмовний-клуб-українська-мова-щосуб')}`);
    expect(ukrainian.statusCode).toBe(200);
  });
});

describe('importing it again', () => {
  it('creates nothing and changes nothing (matched on the WordPress ids)', async () => {
    const before = await snapshot(t.db, ['jobs']);
    const again = await importFile(t.db);
    const c = again.counts;
    expect([c.users.created, c.categories.created, c.tags.created, c.posts.created, c.pages.created, c.comments.created]).toEqual([0, 0, 0, 0, 0, 0]);
    expect([c.posts.updated, c.comments.updated]).toEqual([0, 0]);
    expect(c.posts.reasons).toEqual({ 'already imported, unchanged': 15 });
    expect(c.comments.reasons).toMatchObject({ 'already imported, unchanged': 65 });
    expect(await snapshot(t.db, ['jobs'])).toEqual(before);
  });

  it('takes changes made in WordPress since, but never over an edit made here', async () => {
    const text = fixtureText()
      .replace('<title><![CDATA[Welcome to the new Millbrook Library blog]]></title>', '<title><![CDATA[Welcome to the Millbrook Library blog]]></title>')
      .replace('<title><![CDATA[Story Time moves to Saturday mornings]]></title>', '<title><![CDATA[Story Time moves (again)]]></title>')
      .replace(
        /(<wp:comment>\s*<wp:comment_id>2<\/wp:comment_id>)/,
        `<wp:comment><wp:comment_id>500</wp:comment_id><wp:comment_author><![CDATA[New Reader]]></wp:comment_author><wp:comment_author_email><![CDATA[new@example.org]]></wp:comment_author_email><wp:comment_author_url></wp:comment_author_url><wp:comment_date><![CDATA[2024-12-05 10:00:00]]></wp:comment_date><wp:comment_date_gmt><![CDATA[2024-12-05 10:00:00]]></wp:comment_date_gmt><wp:comment_content><![CDATA[A reply from after the first import.]]></wp:comment_content><wp:comment_approved><![CDATA[1]]></wp:comment_approved><wp:comment_type><![CDATA[comment]]></wp:comment_type><wp:comment_parent>2</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>
$1`,
      );
    // Someone edits post 10 in Lectern before the second import.
    const p10 = await postByWpId(t.db, 10);
    await db().updateTable('posts').set({ title: 'Edited here', updated_at: new Date().toISOString() }).where('id', '=', p10.id).execute();
    const summary = await importFile(t.db, writeTemp('changed.xml', text));
    expect(summary.counts.posts).toMatchObject({ created: 0, updated: 1 });
    expect(summary.counts.posts.reasons).toMatchObject({ 'changed in Lectern since the last import (Lectern’s version kept)': 1 });
    expect(summary.counts.comments.created).toBe(1);
    const p6 = await postByWpId(t.db, 6);
    expect(p6.title).toBe('Welcome to the Millbrook Library blog');
    expect(p6.comment_count).toBe(5);
    expect((await postByWpId(t.db, 10)).title).toBe('Edited here');
    const reply = (await commentByWpId(t.db, 500))!;
    expect(reply.parent_id).toBe((await commentByWpId(t.db, 2))!.id);
    expect(reply.depth).toBe(1);
  });
});

describe('old WordPress links', () => {
  const ukrainian = '%d1%80%d0%be%d0%b7%d0%bc%d0%be%d0%b2%d0%bd%d0%b8%d0%b9-%d0%ba%d0%bb%d1%83%d0%b1-%d1%83%d0%ba%d1%80%d0%b0%d1%97%d0%bd%d1%81%d1%8c%d0%ba%d0%b0-%d0%bc%d0%be%d0%b2%d0%b0-%d1%89%d0%be%d1%81%d1%83%d0%b1';
  it.each([
    ['/?p=7', '/posts/winter-book-club-our-reading-list-for-january-to-march'],
    ['/?page_id=5', '/pages/opening-hours'],
    ['/?p=4', '/pages/about'],
    ['/index.php?p=8', '/posts/meet-our-volunteers-arthur-and-the-returns-trolley'],
    ['/2025/01/21/winter-book-club-our-reading-list-for-january-to-march/', '/posts/winter-book-club-our-reading-list-for-january-to-march'],
    ['/2025/01/winter-book-club-our-reading-list-for-january-to-march/', '/posts/winter-book-club-our-reading-list-for-january-to-march'],
    [`/2025/09/06/${ukrainian}/`, `/posts/${encodeURIComponent('розмовний-клуб-українська-мова-щосуб')}`],
    ['/2025/01/21/winter-book-club-our-reading-list-for-january-to-march/feed/', '/posts/winter-book-club-our-reading-list-for-january-to-march/feed.xml'],
    ['/category/events/', '/category/events'],
    ['/category/events/story-time/', '/category/story-time'],
    ['/tag/book-club/', '/tag/book-club'],
    ['/author/tadeyemi/', '/author/tadeyemi'],
    ['/author/zofia-wojcik/', '/author/zofia.wojcik'],
    ['/feed/', '/feed.xml'],
    ['/comments/feed/', '/comments/feed.xml'],
    ['/category/events/feed/', '/category/events/feed.xml'],
    ['/?s=garden', '/search?q=garden'],
    ['/wp-content/uploads/2025/04/reading-app-on-tablet-300x225.jpg', '/uploads/wp/2025/04/reading-app-on-tablet-300x225.jpg'],
  ])('%s → 301 %s', async (from, to) => {
    const res = await t.app.inject(from);
    expect(res.statusCode).toBe(301);
    expect(res.headers.location).toBe(to);
  });

  it('lands on a page that answers 200', async () => {
    for (const from of ['/?p=7', '/category/events/', '/author/zofia-wojcik/', '/feed/']) {
      const res = await t.app.inject(from);
      expect((await t.app.inject(res.headers.location as string)).statusCode).toBe(200);
    }
  });

  it.each([
    ['/?p=24', 'a draft'],
    ['/?p=26', 'a private post'],
    ['/?p=25', 'a scheduled post'],
    ['/?p=9', 'an attachment'],
    ['/?p=9999', 'an unknown id'],
    ['/2027/06/01/summer-reading-challenge-2027-sign-ups-open/', 'a scheduled post by date'],
    ['/2025/01/21/no-such-post/', 'an unknown slug'],
    ['/2025/01/21/', 'a day (Lectern has month archives only)'],
  ])('%s (%s) is a 404, never a redirect', async (from) => {
    const res = await t.app.inject(from);
    expect(res.statusCode).toBe(404);
    expect(res.headers.location).toBeUndefined();
  });

  it('leaves the home page and the month archive alone', async () => {
    expect((await t.app.inject('/')).statusCode).toBe(200);
    expect((await t.app.inject('/?page=1')).statusCode).toBe(200);
    expect((await t.app.inject('/?p=abc')).statusCode).toBe(200);
    expect((await t.app.inject('/2025/01')).statusCode).toBe(200);
  });
});
