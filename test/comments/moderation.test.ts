import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.close();
});

const idFrom = (location: string) => Number(/#comment-(\d+)$/.exec(location)![1]);
const commentCount = async (postId: number) =>
  (await t.db.kysely.selectFrom('posts').select('comment_count').where('id', '=', postId).executeTakeFirstOrThrow()).comment_count;
const statusOf = async (id: number) =>
  (await t.db.kysely.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirst())?.status;

async function postComment(slug: string, fields: Record<string, string> = {}, remoteAddress = '10.0.0.9') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name: 'Ann', email: 'ann@example.org', body: 'Smiles matter.', ...fields }).toString(),
  });
  return { res, id: idFrom(res.headers.location as string) };
}

describe('transitions, counts and the audit log', () => {
  it('keeps "N Responses" equal to the approved comments through approve → spam → restore → delete', async () => {
    const post = await publishPost(t);
    const moderator = await apiToken(t, 'editor');
    const { id } = await postComment(post.slug);
    const { id: other } = await postComment(post.slug, { email: 'bo@example.org', body: 'Listening.' });
    expect(await commentCount(post.id)).toBe(0);
    const patch = (cid: number, status: string) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${cid}`, headers: moderator.headers, payload: { status } });

    expect((await patch(id, 'approved')).json()).toEqual({ comment: { id, status: 'approved' } });
    expect(await commentCount(post.id)).toBe(1);
    expect((await t.app.inject(`/posts/${post.slug}`)).body).toContain('1 Response to “What makes good customer service?”');
    await patch(other, 'approved');
    expect(await commentCount(post.id)).toBe(2);
    await patch(id, 'spam');
    expect(await commentCount(post.id)).toBe(1);
    await patch(id, 'spam'); // no change, no double count
    expect(await commentCount(post.id)).toBe(1);
    await patch(id, 'approved'); // restore
    expect(await commentCount(post.id)).toBe(2);
    await patch(id, 'pending'); // unapprove
    expect(await commentCount(post.id)).toBe(1);
    await patch(id, 'approved');
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${id}`, headers: moderator.headers })).statusCode).toBe(204);
    expect(await commentCount(post.id)).toBe(1);
    expect(await statusOf(id)).toBeUndefined();
    expect((await t.app.inject(`/posts/${post.slug}`)).body).toContain('1 Response to');
    const listing = (await t.app.inject('/api/v1/posts')).json();
    expect(listing.posts[0].comment_count).toBe(1);

    const log = await t.db.kysely.selectFrom('moderation_log').selectAll().where('comment_id', '=', id).orderBy('id').execute();
    expect(log.map((r) => `${r.from_status}→${r.to_status}`)).toEqual([
      'pending→approved',
      'approved→spam',
      'spam→approved',
      'approved→pending',
      'pending→approved',
      'approved→deleted',
    ]);
    expect(log.every((r) => r.actor_id === moderator.user.id && r.actor_name === moderator.user.display_name)).toBe(true);
  });

  it('moves replies of a deleted comment up to its parent', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const { id: top } = await postComment(post.slug);
    const { id: middle } = await postComment(post.slug, { parent_id: String(top) });
    const { id: leaf } = await postComment(post.slug, { parent_id: String(middle) });
    const mod = await apiToken(t, 'admin');
    await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${middle}`, headers: mod.headers });
    const row = await t.db.kysely.selectFrom('comments').select('parent_id').where('id', '=', leaf).executeTakeFirstOrThrow();
    expect(row.parent_id).toBe(top);
    expect(await commentCount(post.id)).toBe(2);
  });

  it('shows a held comment to its author only, marked as awaiting moderation', async () => {
    const post = await publishPost(t);
    const { res, id } = await postComment(post.slug, { body: 'My held words' });
    const own = (res.cookies as { name: string; value: string }[]).find((c) => c.name === 'lectern_own')!;
    const mine = await t.app.inject({ url: res.headers.location as string, cookies: { lectern_own: own.value } });
    expect(mine.body).toContain(`id="comment-${id}"`);
    expect(mine.body).toContain('Your comment is awaiting moderation');
    expect(mine.body).toContain('My held words');
    // Someone else, even with the same ?held= link, sees nothing.
    const stranger = await t.app.inject({ url: res.headers.location as string });
    expect(stranger.body).not.toContain('My held words');
    const forged = await t.app.inject({ url: `/posts/${post.slug}`, cookies: { lectern_own: String(id) } });
    expect(forged.body).not.toContain('My held words');
    expect((await t.app.inject(`/api/v1/posts/${post.slug}`)).json().comments).toEqual([]);
  });

  it('stores 200 comments posted concurrently exactly once each', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none', comment_rate_per_minute: 10_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: `/api/v1/posts/${post.slug}/comments`,
          payload: { name: `Reader ${i}`, email: `reader${i}@example.org`, body: `Answer number ${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(200).fill(201));
    const ids = results.map((r) => r.json().comment.id);
    expect(new Set(ids).size).toBe(200);
    const rows = await t.db.kysely.selectFrom('comments').select(['id', 'body_md']).execute();
    expect(rows).toHaveLength(200);
    expect(new Set(rows.map((r) => r.body_md)).size).toBe(200);
    expect(await commentCount(post.id)).toBe(200);
  });

  it('remembers name, email and website only when asked, in a cookie', async () => {
    const post = await publishPost(t);
    const { res } = await postComment(post.slug, { name: 'Cleo', email: 'cleo@example.org', url: 'https://cleo.example', remember: 'on' });
    const cookie = (res.cookies as { name: string; value: string }[]).find((c) => c.name === 'lectern_commenter');
    expect(cookie).toBeDefined();
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies: { lectern_commenter: cookie!.value } });
    expect(page.body).toContain('value="Cleo"');
    expect(page.body).toContain('value="cleo@example.org"');
    expect(page.body).toMatch(/id="remember" name="remember" type="checkbox" checked/);
    const { res: plain } = await postComment(post.slug, { name: 'Dan', email: 'dan@example.org' }, '10.9.9.9');
    expect((plain.cookies as { name: string }[]).some((c) => c.name === 'lectern_commenter')).toBe(false);
  });
});

