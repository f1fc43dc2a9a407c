import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeUser, postRow, type TestApp } from '../helpers/app.js';
import {
  createPost,
  deletePostById,
  getPublicPost,
  listPublicPosts,
  parseTermList,
  updatePostById,
} from '../../server/services/posts.js';
import type { User } from '../../server/db/schema.js';

let t: TestApp;
let author: User;
let otherAuthor: User;
let editor: User;
let patron: User;
const db = () => t.db.kysely;
const NOW = new Date('2026-03-10T12:00:00.000Z');
const later = (ms: number) => new Date(NOW.getTime() + ms);

beforeAll(async () => {
  t = await buildTestApp();
  author = await makeUser(t, 'author');
  otherAuthor = await makeUser(t, 'author');
  editor = await makeUser(t, 'editor');
  patron = await makeUser(t, 'patron');
});
afterAll(() => t.close());

const termsOf = (postId: number) =>
  db()
    .selectFrom('post_terms')
    .innerJoin('terms', 'terms.id', 'post_terms.term_id')
    .select(['terms.kind', 'terms.name', 'terms.slug'])
    .where('post_terms.post_id', '=', postId)
    .orderBy('terms.kind')
    .orderBy('terms.slug')
    .execute();

describe('createPost', () => {
  it('saves a draft with rendered HTML beside the Markdown and no publish date', async () => {
    const id = await createPost(db(), author, { title: 'Draft one', body: '# Hello\n\nSome *text*.', status: 'draft' }, NOW);
    const row = await postRow(t, id);
    expect(row).toMatchObject({
      author_id: author.id,
      kind: 'post',
      title: 'Draft one',
      slug: 'draft-one',
      body_md: '# Hello\n\nSome *text*.',
      status: 'draft',
      published_at: null,
      comments_open: 1,
      comment_count: 0,
      created_at: NOW.toISOString(),
      updated_at: NOW.toISOString(),
    });
    expect(row!.body_html).toContain('<h1>Hello</h1>');
    expect(row!.body_html).toContain('<em>text</em>');
  });

  it('publishes now when asked to publish without a date', async () => {
    const id = await createPost(db(), author, { title: 'Now', body: 'x', status: 'published' }, NOW);
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: NOW.toISOString() });
  });

  it('schedules for a future date, and "publish" with a future date also schedules', async () => {
    const when = later(3600_000).toISOString();
    const a = await createPost(db(), author, { title: 'Sched A', body: 'x', status: 'scheduled', published_at: when }, NOW);
    const b = await createPost(db(), author, { title: 'Sched B', body: 'x', status: 'published', published_at: when }, NOW);
    expect(await postRow(t, a)).toMatchObject({ status: 'scheduled', published_at: when });
    expect(await postRow(t, b)).toMatchObject({ status: 'scheduled', published_at: when });
  });

  it('publishes at once a post scheduled for a past date', async () => {
    const when = later(-3600_000).toISOString();
    const id = await createPost(db(), author, { title: 'Backdated', body: 'x', status: 'scheduled', published_at: when }, NOW);
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: when });
  });

  it.each([
    ['an empty title', { title: '   ', body: 'x', status: 'draft' }, 'title'],
    ['a title too long', { title: 'x'.repeat(201), body: 'x', status: 'draft' }, 'title'],
    ['an unknown status', { title: 'T', body: 'x', status: 'live' }, 'status'],
    ['an unknown kind', { title: 'T', body: 'x', status: 'draft', kind: 'essay' }, 'kind'],
    ['a malformed slug', { title: 'T', body: 'x', status: 'draft', slug: 'Not A Slug!' }, 'slug'],
    ['an empty body when publishing', { title: 'T', body: '  ', status: 'published' }, 'body'],
    ['a schedule without a date', { title: 'T', body: 'x', status: 'scheduled' }, 'published_at'],
    ['an unreadable date', { title: 'T', body: 'x', status: 'scheduled', published_at: 'next tuesday' }, 'published_at'],
    ['too many tags', { title: 'T', body: 'x', status: 'draft', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
    ['a category name too long', { title: 'T', body: 'x', status: 'draft', categories: ['c'.repeat(61)] }, 'categories'],
  ])('refuses %s with a 422 naming the field', async (_name, input, field) => {
    const before = await db().selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expect(createPost(db(), author, input, NOW)).rejects.toMatchObject({ status: 422, fields: { [field]: expect.any(String) } });
    const after = await db().selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('saves an empty draft body (only publishing needs one)', async () => {
    const id = await createPost(db(), author, { title: 'Empty draft', body: '', status: 'draft' }, NOW);
    expect(await postRow(t, id)).toMatchObject({ body_md: '', status: 'draft' });
  });

  it('keeps a post per slug: the title slug gets -2, -3 when taken', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await createPost(db(), author, { title: 'Same Title', body: 'x', status: 'draft' }, NOW));
    const slugs = await Promise.all(ids.map(async (id) => (await postRow(t, id))!.slug));
    expect(slugs).toEqual(['same-title', 'same-title-2', 'same-title-3']);
  });

  it('uses a custom slug, and refuses one already taken with a 422 on slug', async () => {
    const id = await createPost(db(), author, { title: 'Whatever', body: 'x', status: 'draft', slug: 'Custom-Slug' }, NOW);
    expect((await postRow(t, id))!.slug).toBe('custom-slug');
    await expect(createPost(db(), author, { title: 'Other', body: 'x', status: 'draft', slug: 'custom-slug' }, NOW)).rejects.toMatchObject({
      status: 422,
      fields: { slug: expect.stringMatching(/already/) },
    });
  });

  it('gives a non-ASCII title a readable slug', async () => {
    const a = await createPost(db(), author, { title: 'Café des lecteurs', body: 'x', status: 'draft' }, NOW);
    const b = await createPost(db(), author, { title: '图书馆开放时间', body: 'x', status: 'draft' }, NOW);
    expect((await postRow(t, a))!.slug).toBe('cafe-des-lecteurs');
    expect((await postRow(t, b))!.slug).toBe('图书馆开放时间');
  });

  it('derives the excerpt from the body when none is given, as plain text', async () => {
    const body = '## Heading\n\nFirst paragraph with **bold** text.\n\n' + 'More words here. '.repeat(40);
    const id = await createPost(db(), author, { title: 'Excerpt derived', body, status: 'draft' }, NOW);
    const row = (await postRow(t, id))!;
    expect(row.excerpt_md).toBe('');
    expect(row.excerpt.startsWith('Heading First paragraph with bold text.')).toBe(true);
    expect(row.excerpt).not.toContain('<');
    expect(row.excerpt.endsWith('…')).toBe(true);
    expect(row.excerpt.length).toBeLessThanOrEqual(281);
  });

  it('keeps a written excerpt', async () => {
    const id = await createPost(db(), author, { title: 'Excerpt given', body: 'Long body', excerpt: 'Short *summary*', status: 'draft' }, NOW);
    expect(await postRow(t, id)).toMatchObject({ excerpt_md: 'Short *summary*', excerpt: 'Short *summary*' });
  });

  it('creates categories and tags on the fly and reuses them by slug', async () => {
    const a = await createPost(db(), author, { title: 'Terms A', body: 'x', status: 'draft', categories: ['Events'], tags: ['Story time', 'kids', 'Kids'] }, NOW);
    const b = await createPost(db(), author, { title: 'Terms B', body: 'x', status: 'draft', categories: ['events'], tags: ['story time'] }, NOW);
    expect(await termsOf(a)).toEqual([
      { kind: 'category', name: 'Events', slug: 'events' },
      { kind: 'tag', name: 'kids', slug: 'kids' },
      { kind: 'tag', name: 'Story time', slug: 'story-time' },
    ]);
    expect(await termsOf(b)).toEqual([
      { kind: 'category', name: 'Events', slug: 'events' },
      { kind: 'tag', name: 'Story time', slug: 'story-time' },
    ]);
    const all = await db().selectFrom('terms').select(['kind', 'slug']).where('slug', 'in', ['events', 'kids', 'story-time']).execute();
    expect(all).toHaveLength(3);
  });

  it('stores the comments-open switch', async () => {
    const closed = await createPost(db(), author, { title: 'Closed', body: 'x', status: 'draft', comments_open: false }, NOW);
    const open = await createPost(db(), author, { title: 'Open', body: 'x', status: 'draft' }, NOW);
    expect((await postRow(t, closed))!.comments_open).toBe(0);
    expect((await postRow(t, open))!.comments_open).toBe(1);
  });

  it('sanitizes the stored HTML', async () => {
    const id = await createPost(db(), author, { title: 'XSS', body: 'Hi <script>alert(1)</script><img src=x onerror=alert(2)>', status: 'draft' }, NOW);
    const row = (await postRow(t, id))!;
    expect(row.body_md).toContain('<script>');
    expect(row.body_html).not.toMatch(/<script|onerror|alert/);
  });
});

