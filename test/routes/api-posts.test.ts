import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPost, apiToken, buildTestApp, makeUser, postRow, type TestApp } from '../helpers/app.js';
import { sha256 } from '../../server/services/tokens.js';
import { updateProfile } from '../../server/services/users.js';
import type { User } from '../../server/db/schema.js';

let t: TestApp;
let author: { user: User; token: string; headers: Record<string, string> };
let otherAuthor: { user: User; token: string; headers: Record<string, string> };
let editor: { user: User; token: string; headers: Record<string, string> };

beforeAll(async () => {
  t = await buildTestApp();
  author = await apiToken(t, 'author');
  otherAuthor = await apiToken(t, 'author');
  editor = await apiToken(t, 'editor');
});
afterAll(() => t.close());

const api = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
  t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });

const expectEnvelope = (res: { statusCode: number; json: () => any }, status: number, code: string) => {
  expect(res.statusCode).toBe(status);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual({ code, message: expect.any(String), fields: expect.any(Object) });
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error as { code: string; message: string; fields: Record<string, string> };
};

describe('GET /api/v1/posts', () => {
  it('lists published posts only, in the documented shape', async () => {
    const local = await buildTestApp();
    try {
      const a = await makeUser(local, 'author', { username: 'writer', display_name: 'Wren Writer' });
      await addPost(local, a, {
        title: 'Listed',
        body: 'Hello **there**.',
        published_at: '2026-01-02T03:04:05.000Z',
        tags: ['Kids'],
        categories: ['Events'],
      });
      await addPost(local, a, { title: 'Draft', status: 'draft' });
      await addPost(local, a, { title: 'Later', status: 'scheduled', published_at: new Date(Date.now() + 86_400_000).toISOString() });
      await addPost(local, a, { title: 'A page', kind: 'page' });
      const res = await local.app.inject('/api/v1/posts');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json();
      expect(body).toEqual({
        posts: [
          {
            id: expect.any(Number),
            slug: 'listed',
            title: 'Listed',
            excerpt: 'Hello there.',
            author: { username: 'writer', display_name: 'Wren Writer' },
            published_at: '2026-01-02T03:04:05.000Z',
            tags: ['Kids'],
            categories: ['Events'],
            comment_count: 0,
            is_question: false,
          },
        ],
        page: 1,
        total: 1,
      });
      // No email, password hash or Markdown source leaks into the public list.
      expect(res.body).not.toMatch(/email|password|body_md|scrypt/);
    } finally {
      await local.close();
    }
  });

  it('pages by 10 with ?page=N, newest first', async () => {
    const local = await buildTestApp();
    try {
      const a = await makeUser(local, 'author');
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      for (let i = 1; i <= 13; i++) await addPost(local, a, { title: `N${i}`, published_at: new Date(base + i * 1000).toISOString() });
      const one = (await local.app.inject('/api/v1/posts')).json();
      expect(one.posts).toHaveLength(10);
      expect(one.posts[0].title).toBe('N13');
      expect(one).toMatchObject({ page: 1, total: 13 });
      const two = (await local.app.inject('/api/v1/posts?page=2')).json();
      expect(two.posts.map((p: { title: string }) => p.title)).toEqual(['N3', 'N2', 'N1']);
      expect(two).toMatchObject({ page: 2, total: 13 });
      const bad = await local.app.inject('/api/v1/posts?page=abc');
      expect(expectEnvelope(bad, 422, 'validation_failed').fields).toHaveProperty('page');
    } finally {
      await local.close();
    }
  });
});

