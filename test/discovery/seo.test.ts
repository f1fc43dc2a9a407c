import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { findExecutable } from '../helpers/xss.js';
import { setStatus } from '../../server/services/moderation.js';
import {
  SITEMAP_MAX_URLS,
  jsonForScript,
  planSitemap,
  renderSitemapIndex,
  renderUrlset,
  xmlSafe,
  type SitemapUrl,
} from '../../server/services/seo.js';
import type { User } from '../../server/db/schema.js';
import { BASE, author, comment, moderator, openModeration, writePost } from './helpers.js';

let t: TestApp;
let maria: User;
const posts = {} as Record<'main' | 'hostile' | 'page' | 'draft' | 'future', { id: number; slug: string }>;

beforeAll(async () => {
  t = await buildTestApp({ BASE_URL: BASE });
  await setSettings(t, { site_name: 'Riverside Library', tagline: 'Books & more' });
  maria = await author(t, 'Maria Librarian');
  posts.main = await writePost(t, maria, {
    title: 'What makes good customer service?',
    body: 'Tell us what you think.\n\n![The desk](/uploads/desk.png)',
    excerpt: 'A question for our patrons.',
    published_at: '2024-05-01T09:00:00.000Z',
    categories: ['Events'],
    tags: ['Service', 'Questions'],
  });
  posts.hostile = await writePost(t, maria, {
    title: '</script><script>alert(1)</script> & <!-- "quotes" \u2028 -->',
    body: 'Plain.',
    published_at: '2024-05-02T09:00:00.000Z',
  });
  posts.page = await writePost(t, maria, { title: 'Opening hours', body: 'Nine to five.', kind: 'page', published_at: '2024-01-01T00:00:00.000Z' });
  posts.draft = await writePost(t, maria, { title: 'Draft', body: 'x', status: 'draft', tags: ['Hidden tag'] });
  posts.future = await writePost(t, maria, { title: 'Future', body: 'x', status: 'scheduled', published_at: '2099-01-01T00:00:00.000Z', categories: ['Future things'] });
  await makeUser(t, 'patron', { username: 'pat' });
  await makeUser(t, 'author', { username: 'idle-author' });

  await openModeration(t);
  const mod = await moderator(t);
  await comment(t, posts.main.slug, 'Smiles.');
  await comment(t, posts.main.slug, 'Patience.', { email: 'b@example.org' });
  const spam = await comment(t, posts.main.slug, 'Buy now', { email: 'c@example.org' });
  await setStatus(t.db.kysely, mod, spam, 'spam');
});
afterAll(async () => {
  await t.close();
});

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });
const meta = (html: string, attr: 'name' | 'property', key: string) =>
  new RegExp(`<meta ${attr}="${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" content="([^"]*)">`).exec(html)?.[1];
const jsonLd = (html: string) => {
  const m = /<script type="application\/ld\+json">([\s\S]*?)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : null;
};