describe('updatePostById', () => {
  it('changes only what is given and keeps the slug and terms', async () => {
    const id = await createPost(db(), author, { title: 'Original', body: 'old', status: 'draft', tags: ['keep'] }, NOW);
    await updatePostById(db(), author, id, { body: 'new **body**' }, later(1000));
    const row = (await postRow(t, id))!;
    expect(row).toMatchObject({ title: 'Original', slug: 'original', body_md: 'new **body**', updated_at: later(1000).toISOString() });
    expect(row.body_html).toContain('<strong>body</strong>');
    expect(row.excerpt).toBe('new body');
    expect(await termsOf(id)).toEqual([{ kind: 'tag', name: 'keep', slug: 'keep' }]);
  });

  it('does not change the slug when the title changes, but takes an edited one', async () => {
    const id = await createPost(db(), author, { title: 'Slug stays', body: 'x', status: 'draft' }, NOW);
    await updatePostById(db(), author, id, { title: 'A new title' }, NOW);
    expect((await postRow(t, id))!.slug).toBe('slug-stays');
    await updatePostById(db(), author, id, { slug: 'edited-slug' }, NOW);
    expect((await postRow(t, id))!.slug).toBe('edited-slug');
    // Saving again with its own slug is not a clash.
    await updatePostById(db(), author, id, { slug: 'edited-slug', title: 'Again' }, NOW);
    expect((await postRow(t, id))!.slug).toBe('edited-slug');
  });

  it('refuses a slug another post has', async () => {
    await createPost(db(), author, { title: 'Holder', body: 'x', status: 'draft', slug: 'held-slug' }, NOW);
    const id = await createPost(db(), author, { title: 'Wants it', body: 'x', status: 'draft' }, NOW);
    await expect(updatePostById(db(), author, id, { slug: 'held-slug' }, NOW)).rejects.toMatchObject({ status: 422, fields: { slug: expect.any(String) } });
    expect((await postRow(t, id))!.slug).toBe('wants-it');
  });

  it('replaces tags when given, clears them with an empty list', async () => {
    const id = await createPost(db(), author, { title: 'Retag', body: 'x', status: 'draft', tags: ['a1'], categories: ['C1'] }, NOW);
    await updatePostById(db(), author, id, { tags: ['b1', 'b2'] }, NOW);
    expect(await termsOf(id)).toEqual([
      { kind: 'category', name: 'C1', slug: 'c1' },
      { kind: 'tag', name: 'b1', slug: 'b1' },
      { kind: 'tag', name: 'b2', slug: 'b2' },
    ]);
    await updatePostById(db(), author, id, { tags: [], categories: [] }, NOW);
    expect(await termsOf(id)).toEqual([]);
  });

  it('unpublishes back to a draft that the public no longer sees', async () => {
    const id = await createPost(db(), author, { title: 'Up and down', body: 'x', status: 'published' }, NOW);
    await expect(getPublicPost(db(), 'up-and-down', 'post', later(1))).resolves.toMatchObject({ id });
    await updatePostById(db(), author, id, { status: 'draft' }, later(2));
    expect((await postRow(t, id))!.status).toBe('draft');
    await expect(getPublicPost(db(), 'up-and-down', 'post', later(3))).rejects.toMatchObject({ status: 404 });
  });

  it('keeps the first publish date when a published post is edited', async () => {
    const id = await createPost(db(), author, { title: 'Edited later', body: 'x', status: 'published' }, NOW);
    await updatePostById(db(), author, id, { body: 'y', status: 'published' }, later(86_400_000));
    expect((await postRow(t, id))!.published_at).toBe(NOW.toISOString());
  });

  it('keeps a live post visible when it is saved as published with the date cleared', async () => {
    const id = await createPost(db(), author, { title: 'Date cleared', body: 'x', status: 'published' }, NOW);
    await updatePostById(db(), author, id, { status: 'published', published_at: null }, later(1000));
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: NOW.toISOString() });
    await expect(getPublicPost(db(), 'date-cleared', 'post', later(2000))).resolves.toMatchObject({ id });
  });

  it('publishes a scheduled post now when asked to publish with the date cleared', async () => {
    const id = await createPost(db(), author, { title: 'Sched then now', body: 'x', status: 'scheduled', published_at: later(86_400_000).toISOString() }, NOW);
    await updatePostById(db(), author, id, { status: 'published', published_at: null }, later(1000));
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: later(1000).toISOString() });
  });

  it('never leaves a published post without a date', async () => {
    const live = await createPost(db(), author, { title: 'Never dateless', body: 'x', status: 'published' }, NOW);
    const sched = await createPost(db(), author, { title: 'Never dateless 2', body: 'x', status: 'scheduled', published_at: later(60_000).toISOString() }, NOW);
    for (const id of [live, sched]) {
      for (const input of [{ status: 'published', published_at: null }, { status: 'published' }, { body: 'changed' }, { status: 'published', published_at: '' }]) {
        await updatePostById(db(), author, id, input, later(1000));
        const row = (await postRow(t, id))!;
        expect(row.published_at, JSON.stringify(input)).not.toBeNull();
      }
    }
  });

  it('lets an author change only their own posts; editors change anyone’s; patrons nothing', async () => {
    const id = await createPost(db(), author, { title: 'Mine', body: 'x', status: 'draft' }, NOW);
    await expect(updatePostById(db(), otherAuthor, id, { title: 'Hijacked' }, NOW)).rejects.toMatchObject({ status: 403 });
    await expect(updatePostById(db(), patron, id, { title: 'Hijacked' }, NOW)).rejects.toMatchObject({ status: 403 });
    await expect(deletePostById(db(), otherAuthor, id)).rejects.toMatchObject({ status: 403 });
    expect((await postRow(t, id))!.title).toBe('Mine');
    await updatePostById(db(), editor, id, { title: 'Edited by editor' }, NOW);
    expect((await postRow(t, id))!.title).toBe('Edited by editor');
    expect((await postRow(t, id))!.author_id).toBe(author.id);
  });

  it('404s for an unknown post', async () => {
    await expect(updatePostById(db(), editor, 999_999, { title: 'x' }, NOW)).rejects.toMatchObject({ status: 404 });
    await expect(deletePostById(db(), editor, 999_999)).rejects.toMatchObject({ status: 404 });
  });
});

