import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPost, buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { updateProfile } from '../../server/services/users.js';
import { writeSetting } from '../../server/data/settings.js';
import type { User } from '../../server/db/schema.js';

/** The titles of the post summaries on a listing page, in order. */
const listedTitles = (html: string) => [...html.matchAll(/<h2 class="post-summary__title"><a href="[^"]+">([^<]+)<\/a>/g)].map((m) => m[1]);

const expectHtml404 = (res: { statusCode: number; headers: Record<string, unknown>; body: string }) => {
  expect(res.statusCode).toBe(404);
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  expect(res.body).toContain('<!doctype html>');
  expect(res.body).toContain('Page not found');
  expect(res.body).toContain('href="/"');
};

describe('home page and post pages', () => {
  let t: TestApp;
  let author: User;
  let second: User;

  beforeAll(async () => {
    t = await buildTestApp();
    author = await makeUser(t, 'author', { username: 'mira', display_name: 'Mira Reyes' });
    second = await makeUser(t, 'editor', { username: 'sam', display_name: 'Sam Ito' });
    await updateProfile(t.db.kysely, author.id, { display_name: 'Mira Reyes', bio: 'Children’s librarian who loves *maps*.' });
    const base = Date.parse('2026-01-01T09:00:00.000Z');
    // 12 published posts, one minute apart: "Post 01" oldest … "Post 12" newest.
    for (let i = 1; i <= 12; i++) {
      await addPost(t, i % 2 ? author : second, {
        title: `Post ${String(i).padStart(2, '0')}`,
        published_at: new Date(base + i * 60_000).toISOString(),
      });
    }
    await addPost(t, author, {
      title: 'What makes good customer service?',
      body: '## A heading\n\nWe asked our staff.\n\n- Listen\n- Help\n\n<script>alert("x")</script>',
      published_at: '2026-02-01T10:00:00.000Z',
      categories: ['Customer Service', 'News'],
      tags: ['Story time', 'Staff'],
    });
    await addPost(t, second, { title: 'No bio here', published_at: '2026-01-01T08:00:00.000Z' });
    await addPost(t, author, { title: 'Secret draft', status: 'draft' });
    await addPost(t, author, { title: 'Future news', status: 'scheduled', published_at: new Date(Date.now() + 86_400_000).toISOString() });
    await addPost(t, author, { title: 'Opening hours', kind: 'page', body: 'Mon–Fri **9–5**' });
    await addPost(t, author, { title: 'Draft page', kind: 'page', status: 'draft' });
  });
  afterAll(() => t.close());

  it('lists the 10 newest published posts, not drafts, scheduled posts or pages', async () => {
    const res = await t.app.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    const titles = listedTitles(res.body);
    expect(titles).toEqual([
      'What makes good customer service?',
      'Post 12', 'Post 11', 'Post 10', 'Post 09', 'Post 08', 'Post 07', 'Post 06', 'Post 05', 'Post 04',
    ]);
    expect(res.body).not.toContain('Secret draft');
    expect(res.body).not.toContain('Future news');
    expect(res.body).not.toMatch(/post-summary__title"><a href="\/pages\//);
    expect(res.body).toContain('Page 1 of 2');
    expect(res.body).toContain('href="/?page=2" rel="next"');
  });

  it('shows the excerpt, author link and date in each summary', async () => {
    const res = await t.app.inject('/');
    expect(res.body).toContain('<p class="post-summary__excerpt">A heading We asked our staff. Listen Help</p>');
    expect(res.body).toContain('<a href="/author/mira" rel="author">Mira Reyes</a>');
    expect(res.body).toContain('<time datetime="2026-02-01T10:00:00.000Z">February 1, 2026</time>');
  });

  it('serves page 2 with the rest', async () => {
    const res = await t.app.inject('/?page=2');
    expect(res.statusCode).toBe(200);
    expect(listedTitles(res.body)).toEqual(['Post 03', 'Post 02', 'Post 01', 'No bio here']);
    expect(res.body).toContain('Page 2 of 2');
    expect(res.body).toContain('href="/" rel="prev"');
    expect(res.body).not.toContain('rel="next"');
  });

  it('404s a page past the end with a real page', async () => {
    expectHtml404(await t.app.inject('/?page=3'));
  });

  it.each(['abc', '0', '-1', '1.5'])('answers ?page=%s with a 4xx, not a 500', async (page) => {
    const res = await t.app.inject(`/?page=${page}`);
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('follows the posts-per-page setting', async () => {
    await writeSetting(t.db.kysely, 'posts_per_page', 4);
    try {
      const res = await t.app.inject('/?page=2');
      expect(listedTitles(res.body)).toEqual(['Post 09', 'Post 08', 'Post 07', 'Post 06']);
      expect(res.body).toContain('Page 2 of 4');
    } finally {
      await writeSetting(t.db.kysely, 'posts_per_page', 10);
    }
  });

  it('links the published pages from the navigation, not the draft ones', async () => {
    const res = await t.app.inject('/');
    expect(res.body).toMatch(/<nav class="site-nav"[\s\S]*<a href="\/pages\/opening-hours">Opening hours<\/a>[\s\S]*<\/nav>/);
    expect(res.body).not.toContain('Draft page');
  });

  describe('GET /posts/:slug', () => {
    it('shows the title, author link, date, terms, body and author box', async () => {
      const res = await t.app.inject('/posts/what-makes-good-customer-service');
      expect(res.statusCode).toBe(200);
      const html = res.body;
      expect(html).toContain('<title>What makes good customer service? – Lectern</title>');
      expect(html).toContain('<h1 class="post__title p-name">What makes good customer service?</h1>');
      expect(html).toContain('by <a href="/author/mira" rel="author">Mira Reyes</a>');
      expect(html).toContain('<time datetime="2026-02-01T10:00:00.000Z">February 1, 2026</time>');
      expect(html).toContain(
        'Posted in <a href="/category/customer-service" rel="category tag">Customer Service</a>, ' +
          '<a href="/category/news" rel="category tag">News</a> and tagged ' +
          '<a href="/tag/staff" rel="tag">Staff</a>, <a href="/tag/story-time" rel="tag">Story time</a>.',
      );
      expect(html).toContain('<h2>A heading</h2>');
      expect(html).toMatch(/<ul>\s*<li>Listen<\/li>\s*<li>Help<\/li>\s*<\/ul>/);
      expect(html).not.toContain('alert("x")');
      expect(html).toMatch(/<aside class="author-box"[^>]*>[\s\S]*About <a href="\/author\/mira">Mira Reyes<\/a>[\s\S]*Children’s librarian who loves <em>maps<\/em>\.[\s\S]*<\/aside>/);
      expect(html).toContain('0 Responses to “What makes good customer service?”');
    });

    it('shows no author box when the author has no bio', async () => {
      const res = await t.app.inject('/posts/no-bio-here');
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('author-box');
    });

    it('says "Tagged" when a post has tags but no categories, and nothing when it has neither', async () => {
      const local = await buildTestApp();
      try {
        const a = await makeUser(local, 'author');
        await addPost(local, a, { title: 'Only tags', tags: ['one'] });
        await addPost(local, a, { title: 'No terms' });
        expect((await local.app.inject('/posts/only-tags')).body).toContain('Tagged <a href="/tag/one" rel="tag">one</a>.');
        expect((await local.app.inject('/posts/no-terms')).body).not.toContain('post-terms');
      } finally {
        await local.close();
      }
    });

    it.each([
      ['a draft', '/posts/secret-draft'],
      ['a scheduled post', '/posts/future-news'],
      ['an unknown slug', '/posts/no-such-thing'],
      ['a page at a post address', '/posts/opening-hours'],
    ])('404s %s with a real HTML page', async (_name, url) => {
      expectHtml404(await t.app.inject(url));
    });
  });

  describe('GET /pages/:slug', () => {
    it('shows a published page', async () => {
      const res = await t.app.inject('/pages/opening-hours');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1 class="post__title">Opening hours</h1>');
      expect(res.body).toContain('Mon–Fri <strong>9–5</strong>');
      expect(res.body).toContain('href="/pages/opening-hours" aria-current="page"');
    });

    it.each(['/pages/draft-page', '/pages/what-makes-good-customer-service', '/pages/nope'])('404s %s', async (url) => {
      expectHtml404(await t.app.inject(url));
    });
  });

  describe('listings by category, tag and author', () => {
    it('lists a category’s posts', async () => {
      const res = await t.app.inject('/category/customer-service');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1>Posts in Customer Service</h1>');
      expect(listedTitles(res.body)).toEqual(['What makes good customer service?']);
    });

    it('lists a tag’s posts', async () => {
      const res = await t.app.inject('/tag/story-time');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1>Posts tagged Story time</h1>');
      expect(listedTitles(res.body)).toEqual(['What makes good customer service?']);
    });

    it('lists an author’s published posts with their bio, paginated', async () => {
      const res = await t.app.inject('/author/mira');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1>Posts by Mira Reyes</h1>');
      expect(res.body).toContain('<em>maps</em>');
      // Mira wrote the odd-numbered posts and the customer-service one: 7 visible.
      expect(listedTitles(res.body)).toEqual(['What makes good customer service?', 'Post 11', 'Post 09', 'Post 07', 'Post 05', 'Post 03', 'Post 01']);
      expect(res.body).not.toContain('Secret draft');
    });

    it('paginates listings and 404s past the end', async () => {
      await writeSetting(t.db.kysely, 'posts_per_page', 5);
      try {
        const page2 = await t.app.inject('/author/mira?page=2');
        expect(listedTitles(page2.body)).toEqual(['Post 03', 'Post 01']);
        expect(page2.body).toContain('href="/author/mira" rel="prev"');
        expectHtml404(await t.app.inject('/author/mira?page=3'));
        expectHtml404(await t.app.inject('/category/news?page=2'));
      } finally {
        await writeSetting(t.db.kysely, 'posts_per_page', 10);
      }
    });

    it('shows an existing author without posts as an empty 200 listing', async () => {
      await makeUser(t, 'editor', { username: 'quiet', display_name: 'Quiet One' });
      const res = await t.app.inject('/author/quiet');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('<h1>Posts by Quiet One</h1>');
      expect(res.body).toContain('No posts here yet.');
      expect(listedTitles(res.body)).toEqual([]);
    });

    it.each(['/category/nope', '/tag/nope', '/author/nobody', '/category/staff', '/tag/news'])('404s %s', async (url) => {
      expectHtml404(await t.app.inject(url));
    });

    it('does not list patrons as authors', async () => {
      const patron = await makeUser(t, 'patron', { username: 'reader' });
      expect(patron.role).toBe('patron');
      expectHtml404(await t.app.inject('/author/reader'));
    });
  });

  it('escapes titles everywhere they are shown', async () => {
    await addPost(t, author, { title: '<b>Bold</b> & "quoted"', slug: 'escaped-title' });
    const post = await t.app.inject('/posts/escaped-title');
    expect(post.body).not.toContain('<b>Bold</b>');
    expect(post.body).toContain('&lt;b&gt;Bold&lt;/b&gt; &amp; &quot;quoted&quot;');
    expect((await t.app.inject('/')).body).not.toContain('<b>Bold</b>');
  });

  it('sends security headers and no third-party sources', async () => {
    const res = await t.app.inject('/');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).not.toMatch(/(src|href)="(https?:)?\/\/(?!127\.0\.0\.1)/);
  });
});

describe('an empty site', () => {
  it('shows the home page with a friendly note', async () => {
    const t = await buildTestApp();
    try {
      const res = await t.app.inject('/');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Nothing has been published yet.');
      expect(res.body).not.toContain('class="pager"');
    } finally {
      await t.close();
    }
  });
});