describe('post pages', () => {
  it('have a title, description, canonical URL, Open Graph and Twitter card', async () => {
    const html = (await get(`/posts/${posts.main.slug}`)).body;
    const url = `${BASE}/posts/${posts.main.slug}`;
    expect(html).toContain('<title>What makes good customer service? – Riverside Library</title>');
    expect(meta(html, 'name', 'description')).toBe('A question for our patrons.');
    expect(html).toContain(`<link rel="canonical" href="${url}">`);
    expect(meta(html, 'property', 'og:type')).toBe('article');
    expect(meta(html, 'property', 'og:title')).toBe('What makes good customer service?');
    expect(meta(html, 'property', 'og:description')).toBe('A question for our patrons.');
    expect(meta(html, 'property', 'og:url')).toBe(url);
    expect(meta(html, 'property', 'og:site_name')).toBe('Riverside Library');
    expect(meta(html, 'property', 'og:image')).toBe(`${BASE}/uploads/desk.png`);
    expect(meta(html, 'property', 'article:published_time')).toBe('2024-05-01T09:00:00.000Z');
    expect(meta(html, 'property', 'article:section')).toBe('Events');
    expect(meta(html, 'name', 'twitter:card')).toBe('summary_large_image');
    expect(meta(html, 'name', 'twitter:title')).toBe('What makes good customer service?');
    expect(meta(html, 'name', 'twitter:image')).toBe(`${BASE}/uploads/desk.png`);
  });

  it('carry a JSON-LD BlogPosting with the approved comment count', async () => {
    const html = (await get(`/posts/${posts.main.slug}`)).body;
    const row = await t.db.kysely.selectFrom('posts').select(['updated_at']).where('id', '=', posts.main.id).executeTakeFirstOrThrow();
    const url = `${BASE}/posts/${posts.main.slug}`;
    expect(jsonLd(html)).toEqual({
      '@context': 'https://schema.org',
      '@type': 'BlogPosting',
      '@id': url,
      url,
      mainEntityOfPage: url,
      headline: 'What makes good customer service?',
      description: 'A question for our patrons.',
      datePublished: '2024-05-01T09:00:00.000Z',
      dateModified: row.updated_at,
      author: { '@type': 'Person', name: 'Maria Librarian', url: `${BASE}/author/${maria.username}` },
      publisher: { '@type': 'Organization', name: 'Riverside Library', url: `${BASE}/` },
      commentCount: 2,
      articleSection: 'Events',
      keywords: 'Questions, Service',
      image: `${BASE}/uploads/desk.png`,
    });
  });

  it('cannot be broken out of by a title holding </script>, and add nothing executable', async () => {
    const res = await get(`/posts/${posts.hostile.slug}`);
    const html = res.body;
    // One inline block: the JSON-LD (scripts from /static/ are the page's own).
    expect(html.match(/<script(?![^>]*\bsrc=)/g)).toHaveLength(1);
    expect(html).not.toContain('</script><script>');
    expect(jsonLd(html).headline).toBe('</script><script>alert(1)</script> & <!-- "quotes" \u2028 -->');
    expect(findExecutable(html)).toEqual([]);
    // The strict CSP stays; a JSON-LD data block is not a script it applies to.
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(html).toContain('<script type="application/ld+json">');
    expect(meta(html, 'property', 'og:title')).toBe('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!-- &quot;quotes&quot; \u2028 --&gt;');
  });

  it('jsonForScript escapes what could end a script block', () => {
    const out = jsonForScript({ a: '</script><!--<script>&\u2028\u2029' });
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual({ a: '</script><!--<script>&\u2028\u2029' });
  });
});

