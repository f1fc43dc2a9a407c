import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, getCsrf, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { runUpkeep } from '../../server/services/scheduler.js';
import { approvedComment, get, newReader, readerApi, readerForm, type ReaderBrowser } from './helpers.js';

/**
 * Readers' reports (issue 11): a real page and form, one report per browser and address,
 * report_threshold sends an approved comment back to the queue with why, and an approval
 * after review is not undone by the same old reports.
 */
let t: TestApp;
let moderator: Awaited<ReturnType<typeof apiToken>>;

beforeAll(async () => {
  t = await buildTestApp();
  moderator = await apiToken(t, 'editor');
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 10_000, hold_links: 0, report_threshold: 3 });
});
afterAll(() => t.close());

const commentRow = (id: number) => t.db.kysely.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const reportRows = (id: number) => t.db.kysely.selectFrom('comment_reports').selectAll().where('comment_id', '=', id).orderBy('id').execute();
const postCount = async (postId: number) =>
  (await t.db.kysely.selectFrom('posts').select('comment_count').where('id', '=', postId).executeTakeFirstOrThrow()).comment_count;

async function report(id: number, reader: ReaderBrowser = newReader(), fields: Record<string, string> = { reason: 'abusive' }) {
  return readerForm(t, reader, `/comments/${id}/report`, fields);
}

async function staffComment(slug: string, body: string): Promise<number> {
  const editor = await signIn(t, 'editor');
  const page = await getCsrf(t, `/posts/${slug}`, editor.cookies);
  const res = await postForm(t, { cookies: page.cookies, csrf: page.csrf }, `/posts/${slug}/comments`, { body });
  expect(res.statusCode).toBe(303);
  return Number(/#comment-(\d+)$/.exec(String(res.headers.location))![1]);
}

describe('the report page, without JavaScript', () => {
  it('links each reader’s comment to a real form, sends the report and says thank you', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'You are all useless.', 'Grumpy');
    const page = await get(t, `/posts/${post.slug}`);
    expect(page.body).toContain(`<a href="/comments/${id}/report" class="comment__report" rel="nofollow">Report`);
    expect(page.body).toContain('Report<span class="visually-hidden"> Grumpy’s comment</span>');

    const form = await get(t, `/comments/${id}/report`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<h1>Report a comment</h1>');
    expect(form.body).toContain('You are all useless.');
    expect(form.body).toContain(`<form method="post" action="/comments/${id}/report"`);
    expect(form.body).toContain('<input type="radio" id="reason" name="reason" value="spam">');
    expect(form.body).toContain('<label for="reason-abusive">Abusive, hateful or harassing</label>');
    expect(form.body).toContain('<label for="details">');
    // Anonymous: no token, so the page stays free of personal state.
    expect(form.body).not.toContain('name="_csrf"');

    const reader = newReader();
    const sent = await report(id, reader, { reason: 'abusive', details: 'Insults the staff.' });
    expect(sent.statusCode).toBe(303);
    expect(sent.headers.location).toBe(`/comments/${id}/report?sent=1`);
    const thanks = await get(t, String(sent.headers.location));
    expect(thanks.statusCode).toBe(200);
    expect(thanks.body).toContain('Thank you for your report');
    expect(thanks.body).toContain(`href="/posts/${post.slug}#comment-${id}"`);

    const rows = await reportRows(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ reason: 'abusive', details: 'Insults the staff.', reviewed_at: null });
    expect(rows[0]!.reader_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(rows[0]!.ip_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(rows)).not.toContain(reader.ip);
    expect(JSON.stringify(rows)).not.toContain(reader.cookies.lectern_reader);
    // One report does not move it (threshold 3).
    expect((await commentRow(id)).status).toBe('approved');
  });

  it('re-renders the form with the error by the field and every typed value kept', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Some comment.');
    const bad = await report(id, newReader(), { reason: 'boring', details: 'It bores me <b>a lot</b>.' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="reason-error"');
    expect(bad.body).toContain('Choose one of the reasons listed');
    expect(bad.body).toContain('It bores me &lt;b&gt;a lot&lt;/b&gt;.</textarea>');
    const long = await report(id, newReader(), { reason: 'spam', details: 'x'.repeat(501) });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('id="details-error"');
    expect(long.body).toContain('Use at most 500 characters');
    expect(long.body).toContain('value="spam" checked');
    expect(await reportRows(id)).toHaveLength(0);
    // No reason at all is fine: "Something else".
    expect((await report(id, newReader(), {})).statusCode).toBe(303);
    expect((await reportRows(id))[0]).toMatchObject({ reason: 'other', details: '' });
  });

  it('gives 404 for a held or unknown comment, and refuses staff comments (no button, 403)', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'all' });
    const held = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Cy', email: 'cy@example.org', body: 'Held' } });
    await setSettings(t, { moderation: 'none' });
    const heldId = held.json().comment.id as number;
    expect((await get(t, `/comments/${heldId}/report`)).statusCode).toBe(404);
    expect((await report(heldId)).statusCode).toBe(404);
    expect((await readerApi(t, newReader(), 'POST', `/api/v1/comments/${heldId}/reports`, {})).statusCode).toBe(404);
    expect((await report(999_999)).statusCode).toBe(404);
    const unknown = await readerApi(t, newReader(), 'POST', '/api/v1/comments/999999/reports', { reason: 'spam' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
    expect(await reportRows(heldId)).toHaveLength(0);

    const staff = await staffComment(post.slug, 'The library answers.');
    expect((await commentRow(staff)).is_staff).toBe(1);
    const page = await get(t, `/posts/${post.slug}`);
    expect(page.body).toContain(`id="likes-${staff}"`);
    expect(page.body).not.toContain(`/comments/${staff}/report`);
    expect((await get(t, `/comments/${staff}/report`)).statusCode).toBe(403);
    expect((await report(staff)).statusCode).toBe(403);
    const api = await readerApi(t, newReader(), 'POST', `/api/v1/comments/${staff}/reports`, {});
    expect(api.statusCode).toBe(403);
    expect(api.json().error.message).toMatch(/staff cannot be reported/);
  });
});

