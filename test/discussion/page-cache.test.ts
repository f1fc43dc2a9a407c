import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, parseSetCookies, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { readContentVersion } from '../../server/plugins/page-cache.js';

/**
 * What discussion modes and commenters' edits do to the anonymous page cache (issue 9's
 * plugins/page-cache.ts): an edit, a mode change and a category default show on the next
 * request, and a closing date closes the cached page's form at that moment, with no write.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { moderation: 'none', hold_links: 0, comment_rate_per_minute: 10_000 });
});
afterAll(() => t.close());

const get = (url: string, cookies: Record<string, string> = {}) => t.app.inject({ url, cookies });
async function warm(url: string) {
  await get(url);
  const res = await get(url);
  expect(res.headers['x-page-cache']).toBe('hit');
  return res;
}

describe('the page cache and discussions', () => {
  it('shows a commenter’s edit to anonymous readers on the next request', async () => {
    const post = await publishPost(t, { title: 'Cached and edited' });
    const posted = await t.app.inject({
      method: 'POST',
      url: `/posts/${post.slug}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ name: 'Ann', email: 'ann@example.org', body: 'Helpful, every time.' }).toString(),
    });
    const id = Number(/#comment-(\d+)$/.exec(String(posted.headers.location))![1]);
    const cookies = parseSetCookies(posted);
    const before = await warm(`/posts/${post.slug}`);
    expect(before.body).toContain('Helpful, every time.');
    // The owner's page is their own, never from the cache.
    expect((await get(`/posts/${post.slug}`, cookies)).headers['x-page-cache']).toBeUndefined();

    const edited = await t.app.inject({
      method: 'POST',
      url: `/comments/${id}/edit`,
      cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ body: 'Helpful and *kind*, every time.' }).toString(),
    });
    expect(edited.statusCode).toBe(303);
    const after = await get(`/posts/${post.slug}`);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(after.body).toContain('Helpful and <em>kind</em>, every time.');
    expect(after.body).toContain('(edited)');
    expect(after.body).not.toContain(`/comments/${id}/edit`);
  });

  it('moves the content version when only an approved comment’s "edited" marker changes (migration 0082)', async () => {
    const post = await publishPost(t, { title: 'Marker only' });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Bo', email: 'bo@example.org', body: 'Plain.' } });
    const id = res.json().comment.id as number;
    const version = await readContentVersion(t.db);
    await t.db.kysely.updateTable('comments').set({ edited_at: new Date().toISOString() }).where('id', '=', id).execute();
    expect(await readContentVersion(t.db)).toBeGreaterThan(version);
    // A held comment's marker leaves cached pages alone.
    await t.db.kysely.updateTable('comments').set({ status: 'pending' }).where('id', '=', id).execute();
    const held = await readContentVersion(t.db);
    await t.db.kysely.updateTable('comments').set({ edited_at: '2030-01-01T00:00:00.000Z' }).where('id', '=', id).execute();
    expect(await readContentVersion(t.db)).toBe(held);
  });

  it('shows a post’s new mode and a category’s new default at once', async () => {
    const editor = await apiToken(t, 'editor');
    const post = await publishPost(t, { title: 'Mode switch', categories: ['Notices'] });
    expect((await warm(`/posts/${post.slug}`)).body).toContain('id="respond"');
    await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: editor.headers, payload: { discussion_mode: 'closed' } });
    const closed = await get(`/posts/${post.slug}`);
    expect(closed.body).toContain('Comments are closed.');
    expect(closed.body).not.toContain('id="respond"');

    await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: editor.headers, payload: { discussion_mode: null } });
    expect((await warm(`/posts/${post.slug}`)).body).toContain('id="respond"');
    await t.db.kysely.updateTable('terms').set({ discussion_mode: 'hidden' }).where('slug', '=', 'notices').execute();
    const hidden = await get(`/posts/${post.slug}`);
    expect(hidden.headers['x-page-cache']).toBe('miss');
    expect(hidden.body).not.toContain('id="comments"');
  });

  it('stops offering the form on a cached page when comments_close_at passes, with no write', async () => {
    const closeAt = new Date(Date.now() + 1500);
    const post = await publishPost(t, { title: 'Closing soon', comments_close_at: closeAt.toISOString() });
    const before = await warm(`/posts/${post.slug}`);
    expect(before.body).toContain('id="respond"');
    expect(before.body).toContain('Comments close on');
    await new Promise((r) => setTimeout(r, closeAt.getTime() - Date.now() + 50));
    const after = await get(`/posts/${post.slug}`);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(after.body).not.toContain('id="respond"');
    expect(after.body).toContain('Comments closed on');
  });
});