describe('GET /api/v1/posts/:slug', () => {
  it('returns the post with its HTML and the comment list', async () => {
    await updateProfile(t.db.kysely, author.user.id, { display_name: 'Ann Author', bio: 'Bio' });
    await addPost(t, author.user, { title: 'Single', body: '# Head\n\n<script>x</script>', tags: ['t'], published_at: '2026-02-02T00:00:00.000Z' });
    const res = await api('GET', '/posts/single');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.post).toMatchObject({
      id: expect.any(Number),
      slug: 'single',
      title: 'Single',
      excerpt: 'Head',
      author: { username: author.user.username, display_name: 'Ann Author' },
      published_at: '2026-02-02T00:00:00.000Z',
      tags: ['t'],
      categories: [],
      comment_count: 0,
      html: '<h1>Head</h1>\n',
    });
    expect(body.comments).toEqual([]);
    expect(res.body).not.toMatch(/email|password/);
  });

  it('404s drafts, scheduled posts, pages and unknown slugs in the envelope', async () => {
    await addPost(t, author.user, { title: 'Api draft', status: 'draft' });
    await addPost(t, author.user, { title: 'Api later', status: 'scheduled', published_at: new Date(Date.now() + 3600_000).toISOString() });
    await addPost(t, author.user, { title: 'Api page', kind: 'page' });
    for (const slug of ['api-draft', 'api-later', 'api-page', 'never-was']) {
      expectEnvelope(await api('GET', `/posts/${slug}`), 404, 'not_found');
    }
    // Even with a staff token, the public read shows only what is public.
    expectEnvelope(await api('GET', '/posts/api-draft', editor.headers), 404, 'not_found');
  });
});

