import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { readContentVersion } from '../../server/plugins/page-cache.js';
import { approvedComment, get, likeText, newReader, readerApi, readerForm } from './helpers.js';

/**
 * Likes and the page cache of issue 9: the cached page shows the counts, moves on the very
 * next request after a like, stays put when a like changed nothing, and is served to readers
 * who carry the lectern_reader cookie.
 */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 10_000 });
});
afterAll(() => t.close());

async function warm(url: string, cookies: Record<string, string> = {}) {
  await get(t, url, cookies);
  const res = await get(t, url, cookies);
  expect(res.headers['x-page-cache']).toBe('hit');
  return res;
}

describe('likes on cached pages', () => {
  it('shows a new like on the next request, and leaves the page stored when a like changes nothing', async () => {
    const post = await publishPost(t, { title: 'Cached and liked' });
    const comment = await approvedComment(t, post.slug, 'Helping me find books.');
    const url = `/posts/${post.slug}`;
    await warm(url);
    await warm(`/api/v1/posts/${post.slug}`);

    const reader = newReader();
    await readerForm(t, reader, `/posts/${post.slug}/like`);
    const after = await get(t, url);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(likeText(after.body, 'post-likes')).toBe('1 person likes this');
    expect((await get(t, `/api/v1/posts/${post.slug}`)).json().post.like_count).toBe(1);

    // The reader's cookie does not make the page personal: they get the stored page.
    const theirs = await warm(url, reader.cookies);
    expect(likeText(theirs.body, 'post-likes')).toBe('1 person likes this');

    // The same browser again: no row, no bump, the stored page stays.
    const version = await readContentVersion(t.db);
    await readerForm(t, reader, `/posts/${post.slug}/like`);
    await readerApi(t, reader, 'POST', `/api/v1/posts/${post.slug}/like`);
    await readerApi(t, newReader(), 'DELETE', `/api/v1/comments/${comment}/like`);
    expect(await readContentVersion(t.db)).toBe(version);
    expect((await get(t, url)).headers['x-page-cache']).toBe('hit');

    await readerApi(t, reader, 'POST', `/api/v1/comments/${comment}/like`);
    const commentLiked = await get(t, url);
    expect(commentLiked.headers['x-page-cache']).toBe('miss');
    expect(likeText(commentLiked.body, `likes-${comment}`)).toBe('1 person likes this');

    await warm(url);
    await readerForm(t, reader, `/posts/${post.slug}/like`, { action: 'unlike' });
    const unliked = await get(t, url);
    expect(unliked.headers['x-page-cache']).toBe('miss');
    expect(likeText(unliked.body, 'post-likes')).toBe('');
  });

  it('never stores the page that shows one reader their own likes', async () => {
    const post = await publishPost(t);
    const reader = newReader();
    await readerForm(t, reader, `/posts/${post.slug}/like`);
    for (let i = 0; i < 2; i++) {
      const mine = await get(t, `/posts/${post.slug}?liked=1`, reader.cookies);
      expect(mine.headers['x-page-cache']).toBeUndefined();
      expect(mine.body).toContain('aria-pressed="true"');
    }
    const shared = await get(t, `/posts/${post.slug}`);
    expect(shared.body).not.toContain('aria-pressed="true"');
  });
});
