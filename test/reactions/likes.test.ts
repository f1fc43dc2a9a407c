import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, signIn, postForm, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { LIKE_LIMITS } from '../../server/services/likes.js';
import { approvedComment, get, likeText, newReader, readerApi, readerForm } from './helpers.js';

/**
 * Likes (issue 11): once per browser, no account, no third-party script; through the pages
 * without JavaScript and through the JSON API.
 */
let t: TestApp;
let moderator: Awaited<ReturnType<typeof apiToken>>;

beforeAll(async () => {
  t = await buildTestApp();
  moderator = await apiToken(t, 'editor');
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 10_000, hold_links: 0 });
});
afterAll(() => t.close());

const likeRows = (postId: number) => t.db.kysely.selectFrom('likes').selectAll().where('post_id', '=', postId).orderBy('id').execute();

describe('liking a post through the page, without JavaScript', () => {
  it('shows a real form button, counts one like per browser, and answers with the page at the same place', async () => {
    const post = await publishPost(t, { title: 'Story time on Saturdays' });
    const page = await get(t, `/posts/${post.slug}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<form method="post" action="/posts/${post.slug}/like" class="like" id="post-likes"`);
    expect(page.body).toMatch(/<button type="submit" class="like__button" aria-pressed="false"[^>]*>.*Like<span class="visually-hidden"> this post<\/span><\/button>/);
    expect(likeText(page.body, 'post-likes')).toBe('');
    // No third-party script: only the site's own files.
    expect(page.body).toContain('<script src="/static/js/reactions.js" defer></script>');
    expect(page.body).not.toMatch(/<script src="(?!\/static\/)/);

    const reader = newReader();
    const first = await readerForm(t, reader, `/posts/${post.slug}/like`, { action: 'like' });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`/posts/${post.slug}?liked=1#post-likes`);
    const cookie = (first.cookies as { name: string; value: string; httpOnly?: boolean; sameSite?: string; maxAge?: number }[]).find((c) => c.name === 'lectern_reader')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Lax');
    expect(cookie.maxAge).toBeGreaterThan(365 * 24 * 3600);
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{22}$/);

    // Stored as keyed hashes only: neither the cookie value nor the address.
    const rows = await likeRows(post.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ comment_id: null });
    expect(rows[0]!.reader_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(rows[0]!.reader_hash).not.toContain(cookie.value);
    expect(rows[0]!.ip_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(rows)).not.toContain(reader.ip);

    expect(likeText((await get(t, `/posts/${post.slug}`)).body, 'post-likes')).toBe('1 person likes this');

    // The same browser again: still one.
    const again = await readerForm(t, reader, `/posts/${post.slug}/like`, { action: 'like' });
    expect(again.statusCode).toBe(303);
    expect(await likeRows(post.id)).toHaveLength(1);
    expect(likeText((await get(t, `/posts/${post.slug}`)).body, 'post-likes')).toBe('1 person likes this');

    // Another browser counts.
    await readerForm(t, newReader(), `/posts/${post.slug}/like`);
    expect(likeText((await get(t, `/posts/${post.slug}`)).body, 'post-likes')).toBe('2 people like this');
  });

  it('shows a reader what they like after a like (a page only they get), and lets them take it back', async () => {
    const post = await publishPost(t, { title: 'New opening hours' });
    const reader = newReader();
    await readerForm(t, reader, `/posts/${post.slug}/like`);
    const mine = await get(t, `/posts/${post.slug}?liked=1`, reader.cookies);
    expect(mine.headers['x-page-cache']).toBeUndefined();
    expect(mine.body).toMatch(/id="post-likes"[^>]*>\s*<input type="hidden" name="action" value="unlike">\s*<button type="submit" class="like__button" aria-pressed="true"/);
    // The shared page never says what one browser likes.
    const shared = await get(t, `/posts/${post.slug}`, reader.cookies);
    expect(shared.body).toContain('aria-pressed="false"');
    expect(shared.body).not.toContain('aria-pressed="true"');

    const back = await readerForm(t, reader, `/posts/${post.slug}/like`, { action: 'unlike' });
    expect(back.statusCode).toBe(303);
    expect(await likeRows(post.id)).toHaveLength(0);
    const after = await get(t, `/posts/${post.slug}?liked=1`, reader.cookies);
    expect(after.body).toContain('aria-pressed="false"');
    expect(likeText(after.body, 'post-likes')).toBe('');
  });

  it('refuses what is not there or not public: unknown post, a page, a draft (404), and a bad action (422)', async () => {
    const reader = newReader();
    expect((await readerForm(t, reader, '/posts/no-such-post/like')).statusCode).toBe(404);
    const author = await apiToken(t, 'author');
    const draft = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: author.headers, payload: { title: 'Secret draft', body: 'x', status: 'draft' } });
    expect((await readerForm(t, reader, `/posts/${draft.json().post.slug}/like`)).statusCode).toBe(404);
    const page = await publishPost(t, { title: 'About the library', kind: 'page' });
    expect((await readerForm(t, reader, `/posts/${page.slug}/like`)).statusCode).toBe(404);
    const post = await publishPost(t);
    const bad = await readerForm(t, reader, `/posts/${post.slug}/like`, { action: 'explode' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Send like or unlike');
    expect(await likeRows(post.id)).toHaveLength(0);
  });

  it('asks a signed-in reader’s form for its CSRF token, as every other form', async () => {
    const post = await publishPost(t);
    const editor = await signIn(t, 'editor');
    const forged = await t.app.inject({
      method: 'POST',
      url: `/posts/${post.slug}/like`,
      cookies: editor.cookies,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'action=like',
    });
    expect(forged.statusCode).toBe(403);
    expect(await likeRows(post.id)).toHaveLength(0);
    // Their page carries the token in the like form.
    const page = await get(t, `/posts/${post.slug}`, editor.cookies);
    expect(page.body).toMatch(/id="post-likes"[^>]*>\s*<input type="hidden" name="_csrf"/);
    const res = await postForm(t, editor, `/posts/${post.slug}/like`, { action: 'like' });
    expect(res.statusCode).toBe(303);
    expect(await likeRows(post.id)).toHaveLength(1);
  });
});

