import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { createPost } from '../../server/services/posts.js';
import { readContentVersion } from '../../server/plugins/page-cache.js';

/**
 * The page cache of issue 9: anonymous readers get stored pages, and every write a page can
 * show takes effect on the very next request, on this instance and on another one sharing
 * the database.
 */
let t: TestApp;
let other: TestApp;
let editor: Awaited<ReturnType<typeof apiToken>>;
let post: { id: number; slug: string };

const get = (app: TestApp, url: string, headers: Record<string, string> = {}, cookies: Record<string, string> = {}) =>
  app.app.inject({ method: 'GET', url, headers, cookies });

async function comment(body: string, email = 'pat@example.org', slug = post.slug) {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, payload: { name: 'Pat Reader', email, body } });
  expect(res.statusCode).toBe(201);
  return res.json().comment as { id: number; status: string };
}

async function moderate(id: number, status: string) {
  const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}`, headers: editor.headers, payload: { status } });
  expect(res.statusCode).toBe(200);
}

/** Loads a page twice, so the second answer comes from the cache. */
async function warm(app: TestApp, url: string) {
  await get(app, url);
  const res = await get(app, url);
  expect(res.headers['x-page-cache']).toBe('hit');
  return res;
}

beforeAll(async () => {
  t = await buildTestApp();
  other = await buildTestApp({ DATABASE_URL: t.config.databaseUrl });
  editor = await apiToken(t, 'editor');
  post = await publishPost(t, { title: 'What makes good customer service?', body: 'Tell us what you think.' });
});

afterAll(async () => {
  await other?.close();
  await t?.close();
});

describe('the page cache', () => {
  it('serves the post page to anonymous readers from memory, with an ETag and a 304', async () => {
    const first = await get(t, `/posts/${post.slug}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers['x-page-cache']).toBe('miss');
    const second = await get(t, `/posts/${post.slug}`);
    expect(second.headers['x-page-cache']).toBe('hit');
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toMatch(/^text\/html/);
    expect(second.headers['cache-control']).toBe('public, max-age=0, must-revalidate');
    expect(second.headers.vary).toMatch(/cookie/i);
    expect(second.headers['content-security-policy']).toBeDefined();
    expect(second.headers.etag).toBe(first.headers.etag);
    const revalidated = await get(t, `/posts/${post.slug}`, { 'if-none-match': String(first.headers.etag) });
    expect(revalidated.statusCode).toBe(304);
    expect(revalidated.body).toBe('');
    const head = await t.app.inject({ method: 'HEAD', url: `/posts/${post.slug}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers['x-page-cache']).toBe('hit');
  });

  it('shows a comment on the same page right after a moderator approves it', async () => {
    const before = await warm(t, `/posts/${post.slug}`);
    const held = await comment('A first-time comment about the opening hours.');
    expect(held.status).toBe('pending');
    // A held comment changes no public page: the stored page stays.
    expect((await get(t, `/posts/${post.slug}`)).headers['x-page-cache']).toBe('hit');
    await moderate(held.id, 'approved');
    const after = await get(t, `/posts/${post.slug}`);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(after.body).toContain(`id="comment-${held.id}"`);
    expect(after.body).toContain('1 Response to');
    expect(after.headers.etag).not.toBe(before.headers.etag);
    // The API and the home page's count move with it.
    expect((await get(t, `/api/v1/posts/${post.slug}`)).json().comments.map((c: { id: number }) => c.id)).toContain(held.id);
  });

  it('shows a comment that goes live at once (approved commenter) on the next request', async () => {
    await warm(t, `/posts/${post.slug}`);
    await warm(t, `/api/v1/posts/${post.slug}`);
    const live = await comment('Thank you for the late opening on Thursdays.');
    expect(live.status).toBe('approved');
    expect((await get(t, `/posts/${post.slug}`)).body).toContain(`id="comment-${live.id}"`);
    expect((await get(t, `/api/v1/posts/${post.slug}`)).json().comments.map((c: { id: number }) => c.id)).toContain(live.id);
  });

  it('shows a post edit, a settings change, spam and deletions at once', async () => {
    await warm(t, `/posts/${post.slug}`);
    await warm(t, '/');
    const edit = await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: editor.headers, payload: { body: 'Edited: **tell us** more.' } });
    expect(edit.statusCode).toBe(200);
    expect((await get(t, `/posts/${post.slug}`)).body).toContain('Edited: <strong>tell us</strong> more.');

    await warm(t, '/');
    await setSettings(t, { site_name: 'Springfield Library' });
    expect((await get(t, '/')).body).toContain('Springfield Library');

    const victim = await comment('Cheap watches here, trust me.');
    const page = await get(t, `/posts/${post.slug}`);
    expect(page.body).toContain(`id="comment-${victim.id}"`);
    await warm(t, `/posts/${post.slug}`);
    await moderate(victim.id, 'spam');
    expect((await get(t, `/posts/${post.slug}`)).body).not.toContain(`id="comment-${victim.id}"`);

    await moderate(victim.id, 'approved');
    await warm(t, `/posts/${post.slug}`);
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${victim.id}`, headers: editor.headers });
    expect(del.statusCode).toBe(204);
    expect((await get(t, `/posts/${post.slug}`)).body).not.toContain(`id="comment-${victim.id}"`);

    const doomed = await publishPost(t, { title: 'A post about to go' });
    await warm(t, `/posts/${doomed.slug}`);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/posts/${doomed.id}`, headers: editor.headers })).statusCode).toBe(204);
    expect((await get(t, `/posts/${doomed.slug}`)).statusCode).toBe(404);
  });

  it('never gives a signed-in reader a stored page, nor stores theirs', async () => {
    await warm(t, `/posts/${post.slug}`);
    const patron = await makeUser(t, 'editor');
    const session = await startSession(t.db.kysely, patron.id);
    const res = await get(t, `/posts/${post.slug}`, {}, { lectern_session: session });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-page-cache']).toBeUndefined();
    expect(res.headers['cache-control']).toMatch(/private|no-store/);
    expect(res.body).toContain('Commenting as');
    expect(res.body).toContain('name="_csrf"');
    // The anonymous page never carries that reader's form or token.
    const anonymous = await get(t, `/posts/${post.slug}`);
    expect(anonymous.body).not.toContain('Commenting as');
    expect(anonymous.body).not.toContain('name="_csrf"');
    // An API token is a signed-in reader too.
    const api = await get(t, `/api/v1/posts/${post.slug}`, editor.headers);
    expect(api.headers['x-page-cache']).toBeUndefined();
  });

  it('never caches a page for a visitor with held comments or a remembered name', async () => {
    await warm(t, `/posts/${post.slug}`);
    const form = await t.app.inject({
      method: 'POST',
      url: `/posts/${post.slug}/comments`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ name: 'Sam', email: 'sam-new@example.org', body: 'Held for now, I expect.', remember: 'on' }).toString(),
    });
    expect(form.statusCode).toBe(303);
    const cookies: Record<string, string> = {};
    for (const c of form.cookies as { name: string; value: string }[]) cookies[c.name] = c.value;
    expect(cookies.lectern_own).toBeDefined();
    const heldId = /held=(\d+)/.exec(String(form.headers.location))![1];
    const own = await get(t, `/posts/${post.slug}?held=${heldId}`, {}, { lectern_own: cookies.lectern_own! });
    expect(own.headers['x-page-cache']).toBeUndefined();
    expect(own.body).toContain('awaiting moderation');
    const ownNoQuery = await get(t, `/posts/${post.slug}`, {}, { lectern_own: cookies.lectern_own! });
    expect(ownNoQuery.headers['x-page-cache']).toBeUndefined();
    expect(ownNoQuery.body).toContain('awaiting moderation');
    const remembered = await get(t, `/posts/${post.slug}`, {}, { lectern_commenter: cookies.lectern_commenter! });
    expect(remembered.headers['x-page-cache']).toBeUndefined();
    expect(remembered.body).toContain('value="Sam"');
    // Nobody else sees it.
    const anonymous = await get(t, `/posts/${post.slug}`);
    expect(anonymous.body).not.toContain('awaiting moderation');
    expect(anonymous.body).not.toContain('value="Sam"');
  });

  it('leaves pages with other query strings, and other routes, alone', async () => {
    const reply = await get(t, `/posts/${post.slug}?replytocom=1`);
    expect(reply.headers['x-page-cache']).toBeUndefined();
    await get(t, '/?page=1');
    expect((await get(t, '/?page=1')).headers['x-page-cache']).toBe('hit');
    expect((await get(t, '/healthz')).headers['x-page-cache']).toBeUndefined();
    expect((await get(t, '/posts/no-such-post')).headers['x-page-cache']).toBeUndefined();
    expect((await get(t, '/posts/no-such-post')).statusCode).toBe(404);
  });

  it('shows a scheduled post the moment its time comes, with no write', async () => {
    const author = await makeUser(t, 'author');
    const at = new Date(Date.now() + 1500);
    await createPost(t.db.kysely, author, { title: 'Story time returns', body: 'Every Tuesday.', status: 'scheduled', published_at: at.toISOString() });
    const before = await warm(t, '/');
    expect(before.body).not.toContain('Story time returns');
    await new Promise((r) => setTimeout(r, at.getTime() - Date.now() + 50));
    expect((await get(t, '/')).body).toContain('Story time returns');
  });

  it('keeps a second instance over the same database in step', async () => {
    await warm(other, `/posts/${post.slug}`);
    await warm(t, `/posts/${post.slug}`);
    const version = await readContentVersion(t.db);
    // Written through the first instance; the second has never seen the write.
    const live = await comment('Seen everywhere at once.');
    expect(live.status).toBe('approved');
    expect(await readContentVersion(other.db)).toBeGreaterThan(version);
    const there = await get(other, `/posts/${post.slug}`);
    expect(there.headers['x-page-cache']).toBe('miss');
    expect(there.body).toContain(`id="comment-${live.id}"`);
    await warm(other, '/');
    await setSettings(t, { tagline: 'Open late on Thursdays' });
    expect((await get(other, '/')).body).toContain('Open late on Thursdays');
    await warm(other, `/posts/${post.slug}`);
    await moderate(live.id, 'spam');
    expect((await get(other, `/posts/${post.slug}`)).body).not.toContain(`id="comment-${live.id}"`);
  });
});
