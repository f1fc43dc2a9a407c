import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { createPost } from '../../server/services/posts.js';
import { submitComment } from '../../server/services/comments.js';
import { setStatus } from '../../server/services/moderation.js';
import { DEFAULT_SETTINGS } from '../../server/services/settings.js';
import { writeSetting } from '../../server/data/settings.js';
import { startSession } from '../../server/services/auth.js';
import { wordpressExport } from '../../server/services/wordpress/export.js';
import { jsonExport } from '../../server/services/export-json.js';
import { readWxr, type Fields } from '../../server/services/wordpress/wxr-parse.js';
import { importFile, SECRET, writeTemp } from './helpers.js';

/**
 * Leaving works: export → import into an empty site → export gives the same content.
 * Site A holds Lectern-written posts (Markdown with most of its features, threads in every
 * status, staff replies) and the whole WordPress fixture.
 */

let a: TestApp;
let b: TestApp;

const collect = async (pieces: AsyncIterable<string>) => {
  let out = '';
  for await (const piece of pieces) out += piece;
  return out;
};

const MARKDOWN = `Opening paragraph with **bold**, _emphasis_, \`code\` and a [link](https://example.org/page?a=1&b=2 "A title").

## A heading

- one
- two with *stars*
  - nested

1. first
2. second

> A quote
> over two lines

\`\`\`js
const x = 1 < 2 && "quoted";
\`\`\`

| Left | Centre | Right |
|:-----|:------:|------:|
| a | b | c |

Line one  
line two, and an autolink https://example.net/x.

---

A last paragraph with “quotes” -- and an ellipsis...`;

async function seed(t: TestApp) {
  const admin = await makeUser(t, 'admin', { username: 'head', display_name: 'Head Librarian', email: 'head@example.org' });
  const author = await makeUser(t, 'author', { username: 'ann', display_name: 'Ánn Ørsted', email: 'ann@example.org' });
  await writeSetting(t.db.kysely, 'site_name', 'Springfield Library');
  const post = await createPost(t.db.kysely, author, { title: 'Everything Markdown can say', body: MARKDOWN, status: 'published', published_at: '2026-01-05T10:00:00.000Z', tags: ['Book club', 'Événements'], categories: ['News'], excerpt: 'A hand-written excerpt.' });
  await createPost(t.db.kysely, admin, { title: 'Літо в бібліотеці', body: 'Українською.', status: 'published', published_at: '2026-02-01T09:30:00.000Z', categories: ['News'] });
  await createPost(t.db.kysely, admin, { title: 'Opening hours', body: 'Monday to Friday.', status: 'published', kind: 'page' });
  await createPost(t.db.kysely, author, { title: 'Half-written', body: 'Not yet.', status: 'draft' });
  await createPost(t.db.kysely, author, { title: 'Next summer', body: 'Soon.', status: 'scheduled', published_at: '2030-06-01T08:00:00.000Z', comments_open: false });
  const slug = (await t.db.kysely.selectFrom('posts').select('slug').where('id', '=', post).executeTakeFirstOrThrow()).slug;
  const settings = { ...DEFAULT_SETTINGS, moderation: 'none' as const, comment_rate_per_minute: 1000 };
  const visitor = { user: null, ipHash: 'a'.repeat(32) };
  const root = await submitComment(t.db.kysely, slug, { name: 'Pat', email: 'pat@example.org', url: 'https://pat.example.org', body: 'First, with a [link](https://example.org) and _style_.' }, visitor, settings, SECRET, new Date('2026-01-06T10:00:00Z'));
  const reply = await submitComment(t.db.kysely, slug, { name: 'Sam', email: 'sam@example.org', body: 'A reply\n\n> quoting\n\nand more' }, visitor, settings, SECRET, new Date('2026-01-06T11:00:00Z'));
  void reply;
  const nested = await submitComment(t.db.kysely, slug, { name: 'Lee', email: 'lee@example.org', body: 'Nested reply', parent_id: root.id }, visitor, settings, SECRET, new Date('2026-01-06T12:00:00Z'));
  const staff = { user: { ...admin, password_hash: undefined } as never, ipHash: 'b'.repeat(32) };
  await submitComment(t.db.kysely, slug, { body: 'Thanks, from the staff.', parent_id: nested.id }, staff, settings, SECRET, new Date('2026-01-06T13:00:00Z'));
  const moderator = { id: admin.id, role: admin.role, display_name: admin.display_name };
  const held = await submitComment(t.db.kysely, slug, { name: 'Hal', email: 'hal@example.org', body: 'Held one' }, visitor, { ...settings, moderation: 'all' }, SECRET, new Date('2026-01-07T10:00:00Z'));
  const spam = await submitComment(t.db.kysely, slug, { name: 'Spammer', email: 'spam@example.org', body: 'Buy now' }, visitor, settings, SECRET, new Date('2026-01-07T11:00:00Z'));
  await setStatus(t.db.kysely, moderator, spam.id, 'spam');
  const rejected = await submitComment(t.db.kysely, slug, { name: 'Rude', email: 'rude@example.org', body: 'Rude words' }, visitor, settings, SECRET, new Date('2026-01-07T12:00:00Z'));
  await setStatus(t.db.kysely, moderator, rejected.id, 'rejected');
  void held;
  // A session and a token exist: the JSON export must not carry their hashes.
  await startSession(t.db.kysely, admin.id);
  // And the whole WordPress fixture.
  await importFile(t.db);
}