describe('/sitemap.xml', () => {
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'url' || name === 'sitemap' });

  it('is a well-formed urlset of absolute URLs: posts, pages, categories, tags and authors, with lastmod', async () => {
    const res = await get('/sitemap.xml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(XMLValidator.validate(res.body)).toBe(true);
    const doc = parser.parse(res.body);
    expect(doc.urlset['@_xmlns']).toBe('http://www.sitemaps.org/schemas/sitemap/0.9');
    const urls = doc.urlset.url as { loc: string; lastmod?: string }[];
    expect(urls.length).toBeLessThanOrEqual(SITEMAP_MAX_URLS);
    const locs = urls.map((u) => u.loc);
    expect(new Set(locs).size).toBe(locs.length);
    for (const u of urls) {
      expect(u.loc.startsWith(`${BASE}/`), u.loc).toBe(true);
      expect(u.loc.length).toBeLessThan(2048);
      expect(u.lastmod, u.loc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    }
    expect(locs.sort()).toEqual(
      [
        `${BASE}/`,
        `${BASE}/archive`,
        `${BASE}/posts/${posts.main.slug}`,
        `${BASE}/posts/${posts.hostile.slug}`,
        `${BASE}/pages/${posts.page.slug}`,
        `${BASE}/category/events`,
        `${BASE}/tag/service`,
        `${BASE}/tag/questions`,
        `${BASE}/author/${maria.username}`,
      ].sort(),
    );
    const main = urls.find((u) => u.loc === `${BASE}/posts/${posts.main.slug}`)!;
    const row = await t.db.kysely.selectFrom('posts').select('updated_at').where('id', '=', posts.main.id).executeTakeFirstOrThrow();
    expect(main.lastmod).toBe(row.updated_at);
    expect(urls.find((u) => u.loc === `${BASE}/category/events`)!.lastmod).toBe('2024-05-01T09:00:00.000Z');
  });

  it('answers conditional requests with 304', async () => {
    const first = await get('/sitemap.xml');
    expect((await get('/sitemap.xml', { 'if-none-match': first.headers.etag as string })).statusCode).toBe(304);
    expect((await get('/sitemap.xml', { 'if-modified-since': first.headers['last-modified'] as string })).statusCode).toBe(304);
  });

  it('has no parts while one file holds everything', async () => {
    expect((await get('/sitemap-1.xml')).statusCode).toBe(404);
  });

  it('splits into a sitemap index past the per-file limit (shown with a limit of 3)', () => {
    const urls: SitemapUrl[] = Array.from({ length: 8 }, (_, i) => ({ path: `/posts/p-${i}`, lastmod: `2024-01-0${i + 1}T00:00:00.000Z` }));
    expect(planSitemap(urls.slice(0, 3), 3).index).toBeNull();
    const plan = planSitemap(urls, 3);
    expect(plan.parts.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(plan.parts.flat()).toEqual(urls);
    expect(plan.index).toEqual([
      { path: '/sitemap-1.xml', lastmod: '2024-01-03T00:00:00.000Z' },
      { path: '/sitemap-2.xml', lastmod: '2024-01-06T00:00:00.000Z' },
      { path: '/sitemap-3.xml', lastmod: '2024-01-08T00:00:00.000Z' },
    ]);
    const index = renderSitemapIndex(BASE, plan.index!);
    expect(XMLValidator.validate(index)).toBe(true);
    const doc = parser.parse(index);
    expect(doc.sitemapindex['@_xmlns']).toBe('http://www.sitemaps.org/schemas/sitemap/0.9');
    expect(doc.sitemapindex.sitemap.map((s: { loc: string }) => s.loc)).toEqual([1, 2, 3].map((n) => `${BASE}/sitemap-${n}.xml`));
    for (const part of plan.parts) {
      const xml = renderUrlset(BASE, part);
      expect(XMLValidator.validate(xml)).toBe(true);
      expect(parser.parse(xml).urlset.url.length).toBeLessThanOrEqual(3);
    }
  });

  it('uses 50,000 URLs a file by default, and escapes what it prints', () => {
    const many: SitemapUrl[] = Array.from({ length: SITEMAP_MAX_URLS + 1 }, (_, i) => ({ path: `/posts/${i}`, lastmod: null }));
    expect(SITEMAP_MAX_URLS).toBe(50_000);
    expect(planSitemap(many).parts.map((p) => p.length)).toEqual([50_000, 1]);
    expect(planSitemap(many.slice(0, SITEMAP_MAX_URLS)).index).toBeNull();
    const xml = renderUrlset(BASE, [{ path: '/search?a=1&b=<2>', lastmod: null }]);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toContain(`<loc>${BASE}/search?a=1&amp;b=&lt;2&gt;</loc>`);
    expect(xmlSafe('a\u0000b\u0008c\ufffed\ud800e\tf\ng')).toBe('abcde\tf\ng');
  });
});

describe('/robots.txt', () => {
  it('keeps crawlers out of the staff area and points to the sitemap', async () => {
    const res = await get('/robots.txt');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toMatch(/^User-agent: \*$/m);
    expect(res.body).toMatch(/^Disallow: \/admin\/$/m);
    expect(res.body).toMatch(new RegExp(`^Sitemap: ${BASE}/sitemap.xml$`, 'm'));
  });
});