describe('liking a comment', () => {
  it('counts each approved comment on its own, in one query for the page, and goes back to the comment', async () => {
    const post = await publishPost(t, { title: 'What makes good customer service?' });
    const a = await approvedComment(t, post.slug, 'Friendly smiles.', 'Ann');
    const b = await approvedComment(t, post.slug, 'Listening to me.', 'Bo');
    const readers = [newReader(), newReader(), newReader()];
    for (const r of readers) {
      const res = await readerForm(t, r, `/comments/${a}/like`);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/posts/${post.slug}?liked=1#comment-${a}`);
    }
    await readerForm(t, readers[0]!, `/comments/${b}/like`);
    await readerForm(t, readers[0]!, `/comments/${b}/like`);
    const page = (await get(t, `/posts/${post.slug}`)).body;
    expect(likeText(page, `likes-${a}`)).toBe('3 people like this');
    expect(likeText(page, `likes-${b}`)).toBe('1 person likes this');
    expect(likeText(page, 'post-likes')).toBe('');
    expect(page).toContain(`<form method="post" action="/comments/${a}/like" class="like" id="likes-${a}">`);
    expect(page).toContain('Like<span class="visually-hidden"> Ann’s comment</span>');
    const mine = (await get(t, `/posts/${post.slug}?liked=1`, readers[0]!.cookies)).body;
    expect(mine).toMatch(new RegExp(`id="likes-${b}"[^>]*>\\s*<input type="hidden" name="action" value="unlike">`));
  });

  it('gives 404 for a held, unknown or spam comment, and drops likes with their comment', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'all' });
    const held = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Cy', email: 'cy@example.org', body: 'Held one' } });
    await setSettings(t, { moderation: 'none' });
    const heldId = held.json().comment.id as number;
    const reader = newReader();
    expect((await readerForm(t, reader, `/comments/${heldId}/like`)).statusCode).toBe(404);
    expect((await readerApi(t, reader, 'POST', `/api/v1/comments/${heldId}/like`)).statusCode).toBe(404);
    expect((await readerForm(t, reader, '/comments/999999/like')).statusCode).toBe(404);

    const liked = await approvedComment(t, post.slug, 'Liked, then removed.');
    await readerForm(t, reader, `/comments/${liked}/like`);
    expect(await likeRows(post.id)).toHaveLength(1);
    const spam = await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${liked}`, headers: moderator.headers, payload: { status: 'spam' } });
    expect(spam.statusCode).toBe(200);
    expect((await readerForm(t, newReader(), `/comments/${liked}/like`)).statusCode).toBe(404);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${liked}`, headers: moderator.headers });
    expect(del.statusCode).toBe(204);
    expect(await likeRows(post.id)).toHaveLength(0);
  });

  it('gives 404 for a comment in a hidden thread; the post itself can still be liked', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'In a thread about to be hidden.');
    await t.db.kysely.updateTable('posts').set({ discussion_mode: 'hidden' }).where('id', '=', post.id).execute();
    const reader = newReader();
    expect((await readerForm(t, reader, `/comments/${id}/like`)).statusCode).toBe(404);
    expect((await readerApi(t, reader, 'POST', `/api/v1/comments/${id}/reports`, {})).statusCode).toBe(404);
    expect((await readerForm(t, reader, `/posts/${post.slug}/like`)).statusCode).toBe(303);
    expect(await likeRows(post.id)).toEqual([expect.objectContaining({ comment_id: null })]);
  });
});

