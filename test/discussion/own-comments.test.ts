import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, parseSetCookies, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';

/**
 * A commenter editing or deleting their own comment within the window (issue 11): proved by
 * the browser's signed cookie, an account, or the API's edit token; locked by a reply; the
 * rules judge the new text; every move audited under the commenter's name.
 */
let t: TestApp;
let post: { id: number; slug: string };

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());
beforeEach(async () => {
  await setSettings(t, { moderation: 'none', hold_links: 0, hold_words: [], comment_rate_per_minute: 10_000, comment_edit_minutes: 15 });
  post = await publishPost(t, { title: `Customer service ${Date.now()}${Math.random()}` });
});

const db = () => t.db.kysely;
const row = (id: number) => db().selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirst();
const countOf = async () => (await db().selectFrom('posts').select('comment_count').where('id', '=', post.id).executeTakeFirstOrThrow()).comment_count;
const form = (url: string, fields: Record<string, string>, cookies: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, cookies, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });

let seq = 0;
/** Posts through the form as a visitor; returns the comment id and the browser's cookies. */
async function postAsVisitor(body = 'Friendly staff, always smiling.', cookies: Record<string, string> = {}) {
  const res = await form(`/posts/${post.slug}/comments`, { name: 'Ann Reader', email: `ann${++seq}@example.org`, body }, cookies);
  expect(res.statusCode).toBe(303);
  const id = Number(/#comment-(\d+)$/.exec(String(res.headers.location))![1]);
  return { id, cookies: { ...cookies, ...parseSetCookies(res) } };
}
const ageComment = (id: number, minutes: number) =>
  db().updateTable('comments').set({ created_at: new Date(Date.now() - minutes * 60_000).toISOString() }).where('id', '=', id).execute();
const expectRefused = (res: LightMyRequestResponse, text: string) => {
  expect(res.statusCode).toBe(403);
  expect(res.body).toContain(text);
};

describe('on the site, with the browser’s cookie', () => {
  it('shows Edit and Delete with the time left, then edits: new HTML, an "edited" marker, an approved comment stays approved', async () => {
    const { id, cookies } = await postAsVisitor();
    expect(cookies.lectern_own).toBeDefined();
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies });
    expect(page.body).toContain(`href="/comments/${id}/edit"`);
    expect(page.body).toContain(`href="/comments/${id}/delete"`);
    expect(page.body).toMatch(/Your comment: you can edit or delete it for 1[45] more minutes\./);

    const editPage = await t.app.inject({ url: `/comments/${id}/edit`, cookies });
    expect(editPage.statusCode).toBe(200);
    expect(editPage.body).toContain('<label for="body">Comment *</label>');
    expect(editPage.body).toContain('Friendly staff, always smiling.</textarea>');
    expect(editPage.headers['cache-control']).toBe('no-store');

    const saved = await form(`/comments/${id}/edit`, { body: 'Friendly staff, **always** smiling.' }, cookies);
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/posts/${post.slug}#comment-${id}`);
    const after = (await row(id))!;
    expect(after).toMatchObject({ status: 'approved', body_md: 'Friendly staff, **always** smiling.' });
    expect(after.body_html).toContain('<strong>always</strong>');
    expect(after.edited_at).not.toBeNull();
    const anonymous = await t.app.inject(`/posts/${post.slug}`);
    expect(anonymous.body).toContain('<strong>always</strong>');
    expect(anonymous.body).toContain('<span class="comment__edited"');
    expect(anonymous.body).not.toContain(`/comments/${id}/edit`);
    expect(await countOf()).toBe(1);
  });

  it('refuses another browser, and a forged cookie, with 403 and changes nothing', async () => {
    const { id } = await postAsVisitor();
    const other = await postAsVisitor('Mine is another comment.');
    for (const cookies of [{}, other.cookies, { lectern_own: String(id) }]) {
      expectRefused(await t.app.inject({ url: `/comments/${id}/edit`, cookies }), 'Only the person who posted this comment can change it');
      expectRefused(await form(`/comments/${id}/edit`, { body: 'Hijacked' }, cookies), 'Only the person who posted this comment can change it');
      expectRefused(await form(`/comments/${id}/delete`, {}, cookies), 'Only the person who posted this comment can change it');
    }
    expect((await row(id))!.body_md).toBe('Friendly staff, always smiling.');
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies: other.cookies });
    expect(page.body).not.toContain(`/comments/${id}/edit`);
    expect(page.body).toContain(`/comments/${other.id}/edit`);
  });

  it('refuses after the window, with the reason, keeping the typed text; the controls are gone', async () => {
    const { id, cookies } = await postAsVisitor();
    await ageComment(id, 16);
    expectRefused(await t.app.inject({ url: `/comments/${id}/edit`, cookies }), 'The time to edit or delete this comment is over');
    const late = await form(`/comments/${id}/edit`, { body: 'Typed too late, but kept' }, cookies);
    expectRefused(late, 'The time to edit or delete this comment is over');
    expect(late.body).toContain('Typed too late, but kept</textarea>');
    expectRefused(await form(`/comments/${id}/delete`, {}, cookies), 'The time to edit or delete this comment is over');
    expect((await row(id))!.body_md).toBe('Friendly staff, always smiling.');
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies });
    expect(page.body).not.toContain(`/comments/${id}/delete`);
    // The cookie no longer proves anything worth keeping: it is cleared, and the next page can come from the cache.
    expect(page.cookies.find((c) => c.name === 'lectern_own')?.value).toBe('');
  });

  it('locks the edit once someone replied (delete stays), even a reply still held', async () => {
    const { id, cookies } = await postAsVisitor();
    await setSettings(t, { moderation: 'all' });
    const reply = await form(`/posts/${post.slug}/comments`, { name: 'Bo', email: 'bo@example.org', body: 'I agree!', parent_id: String(id) });
    expect(reply.statusCode).toBe(303);
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies });
    expect(page.body).not.toContain(`/comments/${id}/edit`);
    expect(page.body).toContain('Someone has replied, so it can no longer be edited.');
    expectRefused(await t.app.inject({ url: `/comments/${id}/edit`, cookies }), 'Someone has replied to this comment, so it can no longer be edited');
    expectRefused(await form(`/comments/${id}/edit`, { body: 'Changed under the reply' }, cookies), 'Someone has replied to this comment');
    expect((await row(id))!.body_md).toBe('Friendly staff, always smiling.');
    const confirm = await t.app.inject({ url: `/comments/${id}/delete`, cookies });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('the replies to it stay, moved up one level');
  });

  it('sends an edit the rules would hold back to the queue, audited under the commenter, and keeps the count right', async () => {
    const { id, cookies } = await postAsVisitor();
    expect(await countOf()).toBe(1);
    await setSettings(t, { hold_words: ['casino'] });
    const res = await form(`/comments/${id}/edit`, { body: 'Visit my casino instead.' }, cookies);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/posts/${post.slug}?held=${id}#comment-${id}`);
    const after = (await row(id))!;
    expect(after.status).toBe('pending');
    expect(JSON.parse(after.reasons)).toEqual(["matched hold word 'casino'"]);
    expect(await countOf()).toBe(0);
    const log = await db().selectFrom('moderation_log').selectAll().where('comment_id', '=', id).execute();
    expect(log).toEqual([expect.objectContaining({ actor_id: null, actor_name: 'Ann Reader (commenter)', from_status: 'approved', to_status: 'pending' })]);
    // The public no longer sees it; its author sees it awaiting moderation.
    expect((await t.app.inject(`/posts/${post.slug}`)).body).not.toContain(`id="comment-${id}"`);
    expect((await t.app.inject({ url: `/posts/${post.slug}`, cookies })).body).toContain('Your comment is awaiting moderation.');
  });

  it('keeps the typed text when the edit is invalid (422, the field named)', async () => {
    const { id, cookies } = await postAsVisitor();
    const long = 'x'.repeat(10_001);
    const res = await form(`/comments/${id}/edit`, { body: long }, cookies);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="body-error"');
    expect(res.body).toContain(`${long}</textarea>`);
    expect((await form(`/comments/${id}/edit`, { body: '   ' }, cookies)).statusCode).toBe(422);
  });

  it('deletes after a confirmation page, audited under the commenter', async () => {
    const { id, cookies } = await postAsVisitor();
    const confirm = await t.app.inject({ url: `/comments/${id}/delete`, cookies });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete your comment?');
    expect(confirm.body).toContain('<button type="submit" class="button button--danger">Delete my comment</button>');
    expect(await row(id)).toBeDefined();
    const res = await form(`/comments/${id}/delete`, {}, cookies);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/posts/${post.slug}?deleted=1#comments`);
    expect(await row(id)).toBeUndefined();
    expect(await countOf()).toBe(0);
    const log = await db().selectFrom('moderation_log').selectAll().where('comment_id', '=', id).executeTakeFirstOrThrow();
    expect(log).toMatchObject({ actor_id: null, actor_name: 'Ann Reader (commenter)', from_status: 'approved', to_status: 'deleted' });
    expect((await t.app.inject({ url: res.headers.location as string, cookies })).body).toContain('Your comment was deleted.');
  });

  it('does nothing when the site turns editing off (comment_edit_minutes 0)', async () => {
    const { id, cookies } = await postAsVisitor();
    await setSettings(t, { comment_edit_minutes: 0 });
    expect((await t.app.inject({ url: `/posts/${post.slug}`, cookies })).body).not.toContain(`/comments/${id}/edit`);
    expectRefused(await form(`/comments/${id}/edit`, { body: 'Nope' }, cookies), 'This site does not let commenters edit or delete their comments');
  });

  it('lets a signed-in patron edit their own comment from their account, with the CSRF token', async () => {
    const patron = await signIn(t, 'patron');
    const res = await postForm(t, patron, `/posts/${post.slug}/comments`, { body: 'Posted from my account.' });
    const id = Number(/#comment-(\d+)$/.exec(String(res.headers.location))![1]);
    // A fresh browser of the same account: no own-comments cookie, the session proves it.
    const page = await t.app.inject({ url: `/posts/${post.slug}`, cookies: patron.cookies });
    expect(page.body).toContain(`href="/comments/${id}/edit"`);
    expect((await postForm(t, { cookies: patron.cookies, csrf: 'forged' }, `/comments/${id}/edit`, { body: 'Forged' })).statusCode).toBe(403);
    const saved = await postForm(t, patron, `/comments/${id}/edit`, { body: 'Edited from my account.' });
    expect(saved.statusCode).toBe(303);
    expect((await row(id))!.body_md).toBe('Edited from my account.');
    const someoneElse = await signIn(t, 'patron');
    expectRefused(await postForm(t, someoneElse, `/comments/${id}/edit`, { body: 'Not yours' }), 'Only the person who posted this comment');
  });
});

