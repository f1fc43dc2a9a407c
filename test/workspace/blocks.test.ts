import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, makeUser, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { keyedHash } from '../../server/services/comments.js';
import { api, commentCount, commentRow, logOf, postComment, statusOf } from './helpers.js';

const SECRET = 'test-secret-that-is-long-enough-0123456789';
const TROLL_IP = '10.6.6.6';

let t: TestApp;
let post: { id: number; slug: string };
beforeEach(async () => {
  t = await buildTestApp();
  post = await publishPost(t);
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 1000 });
});
afterEach(() => t.close());

const blocks = () => t.db.kysely.selectFrom('commenter_blocks').selectAll().orderBy('id').execute();

async function commentViaApi(email: string, body: string, ip = '10.0.0.1') {
  const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, remoteAddress: ip, payload: { name: 'Someone', email, body } });
  expect(res.statusCode).toBe(201);
  return res.json().comment as { id: number; status: string };
}

describe('blocking from a queue item', () => {
  it('blocks by email and IP hash, hides what they posted through moderation, and keeps counts and the log right', async () => {
    const mod = await signIn(t, 'editor');
    const approved = await postComment(t, post.slug, { email: 'troll@example.org', body: 'First rude words' }, TROLL_IP);
    await setSettings(t, { moderation: 'all' });
    const pending = await postComment(t, post.slug, { email: 'troll@example.org', body: 'Second rude words' }, TROLL_IP);
    const other = await postComment(t, post.slug, { email: 'kind@example.org', body: 'Kind words' }, '10.0.0.2');
    expect(await commentCount(t, post.id)).toBe(1);

    const queue = await t.app.inject({ url: '/admin/comments?status=pending', cookies: mod.cookies });
    expect(queue.body).toContain(`href="/admin/comments/${pending}/block?return_to=`);
    const page = await t.app.inject({ url: `/admin/comments/${pending}/block?return_to=%2Fadmin%2Fcomments`, cookies: mod.cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Also hide everything they posted');
    expect(page.body).toMatch(/id="block_ip" name="block_ip" checked/);

    const res = await postForm(t, mod, `/admin/comments/${pending}/block`, { block_ip: 'on', hide_all: 'on', note: 'Abusive to staff', return_to: '/admin/comments' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/admin\/comments\?undo=[0-9a-f-]{36}$/);
    expect((await t.app.inject({ url: res.headers.location as string, cookies: mod.cookies })).body).toContain('Marked 2 comments as spam.');

    const [block] = await blocks();
    expect(block).toMatchObject({ email: 'troll@example.org', note: 'Abusive to staff', comment_id: pending, created_by: mod.user.id, created_by_name: mod.user.display_name });
    // A keyed hash, never the address itself.
    expect(block!.ip_hash).toBe(keyedHash(SECRET, 'ip', TROLL_IP));
    expect(JSON.stringify(await blocks())).not.toContain(TROLL_IP);

    expect(await statusOf(t, approved)).toBe('spam');
    expect(await statusOf(t, pending)).toBe('spam');
    expect(await statusOf(t, other)).toBe('pending');
    expect(await commentCount(t, post.id)).toBe(0);
    expect((await logOf(t, approved)).map((r) => `${r.from_status}→${r.to_status} by ${r.actor_name}`)).toEqual([`approved→spam by ${mod.user.display_name}`]);

    // Hiding is undone like any action; the block stays.
    expect((await postForm(t, mod, '/admin/moderation/undo', {})).statusCode).toBe(303);
    expect(await statusOf(t, approved)).toBe('approved');
    expect(await statusOf(t, pending)).toBe('pending');
    expect(await blocks()).toHaveLength(1);
  });

  it('stores a blocked commenter’s new comment as spam and answers it like a held one', async () => {
    const mod = await apiToken(t, 'editor');
    const first = await postComment(t, post.slug, { email: 'troll@example.org' }, TROLL_IP);
    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: first })).statusCode).toBe(201);

    const form = await t.app.inject({
      method: 'POST',
      url: `/posts/${post.slug}/comments`,
      remoteAddress: '10.9.9.9',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ name: 'Troll', email: 'TROLL@example.org', body: 'Again' }).toString(),
    });
    expect(form.statusCode).toBe(303);
    const id = Number(/#comment-(\d+)$/.exec(form.headers.location as string)![1]);
    expect(form.headers.location).toBe(`/posts/${post.slug}?held=${id}#comment-${id}`);
    expect(await commentRow(t, id)).toMatchObject({ status: 'spam', reasons: '["blocked commenter"]' });

    // Through the API: the same answer a held comment gets.
    const viaApi = await commentViaApi('troll@example.org', 'And again');
    expect(viaApi.status).toBe('pending');
    expect(await statusOf(t, viaApi.id)).toBe('spam');
    // From the blocked IP under another address.
    const sameIp = await commentViaApi('new-name@example.org', 'Sneaky', TROLL_IP);
    expect(await statusOf(t, sameIp.id)).toBe('spam');
    // Anyone else is treated as usual.
    const kind = await commentViaApi('kind@example.org', 'Lovely');
    expect(kind.status).toBe('approved');
    expect((await t.app.inject(`/posts/${post.slug}`)).body).not.toContain('Again');
  });

  it('lists blocks at /admin/blocks (linked from the staff menu) and unblocks', async () => {
    const mod = await signIn(t, 'editor');
    const id = await postComment(t, post.slug, { email: 'troll@example.org' }, TROLL_IP);
    await postForm(t, mod, `/admin/comments/${id}/block`, { note: 'Spam links', return_to: '/admin/comments' });
    const [block] = await blocks();
    expect(block!.ip_hash).toBeNull(); // "also block the network address" left unticked

    const list = await t.app.inject({ url: '/admin/blocks', cookies: mod.cookies });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('<a href="/admin/blocks" aria-current="page">Blocked commenters</a>');
    expect(list.body).toContain('troll@example.org');
    expect(list.body).toContain('Spam links');
    expect(list.body).toContain(mod.user.display_name);

    expect(await statusOf(t, (await commentViaApi('troll@example.org', 'Still here')).id)).toBe('spam');
    const gone = await postForm(t, mod, `/admin/blocks/${block!.id}/delete`, {});
    expect(gone.statusCode).toBe(303);
    expect(gone.headers.location).toBe('/admin/blocks?unblocked=1');
    expect(await blocks()).toEqual([]);
    expect((await commentViaApi('troll@example.org', 'Back again')).status).toBe('approved');
  });

  it('blocks an address typed on the blocks page; errors keep what was typed', async () => {
    const mod = await signIn(t, 'admin');
    const bad = await postForm(t, mod, '/admin/blocks', { email: 'not-an-email', note: 'Keep me' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="email-error"');
    expect(bad.body).toMatch(/id="email"[^>]*value="not-an-email"/);
    expect(bad.body).toContain('>Keep me</textarea>');
    const ok = await postForm(t, mod, '/admin/blocks', { email: 'Spammer@Example.org', note: '' });
    expect(ok.statusCode).toBe(303);
    expect((await blocks()).map((b) => b.email)).toEqual(['spammer@example.org']);

    const id = await postComment(t, post.slug);
    const long = await postForm(t, mod, `/admin/comments/${id}/block`, { note: 'n'.repeat(501), hide_all: 'on', return_to: '/admin/comments' });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('id="note-error"');
    expect(long.body).toContain(`>${'n'.repeat(501)}</textarea>`);
    expect(long.body).toMatch(/id="hide_all" name="hide_all" checked/);
    expect(await blocks()).toHaveLength(1);
  });

  it('refuses authors on every blocking page and form', async () => {
    const author = await signIn(t, 'author');
    const id = await postComment(t, post.slug);
    expect((await t.app.inject({ url: '/admin/blocks', cookies: author.cookies })).statusCode).toBe(403);
    expect((await t.app.inject({ url: `/admin/comments/${id}/block`, cookies: author.cookies })).statusCode).toBe(403);
    expect((await postForm(t, author, `/admin/comments/${id}/block`, { hide_all: 'on' })).statusCode).toBe(403);
    expect((await postForm(t, author, '/admin/blocks', { email: 'x@example.org' })).statusCode).toBe(403);
    expect(await blocks()).toEqual([]);
    expect(await statusOf(t, id)).toBe('approved');
  });
});

