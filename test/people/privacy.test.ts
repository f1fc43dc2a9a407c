import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { apiToken, buildTestApp, getCsrf, makeUser, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { enqueueMail } from '../../server/services/mail/queue.js';
import { runUpkeep } from '../../server/services/scheduler.js';
import { createInvitation } from '../../server/services/invitations.js';
import { createResetLink } from '../../server/services/password-reset.js';
import { findEverywhere } from './helpers.js';

let t: TestApp;
let admin: Browser;
beforeEach(async () => {
  t = await buildTestApp();
  admin = await signIn(t, 'admin');
});
afterEach(() => t.close());

const ANN = 'ann@example.org';
const BO = 'bo@example.org';
const db = () => t.db.kysely as unknown as Kysely<any>;
const tables = async () => new Set((await t.db.kysely.introspection.getTables()).map((x) => x.name));

async function postComment(slug: string, fields: Record<string, string>, ip = '10.1.1.1') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress: ip,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
  expect(res.statusCode).toBe(303);
  return Number(/#comment-(\d+)$/.exec(res.headers.location as string)![1]);
}
const setStatus = (id: number, status: string) => t.db.kysely.updateTable('comments').set({ status: status as 'approved' }).where('id', '=', id).execute();

/**
 * Ann has: a patron account; comments approved, pending, spam and rejected (one stored with
 * her address in another case, as an import would); subscriptions, mail, an invitation, a
 * reset link. Bo, another person, has his own, one of them a reply to Ann.
 */
async function seed() {
  await setSettings(t, { moderation: 'none' });
  const post = await publishPost(t);
  const ann = await makeUser(t, 'patron', { username: 'ann', display_name: 'Ann Example', email: 'Ann@Example.org' });
  const annTop = await postComment(post.slug, { name: 'Ann Example', email: ANN, url: 'https://ann.example', body: 'Ann says hello' });
  const boReply = await postComment(post.slug, { name: 'Bo', email: BO, body: 'Bo answers Ann', parent_id: String(annTop) }, '10.2.2.2');
  const annReply = await postComment(post.slug, { name: 'Ann Example', email: ANN, body: 'Ann replies to Bo', parent_id: String(boReply) });
  const annPending = await postComment(post.slug, { name: 'Ann E.', email: ANN, body: 'Ann pending words' });
  const annSpam = await postComment(post.slug, { name: 'Ann', email: ANN, body: 'Ann spam words' });
  const annRejected = await postComment(post.slug, { name: 'Ann', email: ANN, body: 'Ann rejected words' });
  await setStatus(annPending, 'pending');
  await setStatus(annSpam, 'spam');
  await setStatus(annRejected, 'rejected');
  await t.db.kysely.updateTable('comments').set({ author_email: 'ANN@Example.ORG' }).where('id', '=', annRejected).execute();
  // From her account, signed in.
  const cookies = { lectern_session: await startSession(t.db.kysely, ann.id) };
  const form = await getCsrf(t, `/posts/${post.slug}`, cookies);
  await postForm(t, form, `/posts/${post.slug}/comments`, { body: 'Ann from her account' });
  const annAccount = (await t.db.kysely.selectFrom('comments').select('id').where('body_md', '=', 'Ann from her account').executeTakeFirstOrThrow()).id;
  await setStatus(annAccount, 'pending');
  const boOther = await postComment(post.slug, { name: 'Bo', email: BO, body: 'Bo on his own' }, '10.2.2.2');
  // Statuses were set straight in the table above; bring the count back in line (4 approved).
  const approved = await t.db.kysely.selectFrom('comments').select('id').where('status', '=', 'approved').execute();
  await t.db.kysely.updateTable('posts').set({ comment_count: approved.length }).where('id', '=', post.id).execute();

  if (!(await tables()).has('subscriptions')) {
    await sql`create table subscriptions (id integer primary key, email text not null, post_id integer not null, kind text not null, created_at text not null)`.execute(t.db.kysely);
  }
  const now = new Date().toISOString();
  await db().insertInto('subscriptions').values([
    { email: ANN, post_id: post.id, kind: 'replies', created_at: now },
    { email: BO, post_id: post.id, kind: 'post', created_at: now },
  ]).execute();
  if ((await tables()).has('mail_optouts')) {
    await db().insertInto('mail_optouts').values([{ email: ANN, kind: 'digest', created_at: now }, { email: BO, kind: 'digest', created_at: now }]).execute();
  }
  if ((await tables()).has('subscription_requests')) {
    await db().insertInto('subscription_requests').values({ comment_id: annPending, email: ANN, post_id: post.id, replies: 1, new_comments: 0, created_at: now }).execute();
  }
  await enqueueMail(t.db.kysely, { kind: 'reply', to: ANN, subject: 'Bo replied', text: 'Bo answered you.' });
  await enqueueMail(t.db.kysely, { kind: 'held', to: BO, subject: 'A comment is waiting', text: `From Ann Example <${ANN}>: Ann pending words` });
  await enqueueMail(t.db.kysely, { kind: 'reply', to: BO, subject: 'Ann replied', text: 'Someone answered you.' });
  await createInvitation(t.db.kysely, admin.user, { role: 'author', email: 'ANN@example.org' }, { baseUrl: t.config.baseUrl, mail: false, siteName: 'Lectern' });
  await createResetLink(t.db.kysely, ann.id, t.config.baseUrl);
  return { post, ann, ids: { annTop, boReply, annReply, annPending, annSpam, annRejected, annAccount, boOther } };
}

describe('finding and exporting one person’s data', () => {
  it('shows everything stored for the address, case-insensitively', async () => {
    await seed();
    const res = await t.app.inject({ url: `/admin/privacy?email=${encodeURIComponent(' ANN@example.ORG ')}`, cookies: admin.cookies });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`Stored for ${ANN}`);
    expect(res.body).toContain('<h3>Comments (6)</h3>');
    for (const text of ['Ann says hello', 'Ann pending words', 'Ann spam words', 'Ann rejected words', 'Ann from her account', 'Ann replies to Bo']) expect(res.body).toContain(text);
    expect(res.body).not.toContain('Bo answers Ann');
    expect(res.body).toContain('<h3>Mail (1)</h3>');
    expect(res.body).toContain('<li>replies · post');
    const bad = await t.app.inject({ url: '/admin/privacy?email=nope', cookies: admin.cookies });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="email-error"');
    const none = await t.app.inject({ url: '/admin/privacy?email=nobody@example.org', cookies: admin.cookies });
    expect(none.body).toContain('Nothing is stored for this address.');
  });

  it('exports exactly the person’s data, and nothing of anyone else’s', async () => {
    const { ann, ids } = await seed();
    const res = await postForm(t, admin, '/admin/privacy/export', { email: 'Ann@example.org' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="personal-data-\d{4}-\d{2}-\d{2}\.json"$/);
    const data = res.json();
    expect(data.email).toBe(ANN);
    expect(data.accounts.map((a: { id: number }) => a.id)).toEqual([ann.id]);
    expect(data.accounts[0]).not.toHaveProperty('password_hash');
    expect(data.comments.map((c: { id: number }) => c.id).sort((a: number, b: number) => a - b)).toEqual(
      [ids.annTop, ids.annReply, ids.annPending, ids.annSpam, ids.annRejected, ids.annAccount].sort((a, b) => a - b),
    );
    expect(new Set(data.comments.map((c: { status: string }) => c.status))).toEqual(new Set(['approved', 'pending', 'spam', 'rejected']));
    expect(data.subscriptions).toEqual([expect.objectContaining({ email: ANN, kind: 'replies' })]);
    expect(data.mail).toEqual([expect.objectContaining({ to_address: ANN, subject: 'Bo replied' })]);
    expect(data.invitations).toHaveLength(1);
    for (const rows of Object.values(data.other_records) as Record<string, unknown>[][]) {
      for (const row of rows) expect(String(row.email).toLowerCase()).toBe(ANN);
    }
    const text = JSON.stringify(data);
    expect(text).not.toContain(BO);
    expect(text).not.toContain('Bo answers Ann');
    expect(text).not.toContain('Bo on his own');
    expect(text).not.toContain('scrypt$');
    // Logged, without the address.
    const log = await t.db.kysely.selectFrom('privacy_log').selectAll().execute();
    expect(log).toMatchObject([{ action: 'export', actor_id: admin.user.id }]);
    expect(JSON.stringify(log).toLowerCase()).not.toContain('ann');

    const api = await apiToken(t, 'admin');
    const viaApi = await t.app.inject({ url: `/api/v1/privacy?email=${encodeURIComponent(ANN)}`, headers: api.headers });
    expect(viaApi.statusCode).toBe(200);
    expect(viaApi.json().comments).toHaveLength(6);
    expect(JSON.stringify(viaApi.json())).not.toContain(BO);
  });
});

describe('erasing one person', () => {
  it('anonymises: comments keep their text as "Anonymous"; no trace of the email anywhere; others untouched', async () => {
    const { post, ann, ids } = await seed();
    expect((await findEverywhere(t, ANN)).length).toBeGreaterThan(0);
    const beforeBo = await findEverywhere(t, BO);
    const refused = await postForm(t, admin, '/admin/privacy/erase', { email: ANN, mode: 'anonymise' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('id="confirm-error"');

    const res = await postForm(t, admin, '/admin/privacy/erase', { email: 'ANN@example.org', mode: 'anonymise', confirm: 'yes' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Comments anonymised: 6');
    expect(res.body).toContain('The address appears nowhere in the database any more.');

    expect(await findEverywhere(t, ANN)).toEqual([]);
    expect(await findEverywhere(t, 'ann.example')).toEqual([]);
    const kept = await t.db.kysely.selectFrom('comments').selectAll().where('id', 'in', [ids.annTop, ids.annSpam, ids.annAccount]).execute();
    expect(kept).toHaveLength(3);
    for (const c of kept) expect(c).toMatchObject({ author_name: 'Anonymous', author_email: '', author_url: '', ip_hash: null, user_id: null });
    expect(kept.find((c) => c.id === ids.annTop)!.body_md).toBe('Ann says hello');
    expect(await t.db.kysely.selectFrom('users').select('id').where('id', '=', ann.id).executeTakeFirst()).toBeUndefined();
    expect((await t.db.kysely.selectFrom('posts').select('comment_count').where('id', '=', post.id).executeTakeFirstOrThrow()).comment_count).toBe(4);
    // Bo keeps everything of his, except the moderator notice that named Ann.
    const afterBo = await findEverywhere(t, BO);
    expect(afterBo).toEqual(beforeBo);
    const bo = await t.db.kysely.selectFrom('comments').selectAll().where('author_email', '=', BO).execute();
    expect(bo.map((c) => c.body_md).sort()).toEqual(['Bo answers Ann', 'Bo on his own']);
    const boMail = await t.db.kysely.selectFrom('mail_queue').select('subject').where('to_address', '=', BO).execute();
    expect(boMail).toEqual([{ subject: 'Ann replied' }]);
    expect(await db().selectFrom('subscriptions').select('email').execute()).toEqual([{ email: BO }]);
    // The public page shows the kept text under "Anonymous".
    const page = await t.app.inject(`/posts/${post.slug}`);
    expect(page.body).toContain('Ann says hello');
    expect(page.body).not.toContain('Ann Example');
  });

  it('deletes: her comments go, replies by others move up the thread, counts follow; no trace anywhere', async () => {
    const { post, ids } = await seed();
    const api = await apiToken(t, 'admin');
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/privacy/erase', headers: api.headers, payload: { email: ANN, mode: 'delete' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      erased: expect.objectContaining({ mode: 'delete', comments_deleted: 6, comments_anonymised: 0, accounts_deleted: 1, subscriptions_deleted: 1, mail_deleted: 2, invitations_deleted: 1 }),
      remaining: [],
    });
    expect(await findEverywhere(t, ANN)).toEqual([]);
    const left = await t.db.kysely.selectFrom('comments').selectAll().orderBy('id').execute();
    expect(left.map((c) => c.id)).toEqual([ids.boReply, ids.boOther]);
    // Bo's reply to Ann's deleted comment is now top-level.
    expect(left[0]!.parent_id).toBeNull();
    expect((await t.db.kysely.selectFrom('posts').select('comment_count').where('id', '=', post.id).executeTakeFirstOrThrow()).comment_count).toBe(2);
    expect(await t.db.kysely.selectFrom('password_resets').selectAll().execute()).toEqual([]);
  });

  it('records every erasure in the audit log with counts, never the address or the name', async () => {
    await seed();
    await postForm(t, admin, '/admin/privacy/erase', { email: ANN, mode: 'delete', confirm: 'yes' });
    const log = await t.db.kysely.selectFrom('privacy_log').selectAll().execute();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ action: 'erase', actor_id: admin.user.id, actor_name: admin.user.display_name });
    expect(JSON.parse(log[0]!.details)).toMatchObject({ mode: 'delete', comments_deleted: 6, accounts_deleted: 1 });
    expect(JSON.stringify(log).toLowerCase()).not.toMatch(/ann|example\.org/);
    const page = await t.app.inject({ url: '/admin/privacy', cookies: admin.cookies });
    expect(page.body).toMatch(/<td>erase<\/td><td>mode: delete, comments deleted: 6/);
  });

  it('reports where the address still appears in what others wrote, for a person to review', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await postComment(post.slug, { name: 'Ann', email: ANN, body: 'Mine' });
    await postComment(post.slug, { name: 'Cy', email: 'cy@example.org', body: `Write to ${ANN} for the book club` });
    const res = await postForm(t, admin, '/admin/privacy/erase', { email: ANN, mode: 'delete', confirm: 'yes' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('The address still appears elsewhere');
    expect(res.body).toContain('comments.body_md: 1 row(s)');
  });

  it('refuses to erase a staff account’s address: its posts need a new owner first (409)', async () => {
    const staff = await makeUser(t, 'author', { email: 'staff@library.example' });
    const res = await postForm(t, admin, '/admin/privacy/erase', { email: 'staff@library.example', mode: 'delete', confirm: 'yes' });
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain(`belongs to the staff account &quot;${staff.username}&quot;`);
    expect(await t.db.kysely.selectFrom('users').select('id').where('id', '=', staff.id).executeTakeFirst()).toBeDefined();
    expect(await t.db.kysely.selectFrom('privacy_log').selectAll().execute()).toEqual([]);
  });
});

describe('IP hashes are forgotten by age', () => {
  it('purges comments.ip_hash older than the setting (default 30 days) at upkeep, and nothing newer', async () => {
    const post = await publishPost(t);
    const ids = [await postComment(post.slug, { name: 'A', email: 'a@example.org', body: 'old' }, '10.0.0.1'),
      await postComment(post.slug, { name: 'B', email: 'b@example.org', body: 'middle' }, '10.0.0.2'),
      await postComment(post.slug, { name: 'C', email: 'c@example.org', body: 'new' }, '10.0.0.3')];
    const now = new Date('2030-06-01T12:00:00Z');
    const ago = (days: number) => new Date(now.getTime() - days * 86_400_000).toISOString();
    await t.db.kysely.updateTable('comments').set({ created_at: ago(31) }).where('id', '=', ids[0]!).execute();
    await t.db.kysely.updateTable('comments').set({ created_at: ago(10) }).where('id', '=', ids[1]!).execute();
    await t.db.kysely.updateTable('comments').set({ created_at: ago(1) }).where('id', '=', ids[2]!).execute();
    const hashes = async () => (await t.db.kysely.selectFrom('comments').select(['id', 'ip_hash']).orderBy('id').execute()).map((r) => r.ip_hash !== null);

    expect(await hashes()).toEqual([true, true, true]);
    expect(await runUpkeep(t.db.kysely, now)).toMatchObject({ ipHashesPurged: 1 });
    expect(await hashes()).toEqual([false, true, true]);
    expect(await runUpkeep(t.db.kysely, now)).toMatchObject({ ipHashesPurged: 0 });
    await setSettings(t, { ip_hash_retention_days: 7 });
    expect(await runUpkeep(t.db.kysely, now)).toMatchObject({ ipHashesPurged: 1 });
    expect(await hashes()).toEqual([false, false, true]);
    // The comments themselves stay.
    expect(await t.db.kysely.selectFrom('comments').select('id').execute()).toHaveLength(3);
  });
});
