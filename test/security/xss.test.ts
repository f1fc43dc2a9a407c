import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XMLValidator } from 'fast-xml-parser';
import { parseDocument } from 'htmlparser2';
import { findAll, textContent } from 'domutils';
import { buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { findExecutable, loadXssPayloads } from '../helpers/xss.js';
import { createPost } from '../../server/services/posts.js';
import { updateProfile } from '../../server/services/users.js';
import { submitComment } from '../../server/services/comments.js';
import { loadSettings } from '../../server/services/settings.js';
import { findPostById } from '../../server/data/posts.js';
import { writeSetting } from '../../server/data/settings.js';

/**
 * The hostile corpus (test/fixtures/xss-payloads.txt) in every field a visitor, a patron
 * or a staff member can fill: comment bodies, names and websites; post titles, bodies,
 * excerpts, tags and categories; author names and bios; search queries; even the site's
 * name. Then every page, feed and API answer that shows them is read as a browser (or a
 * feed reader) would, and must hold nothing that runs. Rows are written through the
 * services, not 200 form posts per field (the comment form itself is covered by
 * test/comments/xss.test.ts).
 */

const payloads = loadXssPayloads();
const clip = (text: string, max: number) => text.slice(0, max).trim() || 'x';

let t: TestApp;
const slugs: string[] = [];
const usernames: string[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { moderation: 'none', hold_links: 0, comment_rate_per_minute: 1_000_000, posts_per_page: 100 });
  // The site's own name and tagline are on every page and in every feed.
  await writeSetting(t.db.kysely, 'site_name', '</title><script>alert("site")</script>');
  await writeSetting(t.db.kysely, 'tagline', '"><svg onload=alert(1)>');
  const settings = await loadSettings(t.db.kysely);
  const start = Date.now() - payloads.length * 60_000;
  for (const [i, payload] of payloads.entries()) {
    const author = await makeUser(t, 'author', { username: `x${i}`, display_name: clip(payload, 100) });
    await updateProfile(t.db.kysely, author.id, { display_name: clip(payload, 100), bio: payload });
    const id = await createPost(
      t.db.kysely,
      author,
      {
        title: clip(payload, 200),
        body: `${payload}\n\n${payload}`,
        excerpt: i % 2 ? payload.slice(0, 1000) : '',
        tags: [clip(payload, 60), `tag ${i}`],
        categories: [clip(payload, 60)],
        status: 'published',
        published_at: new Date(start + i * 60_000).toISOString(),
      },
    );
    const slug = (await findPostById(t.db.kysely, id))!.slug;
    slugs.push(slug);
    usernames.push(author.username);
    let url = payload.slice(0, 250);
    try {
      if (!/^https?:$/.test(new URL(url).protocol)) throw new Error('not http');
    } catch {
      url = `https://xss.invalid/${payload.slice(0, 250)}`;
    }
    const comment = await submitComment(
      t.db.kysely,
      slug,
      { name: clip(payload, 100), email: `c${i}@example.org`, url, body: payload },
      { user: null, ipHash: 'a'.repeat(32) },
      settings,
      'xss-test-secret',
    );
    await submitComment(
      t.db.kysely,
      slug,
      { name: 'Reply', email: `r${i}@example.org`, body: `> ${payload}\n\n${payload}`, parent_id: comment.id },
      { user: null, ipHash: 'a'.repeat(32) },
      settings,
      'xss-test-secret',
    );
  }
}, 180_000);
afterAll(() => t.close());

/** GETs many addresses, a few at a time. */
async function fetchAll(urls: string[]): Promise<{ url: string; status: number; body: string; type: string }[]> {
  const out: { url: string; status: number; body: string; type: string }[] = [];
  for (let i = 0; i < urls.length; i += 8) {
    const batch = await Promise.all(urls.slice(i, i + 8).map((url) => t.app.inject(url)));
    batch.forEach((res, j) => out.push({ url: urls[i + j]!, status: res.statusCode, body: res.body, type: String(res.headers['content-type'] ?? '') }));
  }
  return out;
}

async function termPaths(kind: 'tag' | 'category'): Promise<string[]> {
  const rows = await t.db.kysely.selectFrom('terms').select('slug').where('kind', '=', kind).execute();
  return rows.map((r) => `/${kind}/${encodeURIComponent(r.slug)}`);
}

/**
 * The elements a feed reader renders as HTML: RSS titles and descriptions (item and
 * channel) and content:encoded; Atom text constructs of type html or xhtml. The rest
 * (category, dc:creator, Atom's name and text-typed titles) is plain text by the specs.
 */
function rendersAsHtml(el: { name: string; attribs: Record<string, string> }, atom: boolean): boolean {
  if (atom) return el.attribs.type === 'html' || el.attribs.type === 'xhtml';
  return ['title', 'description', 'content:encoded'].includes(el.name);
}

/** Every piece of HTML in a feed, XML-decoded, read as a browser would. */
function feedProblems(xml: string): string[] {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) return [`not well-formed XML: ${valid.err.msg}`];
  const doc = parseDocument(xml, { xmlMode: true, decodeEntities: true });
  const atom = findAll((e) => e.name === 'feed', doc.children).length > 0;
  const problems: string[] = [];
  for (const el of findAll((e) => rendersAsHtml(e, atom), doc.children)) {
    for (const p of findExecutable(textContent(el))) problems.push(`<${el.name}>: ${p}`);
  }
  // Plain-text elements must still be text, not markup smuggled in as child elements.
  for (const el of findAll((e) => !rendersAsHtml(e, atom) && e.children.some((c) => c.type === 'tag') && ['category', 'dc:creator', 'name', 'title'].includes(e.name), doc.children)) {
    problems.push(`<${el.name}> holds elements`);
  }
  return problems;
}