interface Canonical {
  channel: Record<string, string>;
  authors: Record<string, unknown>;
  terms: Record<string, unknown>;
  items: Record<string, unknown>;
}

const html = (text: string) => text.replace(/>\s+</g, '><').replace(/\s+/g, ' ').trim();

/** A WXR file as content only: ids (which differ between sites) replaced by what they point at. */
async function canonical(xml: string): Promise<Canonical> {
  const file = writeTemp('export.xml', xml);
  const out: Canonical = { channel: {}, authors: {}, terms: {}, items: {} };
  const loginById = new Map<string, string>();
  for await (const event of readWxr(file, { label: 'export.xml' })) {
    if (event.type === 'channel') out.channel = { ...event.channel };
    if (event.type === 'author') {
      const f = event.fields;
      loginById.set(f['wp:author_id']!, f['wp:author_login']!);
      out.authors[f['wp:author_login']!] = { email: f['wp:author_email'], name: f['wp:author_display_name'] };
    }
    if (event.type === 'term') {
      const f = event.fields;
      const key = event.element === 'category' ? `category:${f['wp:category_nicename']}` : `tag:${f['wp:tag_slug']}`;
      out.terms[key] = { name: f['wp:cat_name'] ?? f['wp:tag_name'], description: f['wp:category_description'] ?? f['wp:tag_description'] ?? '' };
    }
    if (event.type === 'item') {
      const f = event.item.fields;
      const key = (c: Fields) => `${c['wp:comment_date_gmt']} ${c['wp:comment_author']}`;
      const byId = new Map(event.item.comments.map((c) => [c.fields['wp:comment_id'], c.fields]));
      out.items[`${f['wp:post_type']}:${f['wp:post_name']}`] = {
        title: f.title,
        link: f.link,
        creator: f['dc:creator'],
        content: html(f['content:encoded'] ?? ''),
        excerpt: f['excerpt:encoded'],
        status: f['wp:status'],
        dates: [f['wp:post_date'], f['wp:post_date_gmt'], f['wp:post_modified_gmt']],
        comments_open: f['wp:comment_status'],
        terms: event.item.terms.map((x) => `${x.domain}:${x.nicename}:${x.name}`).sort(),
        comments: event.item.comments
          .map(({ fields: c }) => ({
            key: key(c),
            email: c['wp:comment_author_email'],
            url: c['wp:comment_author_url'],
            content: html(c['wp:comment_content'] ?? ''),
            approved: c['wp:comment_approved'],
            parent: c['wp:comment_parent'] === '0' ? null : key(byId.get(c['wp:comment_parent'])!),
            user: loginById.get(c['wp:comment_user_id']!) ?? null,
          }))
          .sort((x, y) => x.key.localeCompare(y.key)),
      };
    }
  }
  // The export's own time, not content.
  delete out.channel.pubDate;
  return out;
}

let exportA: string;

beforeAll(async () => {
  a = await buildTestApp();
  await seed(a);
  exportA = await collect(wordpressExport(a.db.kysely, { baseUrl: a.config.baseUrl }));
  b = await buildTestApp();
});

afterAll(async () => {
  await a?.close();
  await b?.close();
});