describe('one report per browser and per address', () => {
  it('accepts a repeat and changes nothing, whether the cookie or the address repeats', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Reported twice.');
    const reader = newReader();
    expect((await report(id, reader)).statusCode).toBe(303);
    expect((await report(id, reader)).statusCode).toBe(303);
    // Same browser from another address, another browser from the same address.
    expect((await report(id, { cookies: reader.cookies, ip: newReader().ip })).statusCode).toBe(303);
    expect((await report(id, { cookies: {}, ip: reader.ip })).statusCode).toBe(303);
    expect(await reportRows(id)).toHaveLength(1);
    const api = await readerApi(t, reader, 'POST', `/api/v1/comments/${id}/reports`, { reason: 'spam' });
    expect(api.statusCode).toBe(200);
    expect(api.json()).toEqual({ report: { comment_id: id, created: false } });
    const fresh = await readerApi(t, newReader(), 'POST', `/api/v1/comments/${id}/reports`, { reason: 'spam', details: 'Selling watches.' });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.json()).toEqual({ report: { comment_id: id, created: true } });
    expect(await reportRows(id)).toHaveLength(2);
  });

  it('answers bad API input with the field named', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Fine comment.');
    const bad = await readerApi(t, newReader(), 'POST', `/api/v1/comments/${id}/reports`, { reason: 'boring' });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields).toHaveProperty('reason');
    const wrongType = await readerApi(t, newReader(), 'POST', `/api/v1/comments/${id}/reports`, { reason: 42 });
    expect(wrongType.statusCode).toBe(422);
    expect(wrongType.json().error.fields).toHaveProperty('reason');
    const long = await readerApi(t, newReader(), 'POST', `/api/v1/comments/${id}/reports`, { details: 'y'.repeat(501) });
    expect(long.statusCode).toBe(422);
    expect(long.json().error.fields).toHaveProperty('details');
    expect(await reportRows(id)).toHaveLength(0);
  });
});