describe('deletePostById', () => {
  it('removes the post and its term links', async () => {
    const id = await createPost(db(), author, { title: 'Goner', body: 'x', status: 'draft', tags: ['gone'] }, NOW);
    await deletePostById(db(), author, id);
    expect(await postRow(t, id)).toBeUndefined();
    expect(await db().selectFrom('post_terms').selectAll().where('post_id', '=', id).execute()).toEqual([]);
  });
});

describe('reading', () => {
  it('hides drafts, future scheduled posts and pages-as-posts; shows a scheduled post once due', async () => {
    const when = later(60_000);
    await createPost(db(), author, { title: 'Read draft', body: 'x', status: 'draft' }, NOW);
    await createPost(db(), author, { title: 'Read scheduled', body: 'x', status: 'scheduled', published_at: when.toISOString() }, NOW);
    await createPost(db(), author, { title: 'Read page', body: 'x', status: 'published', kind: 'page' }, NOW);
    await expect(getPublicPost(db(), 'read-draft', 'post', NOW)).rejects.toMatchObject({ status: 404 });
    await expect(getPublicPost(db(), 'read-scheduled', 'post', NOW)).rejects.toMatchObject({ status: 404 });
    await expect(getPublicPost(db(), 'read-page', 'post', NOW)).rejects.toMatchObject({ status: 404 });
    await expect(getPublicPost(db(), 'read-page', 'page', NOW)).resolves.toMatchObject({ kind: 'page', title: 'Read page' });
    await expect(getPublicPost(db(), 'read-scheduled', 'post', when)).resolves.toMatchObject({ title: 'Read scheduled' });
    await expect(getPublicPost(db(), 'no-such-post', 'post', NOW)).rejects.toMatchObject({ status: 404 });
  });
});