describe('the likes API', () => {
  it('likes and unlikes a post once per browser, answering the count', async () => {
    const post = await publishPost(t);
    const reader = newReader();
    const first = await readerApi(t, reader, 'POST', `/api/v1/posts/${post.slug}/like`, {});
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ like: { count: 1, liked: true } });
    expect(reader.cookies.lectern_reader).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const again = await readerApi(t, reader, 'POST', `/api/v1/posts/${post.slug}/like`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ like: { count: 1, liked: true } });
    expect((await readerApi(t, newReader(), 'POST', `/api/v1/posts/${post.slug}/like`)).json()).toEqual({ like: { count: 2, liked: true } });
    const off = await readerApi(t, reader, 'DELETE', `/api/v1/posts/${post.slug}/like`);
    expect(off.statusCode).toBe(200);
    expect(off.json()).toEqual({ like: { count: 1, liked: false } });
    expect((await readerApi(t, reader, 'DELETE', `/api/v1/posts/${post.slug}/like`)).json()).toEqual({ like: { count: 1, liked: false } });
    const missing = await readerApi(t, reader, 'POST', '/api/v1/posts/no-such-post/like');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
  });

  it('shows the counts of the post and of every comment, replies included, in GET /api/v1/posts/:slug', async () => {
    const post = await publishPost(t);
    const top = await approvedComment(t, post.slug, 'Top level.');
    const reply = await t.app.inject({
      method: 'POST',
      url: `/api/v1/posts/${post.slug}/comments`,
      payload: { name: 'Dee', email: 'dee@example.org', body: 'A reply.', parent_id: top },
    });
    const replyId = reply.json().comment.id as number;
    const r1 = newReader();
    const r2 = newReader();
    await readerApi(t, r1, 'POST', `/api/v1/posts/${post.slug}/like`);
    await readerApi(t, r1, 'POST', `/api/v1/comments/${replyId}/like`);
    await readerApi(t, r2, 'POST', `/api/v1/comments/${replyId}/like`);
    const body = (await get(t, `/api/v1/posts/${post.slug}`)).json();
    expect(body.post.like_count).toBe(1);
    expect(body.comments[0]).toMatchObject({ id: top, like_count: 0 });
    expect(body.comments[0].replies[0]).toMatchObject({ id: replyId, like_count: 2 });
    const off = await readerApi(t, r2, 'DELETE', `/api/v1/comments/${replyId}/like`);
    expect(off.json()).toEqual({ like: { count: 1, liked: false } });
  });
});

describe('abuse: a script without the cookie', () => {
  it(`holds one address to ${LIKE_LIMITS.perAddressPerTarget} likes of one post, and says so (page and API)`, async () => {
    const post = await publishPost(t);
    const ip = newReader().ip;
    for (let i = 0; i < LIKE_LIMITS.perAddressPerTarget; i++) {
      expect((await readerForm(t, { cookies: {}, ip }, `/posts/${post.slug}/like`)).statusCode).toBe(303);
    }
    const refused = await readerForm(t, { cookies: {}, ip }, `/posts/${post.slug}/like`);
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('60');
    expect(refused.body).toContain('as many likes from your network as one network may give');
    const api = await readerApi(t, { cookies: {}, ip }, 'POST', `/api/v1/posts/${post.slug}/like`);
    expect(api.statusCode).toBe(429);
    expect(api.json().error.code).toBe('rate_limited');
    expect(await likeRows(post.id)).toHaveLength(LIKE_LIMITS.perAddressPerTarget);
    // Another post from that address still takes a like (under the per-minute limit).
    const other = await publishPost(t);
    expect((await readerForm(t, { cookies: {}, ip }, `/posts/${other.slug}/like`)).statusCode).toBe(303);
  });

  it(`holds one address to ${LIKE_LIMITS.perMinute} likes and unlikes a minute across the site`, async () => {
    const post = await publishPost(t);
    const reader = newReader();
    let last = 0;
    for (let i = 0; i < LIKE_LIMITS.perMinute; i++) {
      last = (await readerApi(t, reader, i % 2 ? 'DELETE' : 'POST', `/api/v1/posts/${post.slug}/like`)).statusCode;
      expect(last).toBeLessThan(300);
    }
    const refused = await readerApi(t, reader, 'POST', `/api/v1/posts/${post.slug}/like`);
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.message).toMatch(/Wait a minute/);
    // Another address is not held back.
    expect((await readerApi(t, newReader(), 'POST', `/api/v1/posts/${post.slug}/like`)).statusCode).toBe(201);
  });
});