describe('blocks through the API', () => {
  it('creates, lists and deletes blocks, naming the field on bad input', async () => {
    const mod = await apiToken(t, 'editor');
    const author = await apiToken(t, 'author');
    const id = await postComment(t, post.slug, { email: 'troll@example.org' }, TROLL_IP);

    const made = await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: id, note: 'Rude', hide_all: true });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({
      block: { email: 'troll@example.org', ip_blocked: true, note: 'Rude', comment_id: id, created_by: { id: mod.user.id, name: mod.user.display_name } },
      created: true,
      hidden: 1,
    });
    expect(made.body).not.toContain(keyedHash(SECRET, 'ip', TROLL_IP));
    expect(await statusOf(t, id)).toBe('spam');
    // The same address again: the existing block is answered.
    const again = await api(t, mod.headers, 'POST', '/api/v1/blocks', { email: 'TROLL@example.org' });
    expect(again.statusCode).toBe(200);
    expect(again.json().created).toBe(false);

    const list = await api(t, mod.headers, 'GET', '/api/v1/blocks');
    expect(list.json()).toMatchObject({ total: 1, page: 1, blocks: [{ email: 'troll@example.org' }] });

    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', { email: 'nope' })).json().error.fields).toEqual({ email: 'Give an email address such as name@example.org' });
    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', {})).json().error.fields.email).toMatch(/Give the email address to block/);
    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: 999999 })).json().error.fields.comment_id).toBe('There is no such comment');
    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', { email: 'a@example.org', note: 'n'.repeat(501) })).json().error.fields.note).toMatch(/500/);

    expect((await api(t, author.headers, 'GET', '/api/v1/blocks')).statusCode).toBe(403);
    expect((await api(t, author.headers, 'POST', '/api/v1/blocks', { email: 'x@example.org' })).statusCode).toBe(403);
    const blockId = list.json().blocks[0].id;
    expect((await api(t, author.headers, 'DELETE', `/api/v1/blocks/${blockId}`)).statusCode).toBe(403);
    expect((await api(t, mod.headers, 'DELETE', `/api/v1/blocks/${blockId}`)).statusCode).toBe(204);
    expect((await api(t, mod.headers, 'DELETE', `/api/v1/blocks/${blockId}`)).statusCode).toBe(404);
    expect(await blocks()).toEqual([]);
  });

  it('will not block staff', async () => {
    const mod = await apiToken(t, 'admin');
    await makeUser(t, 'editor', { email: 'librarian@example.org' });
    const staffBlock = await api(t, mod.headers, 'POST', '/api/v1/blocks', { email: 'librarian@example.org' });
    expect(staffBlock.statusCode).toBe(409);
    expect(staffBlock.json().error.fields.email).toBe('This is a staff address');
    const reply = await api(t, mod.headers, 'POST', `/api/v1/posts/${post.slug}/comments`, { body: 'Staff answer' });
    expect((await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: reply.json().comment.id })).statusCode).toBe(409);
    expect(await blocks()).toEqual([]);
  });
});

