import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { api, postComment } from './helpers.js';

let t: TestApp;
let post: { id: number; slug: string };
beforeEach(async () => {
  t = await buildTestApp();
  post = await publishPost(t);
});
afterEach(() => t.close());

const notesIn = (id: number) => t.db.kysely.selectFrom('comment_notes').selectAll().where('comment_id', '=', id).orderBy('id').execute();

describe('internal notes through the API', () => {
  it('adds and lists notes with author and time; 422 names the field; authors get 403', async () => {
    const mod = await apiToken(t, 'editor');
    const author = await apiToken(t, 'author');
    const id = await postComment(t, post.slug);

    const added = await api(t, mod.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: '  Regular at the Eastside branch.  ' });
    expect(added.statusCode).toBe(201);
    expect(added.json().note).toMatchObject({ comment_id: id, author: { id: mod.user.id, name: mod.user.display_name }, body: 'Regular at the Eastside branch.' });
    expect(added.json().note.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const empty = await api(t, mod.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: '   ' });
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.fields.body).toBe('Write the note first');
    const long = await api(t, mod.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: 'x'.repeat(2001) });
    expect(long.statusCode).toBe(422);
    expect(long.json().error.fields.body).toMatch(/2,000 characters/);
    expect((await api(t, mod.headers, 'POST', `/api/v1/comments/${id}/notes`, {})).statusCode).toBe(422);

    const listed = await api(t, mod.headers, 'GET', `/api/v1/comments/${id}/notes`);
    expect(listed.json().notes.map((n: { body: string }) => n.body)).toEqual(['Regular at the Eastside branch.']);

    expect((await api(t, author.headers, 'GET', `/api/v1/comments/${id}/notes`)).statusCode).toBe(403);
    expect((await api(t, author.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: 'sneaky' })).statusCode).toBe(403);
    expect((await api(t, mod.headers, 'GET', '/api/v1/comments/999999/notes')).statusCode).toBe(404);
    expect(await notesIn(id)).toHaveLength(1);
  });

  it('never shows notes on public pages or in the public API', async () => {
    await setSettings(t, { moderation: 'none' });
    const mod = await apiToken(t, 'admin');
    const id = await postComment(t, post.slug, { body: 'Public words.' });
    await api(t, mod.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: 'SECRET-STAFF-NOTE' });
    const page = await t.app.inject(`/posts/${post.slug}`);
    expect(page.body).toContain('Public words.');
    expect(page.body).not.toContain('SECRET-STAFF-NOTE');
    const json = await t.app.inject(`/api/v1/posts/${post.slug}`);
    expect(json.body).toContain('Public words.');
    expect(json.body).not.toContain('SECRET-STAFF-NOTE');
    expect((await t.app.inject('/comments/feed.xml')).body).not.toContain('SECRET-STAFF-NOTE');
  });
});

describe('internal notes in the queue', () => {
  it('shows notes under the comment with author and time, and escapes them', async () => {
    const mod = await signIn(t, 'editor');
    const id = await postComment(t, post.slug);
    const res = await postForm(t, mod, `/admin/comments/${id}/notes`, { body: 'Asked <b>Sam</b> to check', return_to: '/admin/comments?status=pending' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/comments?status=pending#q-${id}`);
    const queue = await t.app.inject({ url: '/admin/comments?status=pending', cookies: mod.cookies });
    expect(queue.body).toContain(`${mod.user.display_name}, <time`);
    expect(queue.body).toContain('Asked &lt;b&gt;Sam&lt;/b&gt; to check');
    expect(queue.body).toContain(`<form method="post" action="/admin/comments/${id}/notes"`);
  });

  it('re-renders with the error next to the field and the typed text kept (never a 500)', async () => {
    const mod = await signIn(t, 'editor');
    const id = await postComment(t, post.slug);
    const empty = await postForm(t, mod, `/admin/comments/${id}/notes`, { body: '  ', return_to: '/admin/comments' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('id="body-error"');
    expect(empty.body).toContain('Write the note first');
    const typed = 'y'.repeat(2001);
    const long = await postForm(t, mod, `/admin/comments/${id}/notes`, { body: typed, return_to: '/admin/comments' });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain(`>${typed}</textarea>`);
    expect(long.body).toContain('aria-invalid="true"');
    expect(await notesIn(id)).toHaveLength(0);
    // The page on its own, too.
    const page = await t.app.inject({ url: `/admin/comments/${id}/notes`, cookies: mod.cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('No notes yet.');
  });

  it('refuses authors', async () => {
    const author = await signIn(t, 'author');
    const id = await postComment(t, post.slug);
    expect((await postForm(t, author, `/admin/comments/${id}/notes`, { body: 'hello' })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/admin/comments/${id}/notes`, cookies: author.cookies })).statusCode).toBe(403);
    expect(await notesIn(id)).toHaveLength(0);
  });
});
