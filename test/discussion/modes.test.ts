import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { effectiveDiscussion, strictestMode } from '../../server/services/discussion.js';
import { submitComment } from '../../server/services/comments.js';
import { loadSettings } from '../../server/services/settings.js';
import type { DiscussionMode } from '../../server/db/schema.js';

/**
 * Discussion modes (issue 11): open, signed-in only, pre-moderated, closed and hidden, per
 * post or by category default, and a closing date; through the page, the form and the API.
 */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());
beforeEach(() => setSettings(t, { moderation: 'none', hold_links: 0, comment_rate_per_minute: 10_000, close_after_days: 0, timezone: 'UTC', patron_registration: false }));

const db = () => t.db.kysely;
const stored = (id: number) => db().selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const page = (slug: string, cookies: Record<string, string> = {}) => t.app.inject({ url: `/posts/${slug}`, cookies });

let seq = 0;
function formComment(slug: string, fields: Record<string, string> = {}) {
  seq += 1;
  const params = new URLSearchParams({ name: 'Ann Reader', email: `ann${seq}@example.org`, body: 'Friendly staff, always.', ...fields });
  return t.app.inject({ method: 'POST', url: `/posts/${slug}/comments`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: params.toString() });
}
function apiComment(slug: string, headers: Record<string, string> = {}) {
  seq += 1;
  return t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, headers, payload: { name: 'Api Reader', email: `api${seq}@example.org`, body: 'Through the API.' } });
}
async function approvedComment(slug: string, body = 'Already here.') {
  const result = await submitComment(db(), slug, { name: 'Early Bird', email: `early${++seq}@example.org`, body }, { user: null, ipHash: 'e'.repeat(32) }, await loadSettings(db()), 'x');
  expect(result.status).toBe('approved');
  return result.id;
}
const withMode = (mode: DiscussionMode | null, extra: Record<string, unknown> = {}) => publishPost(t, { title: `A ${mode ?? 'default'} post ${++seq}`, discussion_mode: mode, ...extra });

describe('effectiveDiscussion (the one decision)', () => {
  const now = new Date('2026-05-01T12:00:00Z');
  const base = { discussion_mode: null, comments_open: 1, comments_close_at: null, published_at: '2026-04-01T00:00:00Z' };
  const settings = { close_after_days: 0 };

  it('takes the post’s mode, else the category default, else open', () => {
    expect(effectiveDiscussion(base, null, settings, now)).toMatchObject({ mode: 'open', source: 'site', closesAt: null, reason: null });
    expect(effectiveDiscussion(base, 'pre-moderated', settings, now)).toMatchObject({ mode: 'pre-moderated', source: 'category' });
    expect(effectiveDiscussion({ ...base, discussion_mode: 'open' }, 'hidden', settings, now)).toMatchObject({ mode: 'open', source: 'post' });
  });

  it('picks the strictest category default: open < signed-in < pre-moderated < closed < hidden', () => {
    expect(strictestMode([null, 'open', 'signed-in'])).toBe('signed-in');
    expect(strictestMode(['pre-moderated', 'signed-in'])).toBe('pre-moderated');
    expect(strictestMode(['closed', 'hidden', 'open'])).toBe('hidden');
    expect(strictestMode([null, undefined, 'nonsense'])).toBeNull();
  });

  it('closes at comments_close_at, by the switch, and after close_after_days; hidden wins over closing', () => {
    const closing = { ...base, comments_close_at: '2026-05-02T09:00:00.000Z' };
    expect(effectiveDiscussion(closing, null, settings, now)).toMatchObject({ mode: 'open', closesAt: '2026-05-02T09:00:00.000Z', reason: null });
    expect(effectiveDiscussion(closing, 'signed-in', settings, new Date('2026-05-02T09:00:00Z'))).toMatchObject({ mode: 'closed', configured: 'signed-in', reason: 'date' });
    expect(effectiveDiscussion({ ...base, comments_open: 0 }, null, settings, now)).toMatchObject({ mode: 'closed', reason: 'switch' });
    // The earlier of the closing date and the age rule counts.
    expect(effectiveDiscussion(closing, null, { close_after_days: 10 }, now)).toMatchObject({ mode: 'closed', reason: 'age', closesAt: '2026-04-11T00:00:00.000Z' });
    expect(effectiveDiscussion({ ...closing, discussion_mode: 'hidden', comments_open: 0 }, null, settings, new Date('2027-01-01T00:00:00Z')).mode).toBe('hidden');
    expect(effectiveDiscussion({ ...base, discussion_mode: 'closed' }, null, settings, now)).toMatchObject({ mode: 'closed', reason: 'mode' });
  });
});