describe('POST /api/v1/posts', () => {
  it('creates a post with a bearer token: 201, the stored row and the staff view', async () => {
    const res = await api('POST', '/posts', author.headers, {
      title: 'From the API',
      body: '## Hello\n\n- one\n- two',
      status: 'published',
      tags: ['api', 'automation'],
      categories: ['News'],
      comments_open: false,
    });
    expect(res.statusCode).toBe(201);
    const { post } = res.json();
    expect(post).toMatchObject({
      id: expect.any(Number),
      slug: 'from-the-api',
      title: 'From the API',
      status: 'published',
      kind: 'post',
      body: '## Hello\n\n- one\n- two',
      comments_open: false,
      tags: ['api', 'automation'],
      categories: ['News'],
      author: { username: author.user.username },
    });
    expect(post.html).toContain('<h2>Hello</h2>');
    const row = await postRow(t, post.id);
    expect(row).toMatchObject({ author_id: author.user.id, title: 'From the API', status: 'published', comments_open: 0, slug: 'from-the-api' });
    expect(row!.body_html).toContain('<li>one</li>');
    expect((await api('GET', '/posts/from-the-api')).statusCode).toBe(200);
  });

  it('creates a draft and a scheduled post', async () => {
    const draft = await api('POST', '/posts', author.headers, { title: 'Api draft 2', body: '', status: 'draft' });
    expect(draft.statusCode).toBe(201);
    expect(draft.json().post).toMatchObject({ status: 'draft', published_at: null });
    const when = new Date(Date.now() + 86_400_000).toISOString();
    const sched = await api('POST', '/posts', author.headers, { title: 'Api scheduled', body: 'x', status: 'scheduled', published_at: when });
    expect(sched.statusCode).toBe(201);
    expect(sched.json().post).toMatchObject({ status: 'scheduled', published_at: when });
    expectEnvelope(await api('GET', '/posts/api-scheduled'), 404, 'not_found');
  });

  it('refuses a missing token with 401 in the envelope', async () => {
    const res = await api('POST', '/posts', {}, { title: 'x', body: 'x', status: 'draft' });
    expectEnvelope(res, 401, 'unauthorized');
  });

  it.each([
    ['an unknown token', 'Bearer lct_unknown'],
    ['a malformed header', 'Token abc'],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401', async (_name, authorization) => {
    const res = await api('POST', '/posts', { authorization }, { title: 'x', body: 'x', status: 'draft' });
    expectEnvelope(res, 401, 'unauthorized');
  });

  it('refuses a revoked token with 401', async () => {
    const { user, token, headers } = await apiToken(t, 'editor');
    await t.db.kysely.updateTable('api_tokens').set({ revoked_at: new Date().toISOString() }).where('user_id', '=', user.id).execute();
    expect(token).toBeTruthy();
    expectEnvelope(await api('POST', '/posts', headers, { title: 'x', body: 'x', status: 'draft' }), 401, 'unauthorized');
    // A bad token is refused even on a public read, rather than silently ignored.
    expectEnvelope(await api('GET', '/posts', headers), 401, 'unauthorized');
  });

  it('refuses a patron’s token with 403', async () => {
    // Tokens are for staff; a patron can still hold one from before a demotion.
    const { user, headers } = await apiToken(t, 'author');
    await t.db.kysely.updateTable('users').set({ role: 'patron' }).where('id', '=', user.id).execute();
    const before = (await t.db.kysely.selectFrom('posts').select('id').execute()).length;
    expectEnvelope(await api('POST', '/posts', headers, { title: 'x', body: 'x', status: 'draft' }), 403, 'forbidden');
    expect((await t.db.kysely.selectFrom('posts').select('id').execute()).length).toBe(before);
  });

  it('refuses a session cookie without a token (the API takes bearer tokens)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/posts', cookies: { lectern_session: 'x' }, payload: { title: 'x', body: 'x', status: 'draft' } });
    expectEnvelope(res, 401, 'unauthorized');
  });

  it.each([
    ['a missing title', { body: 'x', status: 'draft' }, 'title'],
    ['a missing status', { title: 'x', body: 'x' }, 'status'],
    ['a wrong status', { title: 'x', body: 'x', status: 'live' }, 'status'],
    ['a wrong kind', { title: 'x', body: 'x', status: 'draft', kind: 'essay' }, 'kind'],
    ['tags that are not a list', { title: 'x', body: 'x', status: 'draft', tags: { a: 1 } }, 'tags'],
    ['comments_open that is not a boolean', { title: 'x', body: 'x', status: 'draft', comments_open: 'maybe' }, 'comments_open'],
    ['an object for a title', { title: { text: 'x' }, body: 'x', status: 'draft' }, 'title'],
    ['an empty title', { title: '   ', body: 'x', status: 'draft' }, 'title'],
    ['a taken slug', { title: 'x', body: 'x', status: 'draft', slug: 'from-the-api' }, 'slug'],
    ['a bad slug', { title: 'x', body: 'x', status: 'draft', slug: 'Bad Slug' }, 'slug'],
    ['a schedule without a date', { title: 'x', body: 'x', status: 'scheduled' }, 'published_at'],
    ['an unreadable date', { title: 'x', body: 'x', status: 'scheduled', published_at: 'soon' }, 'published_at'],
  ])('refuses %s with 422 naming the field', async (_name, payload, field) => {
    const before = (await t.db.kysely.selectFrom('posts').select('id').execute()).length;
    const res = await api('POST', '/posts', author.headers, payload);
    const error = expectEnvelope(res, 422, 'validation_failed');
    expect(error.fields).toHaveProperty(field);
    expect(typeof error.fields[field]).toBe('string');
    expect((await t.db.kysely.selectFrom('posts').select('id').execute()).length).toBe(before);
  });

  it('refuses malformed JSON with 400 in the envelope', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: { ...author.headers, 'content-type': 'application/json' }, payload: '{"title":' });
    expectEnvelope(res, 400, 'bad_request');
  });

  it('refuses a body over 1 MiB with 413 in the envelope', async () => {
    const res = await api('POST', '/posts', author.headers, { title: 'Huge', body: 'x'.repeat(1024 * 1024 + 10), status: 'draft' });
    expectEnvelope(res, 413, 'payload_too_large');
    expect(await t.db.kysely.selectFrom('posts').select('id').where('title', '=', 'Huge').executeTakeFirst()).toBeUndefined();
  });

  it('ignores ids, statuses and counts a client may not set', async () => {
    const res = await api('POST', '/posts', author.headers, { title: 'Sneaky', body: 'x', status: 'draft', id: 424242, comment_count: 99, author_id: editor.user.id });
    // Unknown fields are either refused or dropped; never stored.
    if (res.statusCode === 201) {
      const row = (await postRow(t, res.json().post.id))!;
      expect(row.id).not.toBe(424242);
      expect(row.comment_count).toBe(0);
      expect(row.author_id).toBe(author.user.id);
    } else {
      expect(res.statusCode).toBe(422);
    }
  });
});