describe('the JSON API', () => {
  it('posts a comment: 201 with its status; 422 naming the field; 404; 403 closed', async () => {
    const post = await publishPost(t);
    const ok = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'A', email: 'a@example.org', body: 'Hi' } });
    expect(ok.statusCode).toBe(201);
    // edit_token and editable_until: the commenter's own edit window (docs/api-discussion.md).
    expect(ok.json()).toEqual({ comment: { id: expect.any(Number), status: 'pending', edit_token: expect.stringMatching(/^[0-9a-f]{32}$/), editable_until: expect.any(String) } });
    const bad = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'A', email: 'nope', body: '' } });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('validation_failed');
    expect(Object.keys(bad.json().error.fields).sort()).toEqual(['body', 'email']);
    const missing = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'A', email: 'a@example.org' } });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.fields).toHaveProperty('body');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/posts/nope/comments', payload: { name: 'A', email: 'a@example.org', body: 'x' } })).statusCode).toBe(404);
    const closed = await publishPost(t, { title: 'Closed', comments_open: false });
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${closed.slug}/comments`, payload: { name: 'A', email: 'a@example.org', body: 'x' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('comments_closed');
  });

  it('never shows emails or IP hashes in the public API', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await postComment(post.slug, { email: 'secret-person@example.org' });
    const body = (await t.app.inject(`/api/v1/posts/${post.slug}`)).body;
    const html = (await t.app.inject(`/posts/${post.slug}`)).body;
    for (const text of [body, html]) {
      expect(text).not.toContain('secret-person');
      expect(text).not.toContain('ip_hash');
    }
  });

  it('lists the queue with reasons, post and parent for moderators only', async () => {
    const post = await publishPost(t);
    await postComment(post.slug, { body: 'First' });
    const editor = await apiToken(t, 'editor');
    const author = await apiToken(t, 'author');
    const queue = await t.app.inject({ url: '/api/v1/comments?status=pending', headers: editor.headers });
    expect(queue.statusCode).toBe(200);
    expect(queue.json()).toMatchObject({
      page: 1,
      total: 1,
      comments: [{ status: 'pending', reasons: ['first-time commenter'], post: { slug: post.slug }, parent_id: null, author_email: 'ann@example.org' }],
    });
    expect((await t.app.inject({ url: '/api/v1/comments', headers: author.headers })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/comments' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/comments/1', headers: author.headers, payload: { status: 'approved' } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/comments/1', headers: editor.headers, payload: { status: 'bogus' } })).statusCode).toBe(422);
    expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/comments/999', headers: editor.headers, payload: { status: 'approved' } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/comments/1', headers: author.headers })).statusCode).toBe(403);
  });

  it('moves many comments at once with the bulk endpoint', async () => {
    const post = await publishPost(t);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await postComment(post.slug, { body: `c${i}`, email: `p${i}@example.org` })).id);
    const mod = await apiToken(t, 'admin');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/comments/bulk', headers: mod.headers, payload: { ids: [...ids, 4242], status: 'approved' } });
    expect(res.json()).toEqual({ updated: 3, missing: [4242] });
    expect(await commentCount(post.id)).toBe(3);
    expect((await t.db.kysely.selectFrom('moderation_log').selectAll().execute()).length).toBe(3);
  });
});

describe('the moderation queue page', () => {
  it('shows tabs with counts, reasons, post, parent and history, and acts from the page', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const { id: parent } = await postComment(post.slug, { name: 'Parent Person', email: 'pp@example.org', body: 'The first answer' });
    await setSettings(t, { moderation: 'first-time', hold_words: ['casino'] });
    const { id: held } = await postComment(post.slug, { name: 'Pat', email: 'pp@example.org', body: 'casino night?', parent_id: String(parent) });
    const mod = await signIn(t, 'editor');
    const page = await t.app.inject({ url: '/admin/comments', cookies: mod.cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Pending <span class="count">(1)</span>');
    expect(page.body).toContain('Approved <span class="count">(1)</span>');
    expect(page.body).toContain("Held because: matched hold word &#39;casino&#39;");
    expect(page.body).toContain('in reply to Parent Person');
    expect(page.body).toContain('1 approved before');
    expect(page.body).toContain(`/posts/${post.slug}`);

    const search = await t.app.inject({ url: '/admin/comments?status=approved&q=FIRST%20answer', cookies: mod.cookies });
    expect(search.body).toContain('The first answer');
    const none = await t.app.inject({ url: '/admin/comments?status=approved&q=zzz', cookies: mod.cookies });
    expect(none.body).not.toContain('The first answer');

    const approve = await postForm(t, mod, `/admin/comments/${held}/status`, { status: 'approved', return_to: '/admin/comments?status=pending' });
    expect(approve.statusCode).toBe(303);
    // The queue comes back offering to undo the action (issue 11, docs/api-moderation.md).
    expect(approve.headers.location).toMatch(/^\/admin\/comments\?status=pending&undo=[0-9a-f-]{36}$/);
    expect(await statusOf(held)).toBe('approved');
    const offsite = await postForm(t, mod, `/admin/comments/${held}/status`, { status: 'spam', return_to: '//evil.example' });
    expect(offsite.headers.location).toMatch(/^\/admin\/comments\?undo=[0-9a-f-]{36}$/);

    const dashboard = await t.app.inject({ url: '/admin', cookies: mod.cookies });
    expect(dashboard.body).toContain('awaiting moderation');
  });

  it('approves and replies in one step, the reply marked as staff', async () => {
    const post = await publishPost(t);
    const { id } = await postComment(post.slug, { body: 'Is the library open on Sunday?' });
    const mod = await signIn(t, 'editor');
    const res = await postForm(t, mod, `/admin/comments/${id}/reply`, { body: 'Yes, from noon.', return_to: '/admin/comments' });
    expect(res.statusCode).toBe(303);
    expect(await statusOf(id)).toBe('approved');
    const reply = await t.db.kysely.selectFrom('comments').selectAll().where('parent_id', '=', id).executeTakeFirstOrThrow();
    expect(reply).toMatchObject({ status: 'approved', is_staff: 1, body_md: 'Yes, from noon.' });
    expect(await commentCount(post.id)).toBe(2);
  });

  it('bulk-moves ticked comments and deletes after a confirmation page', async () => {
    const post = await publishPost(t);
    const a = (await postComment(post.slug, { body: 'a', email: 'a@example.org' })).id;
    const b = (await postComment(post.slug, { body: 'b', email: 'b@example.org' })).id;
    const mod = await signIn(t, 'admin');
    const bulk = await postForm(t, mod, '/admin/comments/bulk', { ids: [String(a), String(b)], bulk_action: 'spam', return_to: '/admin/comments' });
    expect(bulk.statusCode).toBe(303);
    expect([await statusOf(a), await statusOf(b)]).toEqual(['spam', 'spam']);
    const nothing = await postForm(t, mod, '/admin/comments/bulk', { bulk_action: 'spam' });
    expect(nothing.statusCode).toBe(422);

    const confirm = await t.app.inject({ url: `/admin/comments/${a}/delete`, cookies: mod.cookies });
    expect(confirm.body).toContain('Delete this comment?');
    expect(await statusOf(a)).toBe('spam');
    await postForm(t, mod, `/admin/comments/${a}/delete`, { return_to: '/admin/comments?status=spam' });
    expect(await statusOf(a)).toBeUndefined();

    const log = await t.app.inject({ url: '/admin/comments/log', cookies: mod.cookies });
    expect(log.body).toContain('spam → deleted');
    expect(log.body).toContain('pending → spam');
  });

  it('keeps the queue to moderators and the log to admins', async () => {
    const author = await signIn(t, 'author');
    expect((await t.app.inject({ url: '/admin/comments', cookies: author.cookies })).statusCode).toBe(403);
    const editor = await signIn(t, 'editor');
    expect((await t.app.inject({ url: '/admin/comments/log', cookies: editor.cookies })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/admin/comments' })).statusCode).toBe(303);
    const noCsrf = await postForm(t, { cookies: editor.cookies, csrf: 'wrong' }, '/admin/comments/1/status', { status: 'approved' });
    expect(noCsrf.statusCode).toBe(403);
  });

  it('saves the discussion settings, and keeps typed values on a 422', async () => {
    const admin = await signIn(t, 'admin');
    const fields = { moderation: 'all', hold_links: '3', hold_words: 'casino\nPoker\n', block_words: 'pills', close_after_days: '14', thread_depth: '4', comment_rate_per_minute: '7' };
    const ok = await postForm(t, admin, '/admin/settings/discussion', fields);
    expect(ok.statusCode).toBe(303);
    const rows = Object.fromEntries((await t.db.kysely.selectFrom('settings').selectAll().execute()).map((r) => [r.key, JSON.parse(r.value)]));
    expect(rows).toMatchObject({ moderation: 'all', hold_links: 3, hold_words: ['casino', 'poker'], block_words: ['pills'], close_after_days: 14, thread_depth: 4, comment_rate_per_minute: 7 });
    const bad = await postForm(t, admin, '/admin/settings/discussion', { ...fields, thread_depth: '99', hold_words: 'bingo' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="thread_depth-error"');
    expect(bad.body).toContain('>bingo</textarea>');
    expect(bad.body).toContain('value="99"');
  });
});