describe('listPublicPosts', () => {
  it('pages through visible posts newest first with the total', async () => {
    const local = await buildTestApp();
    try {
      const a = await makeUser(local, 'author');
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      for (let i = 0; i < 12; i++) {
        await createPost(local.db.kysely, a, { title: `P${i}`, body: 'x', status: 'published', published_at: new Date(base + i * 60_000).toISOString() }, NOW);
      }
      await createPost(local.db.kysely, a, { title: 'Hidden draft', body: 'x', status: 'draft' }, NOW);
      await createPost(local.db.kysely, a, { title: 'A page', body: 'x', status: 'published', kind: 'page' }, NOW);
      const first = await listPublicPosts(local.db.kysely, {}, 1, 5, NOW);
      expect(first).toMatchObject({ page: 1, perPage: 5, total: 12, pages: 3 });
      expect(first.posts.map((p) => p.title)).toEqual(['P11', 'P10', 'P9', 'P8', 'P7']);
      const last = await listPublicPosts(local.db.kysely, {}, 3, 5, NOW);
      expect(last.posts.map((p) => p.title)).toEqual(['P1', 'P0']);
      const authorOnly = await listPublicPosts(local.db.kysely, { authorId: a.id }, 1, 50, NOW);
      expect(authorOnly.total).toBe(12);
    } finally {
      await local.close();
    }
  });
});

describe('parseTermList', () => {
  it.each([
    ['Events, Story time', ['Events', 'Story time']],
    [' a ,, b , A ', ['a', 'b']],
    [['x', ' y  z ', ''], ['x', 'y z']],
    ['', []],
    [undefined, []],
  ])('%j → %j', (input, out) => {
    expect(parseTermList(input)).toEqual(out);
  });
});