describe('pre-moderated', () => {
  it('holds every visitor’s comment with the stored reason, and says so on the page; staff are approved', async () => {
    const post = await withMode('pre-moderated');
    const view = await page(post.slug);
    expect(view.body).toContain('Every comment on this post is read by a moderator before it appears.');
    expect(view.body).toContain('id="respond"');
    const res = await formComment(post.slug);
    expect(res.statusCode).toBe(303);
    const id = Number(/held=(\d+)/.exec(String(res.headers.location))![1]);
    const row = await stored(id);
    expect(row.status).toBe('pending');
    expect(JSON.parse(row.reasons)).toEqual(['comments on this post are pre-moderated']);
    const api = await apiComment(post.slug);
    expect(api.statusCode).toBe(201);
    expect(api.json().comment.status).toBe('pending');

    const editor = await signIn(t, 'editor');
    const staff = await postForm(t, editor, `/posts/${post.slug}/comments`, { body: 'Thank you, everyone.' });
    expect(staff.statusCode).toBe(303);
    expect((await stored(Number(/comment-(\d+)$/.exec(String(staff.headers.location))![1]))).status).toBe('approved');
  });
});

describe('signed-in only', () => {
  it('replaces the form with a sign-in link and refuses a visitor’s comment with 403, keeping the typed text', async () => {
    await setSettings(t, { patron_registration: true });
    const post = await withMode(null);
    const existing = await approvedComment(post.slug);
    await db().updateTable('posts').set({ discussion_mode: 'signed-in' }).where('id', '=', post.id).execute();
    const view = await page(post.slug);
    expect(view.body).toContain('Only signed-in readers can comment on this post.');
    expect(view.body).toContain(`href="/account/login?next=${encodeURIComponent(`/posts/${post.slug}#respond`)}"`);
    expect(view.body).toContain('href="/account/register"');
    expect(view.body).not.toContain('name="email"');
    expect(view.body).toContain(`id="comment-${existing}"`);
    expect(view.body).not.toContain('replytocom=');

    const res = await formComment(post.slug, { body: 'My words, kept' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Only signed-in readers can comment on this post. Sign in, or create an account, first.');
    expect(res.body).toContain('My words, kept');
    const api = await apiComment(post.slug);
    expect(api.statusCode).toBe(403);
    expect(api.json().error).toMatchObject({ code: 'sign_in_required' });
  });

  it('takes a signed-in patron’s comment', async () => {
    const post = await withMode('signed-in');
    const patron = await signIn(t, 'patron');
    const view = await page(post.slug, patron.cookies);
    expect(view.body).toContain('Commenting as');
    const res = await postForm(t, patron, `/posts/${post.slug}/comments`, { body: 'From my account.' });
    expect(res.statusCode).toBe(303);
    const row = await db().selectFrom('comments').selectAll().where('user_id', '=', patron.user.id).executeTakeFirstOrThrow();
    expect(row.body_md).toBe('From my account.');
  });
});

describe('closed and hidden', () => {
  it('closed: the thread stays, no form, no reply links; POST and API answer 403', async () => {
    const post = await withMode(null);
    const existing = await approvedComment(post.slug, 'Said before it closed.');
    const editor = await apiToken(t, 'editor');
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: editor.headers, payload: { discussion_mode: 'closed' } });
    expect(patch.statusCode).toBe(200);
    expect(patch.json().post).toMatchObject({ discussion_mode: 'closed', discussion: { mode: 'closed', closed_reason: 'mode' } });
    const view = await page(post.slug);
    expect(view.body).toContain('Said before it closed.');
    expect(view.body).toContain('1 Response to');
    expect(view.body).toContain('Comments are closed.');
    expect(view.body).not.toContain('id="respond"');
    expect(view.body).not.toContain('replytocom=');
    expect((await formComment(post.slug)).statusCode).toBe(403);
    const api = await apiComment(post.slug);
    expect(api.statusCode).toBe(403);
    expect(api.json().error.code).toBe('comments_closed');
    expect(existing).toBeGreaterThan(0);
  });

  it('hidden: no thread, no count, no form; 403; the API lists no comments and no count, nor do the feeds', async () => {
    const post = await withMode(null);
    await approvedComment(post.slug, 'A comment nobody should see now, zebrafish.');
    expect((await t.app.inject('/search?q=zebrafish')).body).toContain('zebrafish');
    await db().updateTable('posts').set({ discussion_mode: 'hidden' }).where('id', '=', post.id).execute();
    expect((await t.app.inject('/search?q=zebrafish')).body).not.toContain('A comment nobody should see');
    const view = await page(post.slug);
    expect(view.statusCode).toBe(200);
    expect(view.body).not.toContain('A comment nobody should see now.');
    expect(view.body).not.toContain('Response');
    expect(view.body).not.toContain('id="comments"');
    expect(view.body).not.toContain('id="respond"');
    const res = await formComment(post.slug);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Comments are not taken on this post');
    expect((await apiComment(post.slug)).statusCode).toBe(403);
    const api = (await t.app.inject(`/api/v1/posts/${post.slug}`)).json();
    expect(api.comments).toEqual([]);
    expect(api.post).toMatchObject({ comment_count: null, discussion_mode: 'hidden', discussion: { mode: 'hidden' } });
    const list = (await t.app.inject('/api/v1/posts')).json().posts.find((p: { id: number }) => p.id === post.id);
    expect(list.comment_count).toBeNull();
    const home = await t.app.inject('/');
    expect(home.body).toContain(`href="/posts/${post.slug}"`);
    expect(home.body).not.toContain(`href="/posts/${post.slug}#comments"`);
    for (const url of [`/posts/${post.slug}/feed.xml`, '/comments/feed.xml']) {
      expect((await t.app.inject(url)).body, url).not.toContain('A comment nobody should see now.');
    }
    // Staff still see and moderate it.
    const editor = await apiToken(t, 'editor');
    const queue = await t.app.inject({ url: `/api/v1/comments?status=approved&post_id=${post.id}`, headers: editor.headers });
    expect(queue.json().comments.map((c: { body: string }) => c.body)).toContain('A comment nobody should see now, zebrafish.');
  });
});

describe('category defaults', () => {
  it('applies a category’s default to its posts; the post’s own mode wins; the strictest of several applies', async () => {
    const editor = await signIn(t, 'editor');
    const events = await publishPost(t, { title: 'Story time', categories: ['Events'] });
    const both = await publishPost(t, { title: 'Teen night', categories: ['Events', 'Youth'] });
    const own = await publishPost(t, { title: 'Open house', categories: ['Youth'], discussion_mode: 'open' });
    const terms = await db().selectFrom('terms').select(['id', 'slug']).where('kind', '=', 'category').execute();
    const id = (slug: string) => terms.find((c) => c.slug === slug)!.id;

    const list = await t.app.inject({ url: '/admin/categories', cookies: editor.cookies });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Default discussion for Events');
    const saved = await postForm(t, editor, '/admin/categories', { [`mode_${id('events')}`]: 'pre-moderated', [`mode_${id('youth')}`]: 'signed-in' });
    expect(saved.statusCode).toBe(303);
    expect((await db().selectFrom('terms').select('discussion_mode').where('id', '=', id('events')).executeTakeFirstOrThrow()).discussion_mode).toBe('pre-moderated');

    expect((await page(events.slug)).body).toContain('Every comment on this post is read by a moderator');
    const teen = await page(both.slug);
    expect(teen.body).toContain('Every comment on this post is read by a moderator');
    const res = await formComment(both.slug);
    expect(JSON.parse((await stored(Number(/held=(\d+)/.exec(String(res.headers.location))![1]))).reasons)).toContain('comments on this post are pre-moderated');
    expect((await page(own.slug)).body).not.toContain('Every comment on this post is read');
    const api = (await t.app.inject(`/api/v1/posts/${both.slug}`)).json();
    expect(api.post).toMatchObject({ discussion_mode: null, discussion: { mode: 'pre-moderated', source: 'category' } });

    // The editor's select names what the default currently is.
    const edit = await t.app.inject({ url: `/admin/posts/${events.id}/edit`, cookies: editor.cookies });
    expect(edit.body).toContain('Category default (Pre-moderated (every comment is held))');
    // Back to the site default.
    await postForm(t, editor, '/admin/categories', { [`mode_${id('events')}`]: '', [`mode_${id('youth')}`]: '' });
    expect((await page(both.slug)).body).not.toContain('Every comment on this post is read');
  });

  it('refuses an unknown mode with 422 naming the field, and keeps what was chosen', async () => {
    const editor = await signIn(t, 'editor');
    await publishPost(t, { title: 'Book club', categories: ['Clubs'] });
    const club = (await db().selectFrom('terms').select('id').where('slug', '=', 'clubs').executeTakeFirstOrThrow()).id;
    const res = await postForm(t, editor, '/admin/categories', { [`mode_${club}`]: 'everyone' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(`id="mode_${club}-error"`);
    expect(res.body).toContain('Choose the site default or one of open, signed-in, pre-moderated, closed, hidden');
    expect((await db().selectFrom('terms').select('discussion_mode').where('id', '=', club).executeTakeFirstOrThrow()).discussion_mode).toBeNull();
  });

  it('is for editors and administrators only, and needs the CSRF token', async () => {
    const author = await signIn(t, 'author');
    expect((await t.app.inject({ url: '/admin/categories', cookies: author.cookies })).statusCode).toBe(403);
    expect((await postForm(t, author, '/admin/categories', {})).statusCode).toBe(403);
    const anonymous = await t.app.inject('/admin/categories');
    expect(anonymous.statusCode).toBe(303);
    const editor = await signIn(t, 'editor');
    expect((await postForm(t, { cookies: editor.cookies, csrf: 'forged' }, '/admin/categories', {})).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/admin', cookies: editor.cookies })).body).toContain('href="/admin/categories"');
  });
});

describe('a closing date', () => {
  it('shows when comments close, in the site time zone, and closes them after it', async () => {
    await setSettings(t, { timezone: 'America/Chicago' });
    const future = await withMode(null, { comments_close_at: '2099-11-23T18:00:00Z' });
    const open = await page(future.slug);
    expect(open.body).toContain('Comments close on <time datetime="2099-11-23T18:00:00.000Z">November 23, 2099 at 12:00 pm</time>.');
    expect(open.body).toContain('id="respond"');

    const past = await withMode(null, { comments_close_at: '2020-03-01T15:30:00Z' });
    const closed = await page(past.slug);
    expect(closed.body).toContain('Comments closed on March 1, 2020 at 9:30 am.');
    expect(closed.body).not.toContain('id="respond"');
    expect((await formComment(past.slug)).statusCode).toBe(403);
    const api = (await t.app.inject(`/api/v1/posts/${past.slug}`)).json();
    expect(api.post).toMatchObject({ comments_close_at: '2020-03-01T15:30:00.000Z', discussion: { mode: 'closed', closed_reason: 'date' } });
  });

  it('keeps comments_open and close_after_days working beside the modes', async () => {
    const off = await withMode('open', { comments_open: false });
    expect((await formComment(off.slug)).statusCode).toBe(403);
    const old = await withMode(null, { published_at: new Date(Date.now() - 40 * 86_400_000).toISOString() });
    await setSettings(t, { close_after_days: 30 });
    expect((await formComment(old.slug)).statusCode).toBe(403);
    expect((await page(old.slug)).body).toContain('Comments closed on');
  });
});