describe('through the API, with the edit token', () => {
  async function apiPost(body = 'Listening, mostly.') {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Api Reader', email: `api${++seq}@example.org`, body } });
    expect(res.statusCode).toBe(201);
    return res.json().comment as { id: number; status: string; edit_token: string; editable_until: string };
  }
  const patch = (id: number, body: unknown, token?: string) =>
    t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}/own`, headers: token === undefined ? {} : { 'x-comment-token': token }, payload: body as Record<string, unknown> });

  it('returns a token and the end of the window; PATCH edits with it, and only with it', async () => {
    const before = Date.now();
    const c = await apiPost();
    expect(c.edit_token).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(c.editable_until) - before).toBeGreaterThan(14 * 60_000);
    expect(Date.parse(c.editable_until) - before).toBeLessThanOrEqual(15 * 60_000 + 5_000);

    const missing = await patch(c.id, { body: 'No token' });
    expect(missing.statusCode).toBe(403);
    expect(missing.json().error).toMatchObject({ code: 'edit_not_allowed', message: expect.stringContaining('edit token') });
    const other = await apiPost('Another comment.');
    expect((await patch(c.id, { body: 'Someone else’s token' }, other.edit_token)).statusCode).toBe(403);
    expect((await row(c.id))!.body_md).toBe('Listening, mostly.');

    const ok = await patch(c.id, { body: 'Listening, *mostly*.' }, c.edit_token);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().comment).toMatchObject({ id: c.id, status: 'approved', html: expect.stringContaining('<em>mostly</em>'), edited_at: expect.any(String) });
    const publicView = (await t.app.inject(`/api/v1/posts/${post.slug}`)).json();
    expect(publicView.comments.find((x: { id: number }) => x.id === c.id)).toMatchObject({ edited_at: expect.any(String) });
  });

  it('answers 422 naming the field, 403 after the window or a reply, 404 for no comment', async () => {
    const c = await apiPost();
    const empty = await patch(c.id, { body: '' }, c.edit_token);
    expect(empty.statusCode).toBe(422);
    expect(empty.json().error.fields).toHaveProperty('body');
    // A status sent along is dropped, never applied: only the text is the commenter's.
    await setSettings(t, { hold_words: ['casino'] });
    const sneaky = await patch(c.id, { body: 'casino', status: 'approved' }, c.edit_token);
    expect(sneaky.statusCode).toBe(200);
    expect(sneaky.json().comment.status).toBe('pending');
    await setSettings(t, { hold_words: [] });
    const c2 = await apiPost();

    await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Bo', email: 'bo@example.org', body: 'Reply', parent_id: c2.id } });
    const replied = await patch(c2.id, { body: 'After a reply' }, c2.edit_token);
    expect(replied.statusCode).toBe(403);
    expect(replied.json().error.message).toContain('Someone has replied');

    const late = await apiPost();
    // Twenty minutes on (the token is bound to the comment's time, so the clock moves, not the row).
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 20 * 60_000 });
    try {
      const tooLate = await patch(late.id, { body: 'Too late' }, late.edit_token);
      expect(tooLate.statusCode).toBe(403);
      expect(tooLate.json().error.message).toContain('The time to edit or delete this comment is over');
      expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${late.id}/own`, headers: { 'x-comment-token': late.edit_token } })).statusCode).toBe(403);
    } finally {
      vi.useRealTimers();
    }
    expect(await row(late.id)).toMatchObject({ body_md: 'Listening, mostly.' });

    expect((await patch(99_999_999, { body: 'x' }, c.edit_token)).statusCode).toBe(404);
  });

  it('DELETE removes it with the token (204), and not without', async () => {
    const c = await apiPost();
    const without = await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${c.id}/own` });
    expect(without.statusCode).toBe(403);
    expect(await row(c.id)).toBeDefined();
    const res = await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${c.id}/own`, headers: { 'x-comment-token': c.edit_token } });
    expect(res.statusCode).toBe(204);
    expect(await row(c.id)).toBeUndefined();
  });

  it('leaves the moderators’ PATCH /comments/:id as it was: a token holder cannot set a status', async () => {
    const c = await apiPost();
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${c.id}`, headers: { 'x-comment-token': c.edit_token }, payload: { status: 'approved' } });
    expect(res.statusCode).toBe(401);
  });
});

describe('the discussion settings page', () => {
  it('has the edit window field, saves it and names a bad value', async () => {
    const admin = await signIn(t, 'admin');
    const page = await t.app.inject({ url: '/admin/settings/discussion', cookies: admin.cookies });
    expect(page.body).toContain('<label for="comment_edit_minutes">');
    expect(page.body).toMatch(/id="comment_edit_minutes" name="comment_edit_minutes" type="number" min="0" max="1440" value="15"/);
    const fields = { moderation: 'first-time', hold_links: '2', hold_words: '', block_words: '', close_after_days: '0', thread_depth: '5', comment_rate_per_minute: '5' };
    const saved = await postForm(t, admin, '/admin/settings/discussion', { ...fields, comment_edit_minutes: '30' });
    expect(saved.statusCode).toBe(303);
    const stored = await db().selectFrom('settings').select('value').where('key', '=', 'comment_edit_minutes').executeTakeFirstOrThrow();
    expect(JSON.parse(stored.value)).toBe(30);
    const bad = await postForm(t, admin, '/admin/settings/discussion', { ...fields, comment_edit_minutes: '-1' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="comment_edit_minutes-error"');
    expect(bad.body).toContain('value="-1"');
  });
});
