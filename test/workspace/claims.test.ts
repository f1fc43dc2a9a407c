import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost } from '../helpers/content.js';
import { api, postComment, statusOf } from './helpers.js';

let t: TestApp;
let post: { id: number; slug: string };
beforeEach(async () => {
  t = await buildTestApp();
  post = await publishPost(t);
});
afterEach(() => t.close());

const claimRow = (id: number) => t.db.kysely.selectFrom('comment_claims').selectAll().where('comment_id', '=', id).executeTakeFirst();

describe('claims through the API', () => {
  it('lets one moderator hold an item; another is refused by name until they take it over', async () => {
    const ann = await apiToken(t, 'editor');
    const bo = await apiToken(t, 'admin');
    const id = await postComment(t, post.slug);

    const first = await api(t, ann.headers, 'POST', `/api/v1/comments/${id}/claim`, {});
    expect(first.statusCode).toBe(200);
    expect(first.json().claim).toMatchObject({ comment_id: id, user: { id: ann.user.id, name: ann.user.display_name } });

    const second = await api(t, bo.headers, 'POST', `/api/v1/comments/${id}/claim`, {});
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('conflict');
    expect(second.json().error.message).toContain(`Claimed by ${ann.user.display_name}`);

    // Acting on it is refused too, and nothing moves.
    const act = await api(t, bo.headers, 'PATCH', `/api/v1/comments/${id}`, { status: 'approved' });
    expect(act.statusCode).toBe(409);
    expect(act.json().error.message).toContain(ann.user.display_name);
    expect(await statusOf(t, id)).toBe('pending');
    const bulk = await api(t, bo.headers, 'POST', '/api/v1/comments/bulk', { ids: [id], status: 'spam' });
    expect(bulk.statusCode).toBe(409);
    expect(await statusOf(t, id)).toBe('pending');
    expect((await api(t, bo.headers, 'DELETE', `/api/v1/comments/${id}`)).statusCode).toBe(409);
    expect(await statusOf(t, id)).toBe('pending');
    // Nor may Bo release Ann's claim.
    expect((await api(t, bo.headers, 'DELETE', `/api/v1/comments/${id}/claim`)).statusCode).toBe(409);

    // Claiming again refreshes one's own claim.
    expect((await api(t, ann.headers, 'POST', `/api/v1/comments/${id}/claim`)).statusCode).toBe(200);

    const takeOver = await api(t, bo.headers, 'POST', `/api/v1/comments/${id}/claim`, { take_over: true });
    expect(takeOver.statusCode).toBe(200);
    expect((await claimRow(id))?.user_id).toBe(bo.user.id);
    expect((await api(t, ann.headers, 'PATCH', `/api/v1/comments/${id}`, { status: 'spam' })).json().error.message).toContain(`Claimed by ${bo.user.display_name}`);

    // Acting releases the claim.
    expect((await api(t, bo.headers, 'PATCH', `/api/v1/comments/${id}`, { status: 'approved' })).statusCode).toBe(200);
    expect(await claimRow(id)).toBeUndefined();
    expect(await statusOf(t, id)).toBe('approved');
  });

  it('lets a claim lapse after its time, and keeps it alive while its holder writes notes', async () => {
    const ann = await apiToken(t, 'editor');
    const bo = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug);
    await api(t, ann.headers, 'POST', `/api/v1/comments/${id}/claim`);
    const past = new Date(Date.now() - 60_000).toISOString();
    await t.db.kysely.updateTable('comment_claims').set({ expires_at: new Date(Date.now() + 60_000).toISOString() }).execute();
    const before = (await claimRow(id))!.expires_at;
    expect((await api(t, ann.headers, 'POST', `/api/v1/comments/${id}/notes`, { body: 'Checking with the branch' })).statusCode).toBe(201);
    expect((await claimRow(id))!.expires_at > before).toBe(true);

    await t.db.kysely.updateTable('comment_claims').set({ expires_at: past }).execute();
    // A lapsed claim does not stop anyone, and a new claim goes through without taking over.
    const claim = await api(t, bo.headers, 'POST', `/api/v1/comments/${id}/claim`);
    expect(claim.statusCode).toBe(200);
    expect(claim.json().claim.user.id).toBe(bo.user.id);
  });

  it('lets exactly one of two simultaneous claims win (decided in the database)', async () => {
    const ann = await apiToken(t, 'editor');
    const bo = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug);
    const answers = await Promise.all([ann, bo].map((who) => api(t, who.headers, 'POST', `/api/v1/comments/${id}/claim`)));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const winner = answers.find((a) => a.statusCode === 200)!.json().claim.user.id;
    expect((await claimRow(id))?.user_id).toBe(winner);
  });

  it('releases one’s own claim; refuses authors; 404 for an unknown comment', async () => {
    const ann = await apiToken(t, 'editor');
    const author = await apiToken(t, 'author');
    const id = await postComment(t, post.slug);
    await api(t, ann.headers, 'POST', `/api/v1/comments/${id}/claim`);
    expect((await api(t, ann.headers, 'DELETE', `/api/v1/comments/${id}/claim`)).statusCode).toBe(204);
    expect(await claimRow(id)).toBeUndefined();
    expect((await api(t, author.headers, 'POST', `/api/v1/comments/${id}/claim`)).statusCode).toBe(403);
    expect((await api(t, author.headers, 'DELETE', `/api/v1/comments/${id}/claim`)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/comments/${id}/claim` })).statusCode).toBe(401);
    expect((await api(t, ann.headers, 'POST', '/api/v1/comments/999999/claim')).statusCode).toBe(404);
    expect(await claimRow(id)).toBeUndefined();
  });
});

describe('claims in the queue', () => {
  it('shows "Claimed by <name>" to other moderators, refuses their action with that name, and lets them take over', async () => {
    const ann = await signIn(t, 'editor');
    const bo = await signIn(t, 'admin');
    const id = await postComment(t, post.slug);

    const queue = await t.app.inject({ url: '/admin/comments?status=pending', cookies: ann.cookies });
    expect(queue.body).toMatch(new RegExp(`action="/admin/comments/${id}/claim"[\\s\\S]*?data-key="c"`));
    const claimed = await postForm(t, ann, `/admin/comments/${id}/claim`, { return_to: '/admin/comments?status=pending' });
    expect(claimed.statusCode).toBe(303);
    expect(claimed.headers.location).toBe(`/admin/comments?status=pending#q-${id}`);
    expect((await t.app.inject({ url: '/admin/comments', cookies: ann.cookies })).body).toContain('Claimed by you');

    const seen = await t.app.inject({ url: '/admin/comments', cookies: bo.cookies });
    expect(seen.body).toContain(`Claimed by ${ann.user.display_name}`);
    expect(seen.body).toContain('Take over');

    const refused = await postForm(t, bo, `/admin/comments/${id}/status`, { status: 'approved', return_to: '/admin/comments' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain(`Claimed by ${ann.user.display_name}`);
    // A page that says what happened and leads back to the queue, not a generic error.
    expect(refused.body).toContain('That could not be done');
    expect(refused.body).toContain('<a href="/admin/comments">Back to the moderation queue</a>');
    expect(await statusOf(t, id)).toBe('pending');

    expect((await postForm(t, bo, `/admin/comments/${id}/claim`, { take_over: 'on', return_to: '/admin/comments' })).statusCode).toBe(303);
    expect((await t.app.inject({ url: '/admin/comments', cookies: ann.cookies })).body).toContain(`Claimed by ${bo.user.display_name}`);
    expect((await postForm(t, bo, `/admin/comments/${id}/status`, { status: 'approved', return_to: '/admin/comments' })).statusCode).toBe(303);
    expect(await statusOf(t, id)).toBe('approved');
    expect(await claimRow(id)).toBeUndefined();
  });

  it('releases from the queue, and refuses authors and forms without the CSRF token', async () => {
    const ann = await signIn(t, 'editor');
    const author = await signIn(t, 'author');
    const id = await postComment(t, post.slug);
    await postForm(t, ann, `/admin/comments/${id}/claim`, {});
    expect((await postForm(t, ann, `/admin/comments/${id}/release`, {})).statusCode).toBe(303);
    expect(await claimRow(id)).toBeUndefined();
    expect((await postForm(t, author, `/admin/comments/${id}/claim`, {})).statusCode).toBe(403);
    expect((await postForm(t, { cookies: ann.cookies, csrf: 'wrong' }, `/admin/comments/${id}/claim`, {})).statusCode).toBe(403);
    expect(await claimRow(id)).toBeUndefined();
  });
});