describe('blocks, privacy and the page cache', () => {
  it('puts a block in the personal-data export, and erasure removes it', async () => {
    const mod = await apiToken(t, 'editor');
    const admin = await apiToken(t, 'admin');
    const id = await postComment(t, post.slug, { email: 'troll@example.org' }, TROLL_IP);
    await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: id, note: 'Rude' });
    const exported = await api(t, admin.headers, 'GET', '/api/v1/privacy?email=troll%40example.org');
    expect(exported.statusCode).toBe(200);
    expect(exported.json().other_records.commenter_blocks).toMatchObject([{ email: 'troll@example.org', note: 'Rude' }]);
    const erased = await api(t, admin.headers, 'POST', '/api/v1/privacy/erase', { email: 'troll@example.org', mode: 'delete' });
    expect(erased.statusCode).toBe(200);
    expect(erased.json().erased.other_records_deleted).toBeGreaterThanOrEqual(1);
    expect(await blocks()).toEqual([]);
    expect(erased.json().remaining).toEqual([]);
  });

  it('takes hidden comments off a cached anonymous page at once', async () => {
    const mod = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug, { email: 'troll@example.org', body: 'Rude words on the page' }, TROLL_IP);
    const url = `/posts/${post.slug}`;
    await t.app.inject(url);
    const warm = await t.app.inject(url);
    expect(warm.headers['x-page-cache']).toBe('hit');
    expect(warm.body).toContain('Rude words on the page');
    await api(t, mod.headers, 'POST', '/api/v1/blocks', { comment_id: id, hide_all: true });
    const after = await t.app.inject(url);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(after.body).not.toContain('Rude words on the page');
  });
});