describe('export → import into an empty site → export', () => {
  it('gives the same content', async () => {
    const summary = await importFile(b.db, writeTemp('a.xml', exportA));
    expect(summary.counts.posts.created + summary.counts.pages.created).toBe(22);
    const exportB = await collect(wordpressExport(b.db.kysely, { baseUrl: b.config.baseUrl }));
    const [ca, cb] = [await canonical(exportA), await canonical(exportB)];
    expect(Object.keys(ca.items).length).toBe(22);
    expect(cb.authors).toEqual(ca.authors);
    expect(cb.terms).toEqual(ca.terms);
    for (const key of Object.keys(ca.items)) expect([key, cb.items[key]]).toEqual([key, ca.items[key]]);
    expect(cb).toEqual(ca);
  });

  it('writes a WXR WordPress reads: statuses, threading, CDATA split, encoded slugs', async () => {
    expect(exportA).toMatch(/^<\?xml version="1.0" encoding="UTF-8" \?>/);
    expect(exportA).toContain('<wp:wxr_version>1.2</wp:wxr_version>');
    for (const status of ['<wp:comment_approved><![CDATA[1]]>', '<wp:comment_approved><![CDATA[0]]>', '<wp:comment_approved><![CDATA[spam]]>', '<wp:comment_approved><![CDATA[trash]]>']) {
      expect(exportA).toContain(status);
    }
    for (const status of ['publish', 'draft', 'future']) expect(exportA).toContain(`<wp:status><![CDATA[${status}]]></wp:status>`);
    // WordPress's own form: non-ASCII slugs percent-encoded in lower case.
    expect(exportA).toContain(`<wp:post_name><![CDATA[${encodeURIComponent('розмовний-клуб-українська-мова-щосуб').toLowerCase()}]]></wp:post_name>`);
    // The code block holds "]]>"-free text, but titles and bodies may not: prove the split.
    const trickyTitle = await createPost(a.db.kysely, { id: 1, role: 'admin' }, { title: 'Array ]]> end', body: 'Text with ]]> inside.', status: 'draft' });
    const again = await collect(wordpressExport(a.db.kysely, { baseUrl: a.config.baseUrl }));
    expect(again).toContain('<title><![CDATA[Array ]]]]><![CDATA[> end]]></title>');
    const parsed = await canonical(again);
    expect(Object.values(parsed.items).some((i) => (i as { title: string }).title === 'Array ]]> end')).toBe(true);
    await a.db.kysely.deleteFrom('posts').where('id', '=', trickyTitle).execute();
    // Content is HTML with absolute links (WordPress has no Markdown, and its own URLs).
    expect(exportA).toContain(`<a href="${a.config.baseUrl}/posts/how-to-borrow-e-books-and-audiobooks-with-your-library-card">`);
    // Never an IP.
    expect(exportA).toMatch(/<wp:comment_author_IP><!\[CDATA\[\]\]><\/wp:comment_author_IP>/);
  });
});

describe('the JSON export', () => {
  it('is one valid document with every table it documents, and no secret or hash', async () => {
    const text = await collect(jsonExport(a.db.kysely, { baseUrl: a.config.baseUrl }));
    const doc = JSON.parse(text) as Record<string, unknown> & { posts: Record<string, unknown>[]; users: Record<string, unknown>[]; comments: Record<string, unknown>[] };
    expect(doc).toMatchObject({ format: 'lectern-export', version: 1, site: { base_url: a.config.baseUrl, settings: { site_name: 'Springfield Library' } } });
    const posts = await a.db.kysely.selectFrom('posts').select('id').execute();
    const comments = await a.db.kysely.selectFrom('comments').select('id').execute();
    expect(doc.posts.length).toBe(posts.length);
    expect(doc.comments.length).toBe(comments.length);
    expect(doc.users.map((u) => u.username)).toContain('head');
    expect((doc.post_terms as unknown[]).length).toBeGreaterThan(0);
    expect(doc.posts[0]).toHaveProperty('body_md');
    expect(typeof doc.posts[0]!.comments_open).toBe('boolean');
    expect(Array.isArray(doc.comments[0]!.reasons)).toBe(true);
    for (const forbidden of ['password_hash', 'token_hash', 'ip_hash', 'avatar_key', 'sessions', 'api_tokens', 'invitations', 'password_resets']) {
      expect(text).not.toContain(`"${forbidden}"`);
    }
    const hashes = await a.db.kysely.selectFrom('users').select('password_hash').where('password_hash', 'is not', null).execute();
    for (const { password_hash } of hashes) expect(text).not.toContain(password_hash!);
    const sessions = await a.db.kysely.selectFrom('sessions').select('id').execute();
    for (const { id } of sessions) expect(text).not.toContain(id);
  });
});