describe('report_threshold', () => {
  it('sends an approved comment back to the queue at 3 readers, with why, and off the cached page', async () => {
    const post = await publishPost(t, { title: 'Reported on a cached page' });
    const id = await approvedComment(t, post.slug, 'Buy cheap watches at example.com', 'Spammy');
    const keep = await approvedComment(t, post.slug, 'A real answer.');
    expect(await postCount(post.id)).toBe(2);
    await report(id, newReader(), { reason: 'spam', details: 'Advert.' });
    await report(id, newReader(), { reason: 'spam' });
    expect((await commentRow(id)).status).toBe('approved');

    // The page is stored; the third report must take the comment off it at once.
    await get(t, `/posts/${post.slug}`);
    const cached = await get(t, `/posts/${post.slug}`);
    expect(cached.headers['x-page-cache']).toBe('hit');
    expect(cached.body).toContain(`id="comment-${id}"`);

    await readerApi(t, newReader(), 'POST', `/api/v1/comments/${id}/reports`, { reason: 'abusive', details: 'Third one.' });
    const row = await commentRow(id);
    expect(row.status).toBe('pending');
    expect(JSON.parse(row.reasons)).toContain('reported by 3 readers');
    expect(await postCount(post.id)).toBe(1);
    const log = await t.db.kysely.selectFrom('moderation_log').selectAll().where('comment_id', '=', id).execute();
    expect(log).toEqual([expect.objectContaining({ actor_id: null, actor_name: 'Reader reports', from_status: 'approved', to_status: 'pending' })]);

    const after = await get(t, `/posts/${post.slug}`);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(after.body).not.toContain(`id="comment-${id}"`);
    expect(after.body).toContain(`id="comment-${keep}"`);
    expect(after.body).toContain('1 Response to');
    expect((await get(t, `/api/v1/posts/${post.slug}`)).json().comments.map((c: { id: number }) => c.id)).toEqual([keep]);
    // A fourth reader finds nothing to report.
    expect((await report(id)).statusCode).toBe(404);

    // The queue shows why, and the reports: in the admin page…
    const admin = await signIn(t, 'editor');
    const queue = await get(t, '/admin/comments?status=pending', admin.cookies);
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain('Held because: reported by 3 readers');
    expect(queue.body).toContain('3 reader reports');
    expect(queue.body).toContain('<strong>Spam or advertising</strong>: Advert.');
    expect(queue.body).toContain('<strong>Abusive, hateful or harassing</strong>: Third one.');
    // …and in the API.
    const api = await t.app.inject({ url: '/api/v1/comments?status=pending', headers: moderator.headers });
    const item = api.json().comments.find((c: { id: number }) => c.id === id);
    expect(item.reasons).toEqual(['reported by 3 readers']);
    expect(item.reports.open).toBe(3);
    expect(item.reports.reviewed).toBe(0);
    expect(item.reports.items.map((r: { reason: string }) => r.reason).sort()).toEqual(['abusive', 'spam', 'spam']);
    expect(item.reports.items[0]).toEqual({ reason: 'abusive', reason_label: 'Abusive, hateful or harassing', details: 'Third one.', created_at: expect.any(String) });
    // Only moderators see reports.
    const author = await apiToken(t, 'author');
    expect((await t.app.inject({ url: '/api/v1/comments?status=pending', headers: author.headers })).statusCode).toBe(403);
  });

  it('is not undone by the old reports once a moderator approves again; new readers count from zero', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Controversial but fine.');
    const first = [newReader(), newReader(), newReader()];
    for (const r of first) await report(id, r);
    expect((await commentRow(id)).status).toBe('pending');

    const approve = await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}`, headers: moderator.headers, payload: { status: 'approved' } });
    expect(approve.statusCode).toBe(200);
    expect((await reportRows(id)).every((r) => r.reviewed_at !== null)).toBe(true);
    expect(await postCount(post.id)).toBe(1);

    // The same readers again: not counted. Two new ones: below the threshold.
    for (const r of first) await report(id, r);
    await report(id, newReader());
    await report(id, newReader());
    expect((await commentRow(id)).status).toBe('approved');
    const api = await t.app.inject({ url: '/api/v1/comments?status=approved', headers: moderator.headers });
    expect(api.json().comments.find((c: { id: number }) => c.id === id).reports).toMatchObject({ open: 2, reviewed: 3 });

    // A third new reader reaches it again; the reason is not repeated.
    await report(id, newReader());
    const row = await commentRow(id);
    expect(row.status).toBe('pending');
    expect(JSON.parse(row.reasons)).toEqual(['reported by 3 readers']);
  });

  it('never moves a comment at 0, and the setting is on the discussion settings page', async () => {
    const admin = await signIn(t, 'admin');
    const settings = await get(t, '/admin/settings/discussion', admin.cookies);
    expect(settings.body).toContain('<label for="report_threshold">');
    expect(settings.body).toContain('id="report_threshold" name="report_threshold" type="number" min="0" max="1000" value="3"');
    const fields = {
      moderation: 'none', hold_links: '0', hold_words: '', block_words: '', close_after_days: '0', thread_depth: '5', comment_rate_per_minute: '10000',
    };
    const bad = await postForm(t, admin, '/admin/settings/discussion', { ...fields, report_threshold: 'lots' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="report_threshold-error"');
    expect(bad.body).toContain('value="lots"');
    const saved = await postForm(t, admin, '/admin/settings/discussion', { ...fields, report_threshold: '0' });
    expect(saved.statusCode).toBe(303);

    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Nobody can report me away.');
    for (let i = 0; i < 5; i++) await report(id);
    expect(await reportRows(id)).toHaveLength(5);
    expect((await commentRow(id)).status).toBe('approved');
    await setSettings(t, { report_threshold: 3 });
  });
});

describe('privacy', () => {
  it('forgets the address hashes of likes and reports with the comments’ retention', async () => {
    const post = await publishPost(t);
    const id = await approvedComment(t, post.slug, 'Liked and reported.');
    const reader = newReader();
    await report(id, reader);
    await readerForm(t, reader, `/comments/${id}/like`);
    const now = new Date(Date.now() + 31 * 86_400_000);
    const result = await runUpkeep(t.db.kysely, now);
    expect(result.ipHashesPurged).toBeGreaterThanOrEqual(2);
    expect((await reportRows(id))[0]!.ip_hash).toBeNull();
    const like = await t.db.kysely.selectFrom('likes').select('ip_hash').where('comment_id', '=', id).executeTakeFirstOrThrow();
    expect(like.ip_hash).toBeNull();
    // The rate-limit windows are gone too.
    expect(await t.db.kysely.selectFrom('reaction_limits').selectAll().execute()).toEqual([]);
  });
});