describe(`the XSS corpus (${payloads.length} payloads) everywhere it can be shown`, () => {
  it('has at least 150 payloads, kept as data in test/fixtures', () => {
    expect(payloads.length).toBeGreaterThanOrEqual(150);
  });

  it('the detectors find what they must (so the checks below can fail)', () => {
    expect(feedProblems('<rss><channel><item><description>&lt;img src=x onerror=alert(1)&gt;</description></item></channel></rss>')).toHaveLength(1);
    expect(feedProblems('<rss><item><title><![CDATA[<script>alert(1)</script>]]></title></item></rss>')).toHaveLength(1);
    expect(feedProblems('<rss><item><title>&amp;lt;script&amp;gt;</title></item></rss>')).toEqual([]);
    expect(feedProblems('<rss><item><title>a & b</title></item></rss>')[0]).toMatch(/well-formed/);
  });

  it('runs nothing on the home page, post pages, listings, archives and search results', { timeout: 240_000 }, async () => {
    const months = await t.db.kysely.selectFrom('posts').select('published_at').execute();
    const monthPaths = [...new Set(months.map((m) => `/${m.published_at!.slice(0, 4)}/${m.published_at!.slice(5, 7)}`))];
    const urls = [
      '/',
      '/?page=2',
      '/archive',
      ...monthPaths,
      ...slugs.map((s) => `/posts/${encodeURIComponent(s)}`),
      ...slugs.map((s, i) => `/posts/${encodeURIComponent(s)}?replytocom=${2 * i + 1}`),
      ...usernames.map((u) => `/author/${u}`),
      ...(await termPaths('tag')),
      ...(await termPaths('category')),
      ...payloads.map((p) => `/search?q=${encodeURIComponent(p)}`),
      ...payloads.slice(0, 40).map((p) => `/search?q=${encodeURIComponent(p.replace(/[^\w ]+/g, ' '))}`),
    ];
    const pages = await fetchAll(urls);
    const problems: string[] = [];
    let html = 0;
    for (const page of pages) {
      if (page.status >= 500) problems.push(`${page.url}: ${page.status}`);
      if (!page.type.startsWith('text/html')) continue;
      html++;
      for (const p of findExecutable(page.body)) problems.push(`${page.url}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(html).toBeGreaterThan(payloads.length * 4);
    // The hostile comments really are on the pages, escaped or cleaned.
    const first = pages.find((p) => p.url === `/posts/${encodeURIComponent(slugs[0]!)}`)!;
    expect(first.body).toContain('Reply');
    const search = pages.filter((p) => p.url.startsWith('/search')).filter((p) => p.body.includes('class="search-result') || p.body.includes('<mark'));
    expect(search.length).toBeGreaterThan(0);
  });

  it('runs nothing in any feed: site, comments, per post, author, tag and category', { timeout: 240_000 }, async () => {
    const urls = [
      '/feed.xml',
      '/feed.atom',
      '/comments/feed.xml',
      '/comments/feed.atom',
      ...slugs.flatMap((s) => [`/posts/${encodeURIComponent(s)}/feed.xml`, `/posts/${encodeURIComponent(s)}/feed.atom`]),
      ...usernames.map((u) => `/author/${u}/feed.xml`),
      ...(await termPaths('tag')).map((p) => `${p}/feed.atom`),
      ...(await termPaths('category')).map((p) => `${p}/feed.xml`),
      '/sitemap.xml',
    ];
    const problems: string[] = [];
    let items = 0;
    for (const feed of await fetchAll(urls)) {
      if (feed.status !== 200) {
        problems.push(`${feed.url}: ${feed.status}`);
        continue;
      }
      items += (feed.body.match(/<(item|entry)>/g) ?? []).length;
      for (const p of feedProblems(feed.body)) problems.push(`${feed.url} ${p}`);
    }
    expect(problems).toEqual([]);
    expect(items).toBeGreaterThan(payloads.length * 3);
  });

  it('runs nothing in the API’s HTML, and gives names as data', { timeout: 120_000 }, async () => {
    const problems: string[] = [];
    for (let page = 1; page <= Math.ceil(payloads.length / 10); page++) {
      const res = await t.app.inject(`/api/v1/posts?page=${page}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
    type ApiComment = { html: string; author_name: string; replies: ApiComment[] };
    const walk = (comments: ApiComment[]): ApiComment[] => comments.flatMap((c) => [c, ...walk(c.replies)]);
    let comments = 0;
    for (const one of await fetchAll(slugs.map((s) => `/api/v1/posts/${encodeURIComponent(s)}`))) {
      expect(one.status).toBe(200);
      const data = JSON.parse(one.body) as { post: { html: string }; comments: ApiComment[] };
      for (const p of findExecutable(data.post.html)) problems.push(`${one.url} post.html: ${p}`);
      for (const c of walk(data.comments)) {
        comments++;
        for (const p of findExecutable(c.html)) problems.push(`${one.url} comment html: ${p}`);
      }
    }
    expect(problems).toEqual([]);
    expect(comments).toBe(payloads.length * 2);
  });
});