describe('PATCH /api/v1/posts/:id', () => {
  it('lets an author change their own post', async () => {
    const id = await addPost(t, author.user, { title: 'Patch me', status: 'draft' });
    const res = await api('PATCH', `/posts/${id}`, author.headers, { title: 'Patched', status: 'published', tags: ['new'] });
    expect(res.statusCode).toBe(200);
    expect(res.json().post).toMatchObject({ id, title: 'Patched', status: 'published', tags: ['new'], slug: 'patch-me' });
    expect(await postRow(t, id)).toMatchObject({ title: 'Patched', status: 'published' });
    expect((await api('GET', '/posts/patch-me')).statusCode).toBe(200);
  });

  it('refuses an author changing another’s post with 403; an editor may', async () => {
    const id = await addPost(t, otherAuthor.user, { title: 'Other’s post' });
    expectEnvelope(await api('PATCH', `/posts/${id}`, author.headers, { title: 'Hijack' }), 403, 'forbidden');
    expect((await postRow(t, id))!.title).toBe('Other’s post');
    const res = await api('PATCH', `/posts/${id}`, editor.headers, { title: 'Fixed typo' });
    expect(res.statusCode).toBe(200);
    expect(await postRow(t, id)).toMatchObject({ title: 'Fixed typo', author_id: otherAuthor.user.id });
  });

  it('unpublishes with status draft', async () => {
    const id = await addPost(t, author.user, { title: 'Api unpublish' });
    expect((await api('GET', '/posts/api-unpublish')).statusCode).toBe(200);
    expect((await api('PATCH', `/posts/${id}`, author.headers, { status: 'draft' })).statusCode).toBe(200);
    expectEnvelope(await api('GET', '/posts/api-unpublish'), 404, 'not_found');
  });

  it('validates: an empty patch, a wrong status and a bad id', async () => {
    const id = await addPost(t, author.user, { title: 'Validate patch' });
    expectEnvelope(await api('PATCH', `/posts/${id}`, author.headers, {}), 422, 'validation_failed');
    expect(expectEnvelope(await api('PATCH', `/posts/${id}`, author.headers, { status: 'gone' }), 422, 'validation_failed').fields).toHaveProperty('status');
    expect(expectEnvelope(await api('PATCH', `/posts/${id}`, author.headers, { title: '' }), 422, 'validation_failed').fields).toHaveProperty('title');
    expect(expectEnvelope(await api('PATCH', '/posts/abc', author.headers, { title: 'x' }), 422, 'validation_failed').fields).toHaveProperty('id');
    expectEnvelope(await api('PATCH', '/posts/999999', author.headers, { title: 'x' }), 404, 'not_found');
  });

  it('needs a token', async () => {
    const id = await addPost(t, author.user, { title: 'Patch no token' });
    expectEnvelope(await api('PATCH', `/posts/${id}`, {}, { title: 'x' }), 401, 'unauthorized');
  });
});

describe('DELETE /api/v1/posts/:id', () => {
  it('deletes with 204, then 404', async () => {
    const id = await addPost(t, author.user, { title: 'Api delete' });
    const res = await api('DELETE', `/posts/${id}`, author.headers);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await postRow(t, id)).toBeUndefined();
    expectEnvelope(await api('GET', '/posts/api-delete'), 404, 'not_found');
    expectEnvelope(await api('DELETE', `/posts/${id}`, author.headers), 404, 'not_found');
  });

  it('refuses another author with 403, no token with 401; an editor may', async () => {
    const id = await addPost(t, otherAuthor.user, { title: 'Api delete other' });
    expectEnvelope(await api('DELETE', `/posts/${id}`, author.headers), 403, 'forbidden');
    expectEnvelope(await api('DELETE', `/posts/${id}`), 401, 'unauthorized');
    expect(await postRow(t, id)).toBeDefined();
    expect((await api('DELETE', `/posts/${id}`, editor.headers)).statusCode).toBe(204);
    expect(await postRow(t, id)).toBeUndefined();
  });
});

describe('tokens', () => {
  it('are stored as their sha256, never in clear', async () => {
    const rows = await t.db.kysely.selectFrom('api_tokens').selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const who of [author, otherAuthor, editor]) {
      expect(dump).not.toContain(who.token);
      expect(rows.some((r) => r.token_hash === sha256(who.token))).toBe(true);
    }
  });

  it('record when they were last used', async () => {
    const fresh = await apiToken(t, 'author');
    expect((await api('GET', '/posts', fresh.headers)).statusCode).toBe(200);
    const row = await t.db.kysely.selectFrom('api_tokens').select('last_used_at').where('token_hash', '=', sha256(fresh.token)).executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();
  });
});
