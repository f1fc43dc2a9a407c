import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPost, apiToken, buildTestApp, getCsrf, logIn, makeUser, parseSetCookies, PASSWORD, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost } from '../helpers/content.js';
import { createApiToken } from '../../server/services/api-tokens.js';
import { startSession } from '../../server/services/auth.js';
import { changeRole } from '../../server/services/people.js';
import { sha256 } from '../../server/services/tokens.js';
import { mailsTo, linkIn, shownValue } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

const userRow = (id: number) => t.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
const sessionsOf = async (id: number) => (await t.db.kysely.selectFrom('sessions').select('id').where('user_id', '=', id).execute()).length;
const opensStaffArea = async (cookie: string) => (await t.app.inject({ url: '/admin/posts', cookies: { lectern_session: cookie } })).statusCode === 200;

describe('the staff list', () => {
  it('shows each user with role, state, last sign-in and post and comment counts', async () => {
    const admin = await signIn(t, 'admin');
    const author = await makeUser(t, 'author', { username: 'bea', display_name: 'Beatrix' });
    await addPost(t, author);
    await addPost(t, author);
    const post = await publishPost(t);
    const browser = { cookies: { lectern_session: await startSession(t.db.kysely, author.id) } };
    const form = await getCsrf(t, `/posts/${post.slug}`, browser.cookies);
    const commented = await postForm(t, form, `/posts/${post.slug}/comments`, { body: 'A staff reply' });
    expect(commented.statusCode).toBe(303);

    const res = await t.app.inject({ url: '/admin/users', cookies: admin.cookies });
    expect(res.statusCode).toBe(200);
    const row = /<tr>\s*<td>bea<\/td>([\s\S]*?)<\/tr>/.exec(res.body)![1]!;
    const cells = [...row.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(cells.slice(0, 6)).toEqual(['Beatrix', 'author', 'active', expect.stringMatching(/ at /), '2', '1']);
    expect(res.body).toContain(`<a href="/admin/users/${author.id}" aria-label="Manage bea">Manage</a>`);
  });
});

describe('invitations', () => {
  it('makes a single-use link, shown to copy and mailed when mail is set up, that creates the account', async () => {
    await t.close();
    t = await buildTestApp({ SMTP_URL: 'smtp://mail.example:587', BASE_URL: 'https://blog.example.org' });
    const admin = await signIn(t, 'admin');
    const res = await postForm(t, admin, '/admin/users/invite', { invite_role: 'editor', invite_email: 'New.Editor@Library.example' });
    expect(res.statusCode).toBe(201);
    const url = shownValue(res.body, 'Invitation link');
    expect(url).toMatch(/^https:\/\/blog\.example\.org\/invite\/[\w-]{40,}$/);
    expect(res.body).toContain('mailed to new.editor@library.example');
    const [mail] = await mailsTo(t, 'new.editor@library.example');
    expect(mail).toMatchObject({ kind: 'invite', status: 'queued' });
    expect(linkIn(mail!.text_body, '/invite/')).toBe(new URL(url).pathname);
    // Stored hashed only.
    const token = new URL(url).pathname.split('/').pop()!;
    const stored = await t.db.kysely.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(sha256(token));
    expect(JSON.stringify(stored)).not.toContain(token);
    // Listed as waiting.
    expect((await t.app.inject({ url: '/admin/users', cookies: admin.cookies })).body).toContain('Waiting to be accepted');

    const page = await t.app.inject(`/invite/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('invited to join as <strong>editor</strong>');
    expect(page.body).toContain('value="new.editor@library.example"');
    const form = await getCsrf(t, `/invite/${token}`);
    const weak = await postForm(t, form, `/invite/${token}`, { username: 'newed', display_name: 'New Ed', password: 'short', password_confirm: 'short' });
    expect(weak.statusCode).toBe(422);
    expect(weak.body).toContain('value="New Ed"');
    const accepted = await postForm(t, form, `/invite/${token}`, { username: 'newed', display_name: 'New Ed', email: 'new.editor@library.example', password: PASSWORD, password_confirm: PASSWORD });
    expect(accepted.statusCode).toBe(303);
    expect(accepted.headers.location).toBe('/admin?welcome=1');
    const user = await t.db.kysely.selectFrom('users').selectAll().where('username', '=', 'newed').executeTakeFirstOrThrow();
    expect(user).toMatchObject({ role: 'editor', display_name: 'New Ed', email: 'new.editor@library.example' });
    const cookies = parseSetCookies(accepted);
    expect(await opensStaffArea(cookies.lectern_session!)).toBe(true);

    // Single use: the same link again is refused, and creates nothing.
    const again = await t.app.inject(`/invite/${token}`);
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('already been used');
    const form2 = await getCsrf(t, '/account/login');
    const reuse = await postForm(t, form2, `/invite/${token}`, { username: 'second', display_name: 'X', password: PASSWORD, password_confirm: PASSWORD });
    expect(reuse.statusCode).toBe(404);
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'second').executeTakeFirst()).toBeUndefined();
  });

  it('works without mail too: the link is shown, nothing is queued', async () => {
    const admin = await signIn(t, 'admin');
    const res = await postForm(t, admin, '/admin/users/invite', { invite_role: 'author', invite_email: 'someone@library.example' });
    expect(res.statusCode).toBe(201);
    expect(shownValue(res.body, 'Invitation link')).toContain('/invite/');
    expect(await mailsTo(t, 'someone@library.example')).toEqual([]);
  });

  it('expires after 7 days', async () => {
    const admin = await signIn(t, 'admin');
    const res = await postForm(t, admin, '/admin/users/invite', { invite_role: 'author', invite_email: '' });
    const token = shownValue(res.body, 'Invitation link').split('/').pop()!;
    const row = await t.db.kysely.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
    expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(7 * 24 * 3600 * 1000);
    expect((await t.app.inject(`/invite/${token}`)).statusCode).toBe(200);
    await t.db.kysely.updateTable('invitations').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).execute();
    const page = await t.app.inject(`/invite/${token}`);
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('This invitation has expired');
    const form = await getCsrf(t, '/account/login');
    const late = await postForm(t, form, `/invite/${token}`, { username: 'late', display_name: 'Late', password: PASSWORD, password_confirm: PASSWORD });
    expect(late.statusCode).toBe(404);
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'late').executeTakeFirst()).toBeUndefined();
  });

  it('refuses a bad role or email with 422, keeping the values; can be withdrawn', async () => {
    const admin = await signIn(t, 'admin');
    const bad = await postForm(t, admin, '/admin/users/invite', { invite_role: 'patron', invite_email: 'not-an-email' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="invite_role-error"');
    expect(bad.body).toContain('id="invite_email-error"');
    expect(bad.body).toContain('value="not-an-email"');
    const ok = await postForm(t, admin, '/admin/users/invite', { invite_role: 'author', invite_email: '' });
    const token = shownValue(ok.body, 'Invitation link').split('/').pop()!;
    const { id } = await t.db.kysely.selectFrom('invitations').select('id').executeTakeFirstOrThrow();
    const revoked = await postForm(t, admin, `/admin/users/invitations/${id}/revoke`, {});
    expect(revoked.statusCode).toBe(303);
    expect((await t.app.inject(`/invite/${token}`)).statusCode).toBe(404);
  });
});

describe('roles, disabling and deleting', () => {
  it('changes a role', async () => {
    const admin = await signIn(t, 'admin');
    const author = await makeUser(t, 'author');
    const res = await postForm(t, admin, `/admin/users/${author.id}/role`, { role: 'editor' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/users/${author.id}?done=role`);
    expect((await userRow(author.id))!.role).toBe('editor');
    const bad = await postForm(t, admin, `/admin/users/${author.id}/role`, { role: 'king' });
    expect(bad.statusCode).toBe(422);
  });

  it('disables a user: their sessions and API tokens end at once, posts stay; enabling lets them sign in again', async () => {
    const admin = await signIn(t, 'admin');
    const editor = await signIn(t, 'editor');
    const second = await startSession(t.db.kysely, editor.user.id);
    const { token } = await createApiToken(t.db.kysely, editor.user, 'sync');
    const postId = await addPost(t, editor.user, { title: 'Stays attributed' });
    expect(await opensStaffArea(editor.cookies.lectern_session!)).toBe(true);

    const res = await postForm(t, admin, `/admin/users/${editor.user.id}/disable`, {});
    expect(res.statusCode).toBe(303);
    expect((await userRow(editor.user.id))!.disabled_at).not.toBeNull();
    // Gone from the tables, not merely refused.
    expect(await sessionsOf(editor.user.id)).toBe(0);
    const tokens = await t.db.kysely.selectFrom('api_tokens').selectAll().where('user_id', '=', editor.user.id).execute();
    expect(tokens.every((r) => r.revoked_at !== null)).toBe(true);
    expect(await opensStaffArea(editor.cookies.lectern_session!)).toBe(false);
    expect(await opensStaffArea(second)).toBe(false);
    const api = await t.app.inject({ url: '/api/v1/comments', headers: { authorization: `Bearer ${token}` } });
    expect(api.statusCode).toBe(401);
    expect((await logIn(t, editor.user.username)).res.statusCode).toBe(401);
    const post = await t.db.kysely.selectFrom('posts').select('author_id').where('id', '=', postId).executeTakeFirstOrThrow();
    expect(post.author_id).toBe(editor.user.id);
    expect((await t.app.inject('/posts/stays-attributed')).body).toContain(editor.user.display_name);

    expect((await postForm(t, admin, `/admin/users/${editor.user.id}/enable`, {})).statusCode).toBe(303);
    expect((await logIn(t, editor.user.username)).res.statusCode).toBe(303);
    // A revoked token stays revoked.
    expect((await t.app.inject({ url: '/api/v1/comments', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
  });

  it('deletes a user, giving their posts to another staff user; their comments stay, unlinked', async () => {
    const admin = await signIn(t, 'admin');
    const leaving = await makeUser(t, 'author', { username: 'leaving' });
    const heir = await makeUser(t, 'editor', { username: 'heir' });
    const postId = await addPost(t, leaving, { title: 'Inherited' });
    const post = await publishPost(t);
    const cookies = { lectern_session: await startSession(t.db.kysely, leaving.id) };
    const form = await getCsrf(t, `/posts/${post.slug}`, cookies);
    await postForm(t, form, `/posts/${post.slug}/comments`, { body: 'Words that stay' });

    const confirm = await t.app.inject({ url: `/admin/users/${leaving.id}/delete`, cookies: admin.cookies });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain(`<option value="${heir.id}">`);
    expect(confirm.body).not.toContain(`<option value="${leaving.id}">`);

    const without = await postForm(t, admin, `/admin/users/${leaving.id}/delete`, {});
    expect(without.statusCode).toBe(422);
    expect(without.body).toContain('id="reassign_to-error"');
    expect(await userRow(leaving.id)).toBeDefined();

    const res = await postForm(t, admin, `/admin/users/${leaving.id}/delete`, { reassign_to: String(heir.id) });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/users?done=deleted');
    expect(await userRow(leaving.id)).toBeUndefined();
    expect((await t.db.kysely.selectFrom('posts').select('author_id').where('id', '=', postId).executeTakeFirstOrThrow()).author_id).toBe(heir.id);
    const comment = await t.db.kysely.selectFrom('comments').selectAll().where('body_md', '=', 'Words that stay').executeTakeFirstOrThrow();
    expect(comment).toMatchObject({ user_id: null, author_name: leaving.display_name });
    expect(await sessionsOf(leaving.id)).toBe(0);
  });

  it('never removes, disables or demotes the last active admin (409, with a clear message)', async () => {
    const admin = await signIn(t, 'admin');
    const id = admin.user.id;
    for (const [url, fields] of [
      [`/admin/users/${id}/role`, { role: 'editor' }],
      [`/admin/users/${id}/disable`, {}],
      [`/admin/users/${id}/delete`, {}],
    ] as const) {
      const res = await postForm(t, admin, url, fields);
      expect(res.statusCode, url).toBe(409);
      expect(res.body, url).toContain('is the last active administrator. Make another user an administrator first.');
    }
    expect(await userRow(id)).toMatchObject({ role: 'admin', disabled_at: null });

    // A disabled admin does not count: the only active one is still protected.
    const dormant = await makeUser(t, 'admin');
    await t.db.kysely.updateTable('users').set({ disabled_at: new Date().toISOString() }).where('id', '=', dormant.id).execute();
    expect((await postForm(t, admin, `/admin/users/${id}/role`, { role: 'author' })).statusCode).toBe(409);

    // The API says the same.
    const { token } = await createApiToken(t.db.kysely, admin.user, 'ops');
    const headers = { authorization: `Bearer ${token}` };
    const patch = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers, payload: { role: 'editor' } });
    expect(patch.statusCode).toBe(409);
    expect(patch.json().error).toMatchObject({ code: 'conflict', message: expect.stringContaining('last active administrator') });
    expect((await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${id}`, headers, payload: { disabled: true } })).statusCode).toBe(409);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers })).statusCode).toBe(409);

    // With a second active admin, the first may step down.
    await t.db.kysely.updateTable('users').set({ disabled_at: null }).where('id', '=', dormant.id).execute();
    const res = await postForm(t, admin, `/admin/users/${id}/role`, { role: 'editor' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin');
    expect((await userRow(id))!.role).toBe('editor');
  });

  it('keeps one admin when two admins demote each other at the same moment', async () => {
    const a = await apiToken(t, 'admin');
    const b = await apiToken(t, 'admin');
    const [one, two] = await Promise.all([
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${b.user.id}`, headers: a.headers, payload: { role: 'author' } }),
      t.app.inject({ method: 'PATCH', url: `/api/v1/users/${a.user.id}`, headers: b.headers, payload: { role: 'author' } }),
    ]);
    // The loser is refused: 409, or 403 when it was already demoted by the time it was checked.
    const codes = [one.statusCode, two.statusCode].sort();
    expect(codes[0]).toBe(200);
    expect([403, 409]).toContain(codes[1]);
    expect(await t.db.kysely.selectFrom('users').select('id').where('role', '=', 'admin').execute()).toHaveLength(1);

    // The same race below the HTTP layer, where only the database can settle it.
    const c = await makeUser(t, 'admin');
    const survivor = (await t.db.kysely.selectFrom('users').select('id').where('role', '=', 'admin').where('id', '!=', c.id).executeTakeFirstOrThrow()).id;
    const results = await Promise.allSettled([changeRole(t.db.kysely, c.id, 'editor'), changeRole(t.db.kysely, survivor, 'editor')]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { status: 409 } });
    expect(await t.db.kysely.selectFrom('users').select('id').where('role', '=', 'admin').execute()).toHaveLength(1);
  });
});

describe('the users API', () => {
  it('lists, creates, invites, changes, disables and deletes', async () => {
    const admin = await apiToken(t, 'admin');
    const h = admin.headers;
    const list = await t.app.inject({ url: '/api/v1/users', headers: h });
    expect(list.statusCode).toBe(200);
    expect(list.json().users[0]).toEqual({
      id: admin.user.id,
      username: admin.user.username,
      display_name: admin.user.display_name,
      email: null,
      role: 'admin',
      disabled: false,
      disabled_at: null,
      email_confirmed: true,
      last_login_at: null,
      created_at: expect.any(String),
      post_count: 0,
      comment_count: 0,
    });
    expect(JSON.stringify(list.json())).not.toContain('scrypt');

    const created = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h, payload: { username: 'api.author', role: 'author', email: 'a@library.example' } });
    expect(created.statusCode).toBe(201);
    const { user, password } = created.json();
    expect(user).toMatchObject({ username: 'api.author', role: 'author', email: 'a@library.example' });
    expect((await logIn(t, 'api.author', password)).res.statusCode).toBe(303);
    const bad = await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: h, payload: { username: 'Bad Name', role: 'author', password: 'password123' } });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.fields).sort()).toEqual(['password', 'username']);

    const invited = await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: h, payload: { role: 'editor' } });
    expect(invited.statusCode).toBe(201);
    expect(invited.json().invitation).toMatchObject({ role: 'editor', email: null, mailed: false, url: expect.stringContaining('/invite/') });

    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: h, payload: { role: 'editor', disabled: true } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().user).toMatchObject({ role: 'editor', disabled: true });
    const unknownField = await t.app.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: h, payload: { password_hash: 'x' } });
    expect(unknownField.statusCode).toBe(422);

    await addPost(t, { id: user.id, role: 'author' });
    const refused = await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: h });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.fields).toHaveProperty('reassign_to');
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}?reassign_to=${admin.user.id}`, headers: h });
    expect(deleted.statusCode).toBe(204);
    expect(await userRow(user.id)).toBeUndefined();
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/users/${user.id}`, headers: h })).statusCode).toBe(404);

    const link = await t.app.inject({ method: 'POST', url: `/api/v1/users/${admin.user.id}/reset-link`, headers: h });
    expect(link.statusCode).toBe(201);
    expect(link.json().reset.url).toContain('/admin/reset/');
  });
});

describe('only administrators manage people', () => {
  const PAGES = ['/admin/users', '/admin/users/1', '/admin/users/1/delete', '/admin/privacy', '/admin/privacy?email=a@example.org'];
  const FORMS = [
    '/admin/users',
    '/admin/users/invite',
    '/admin/users/invitations/1/revoke',
    '/admin/users/1/role',
    '/admin/users/1/disable',
    '/admin/users/1/enable',
    '/admin/users/1/confirm-email',
    '/admin/users/1/reset-link',
    '/admin/users/1/delete',
    '/admin/privacy/export',
    '/admin/privacy/erase',
  ];
  const API: [string, string, Record<string, unknown>?][] = [
    ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users', { username: 'x1', role: 'admin' }],
    ['POST', '/api/v1/invitations', { role: 'admin' }],
    ['GET', '/api/v1/users/1'],
    ['PATCH', '/api/v1/users/1', { role: 'patron' }],
    ['DELETE', '/api/v1/users/1'],
    ['POST', '/api/v1/users/1/reset-link'],
    ['GET', '/api/v1/privacy?email=a@example.org'],
    ['POST', '/api/v1/privacy/erase', { email: 'a@example.org', mode: 'delete' }],
  ];

  it.each(['editor', 'author', 'patron'] as const)('gives a %s 403 on every page, form and endpoint, changing nothing', async (role) => {
    const first = await makeUser(t, 'admin');
    const browser = await signIn(t, role);
    const fields = { role: 'patron', invite_role: 'admin', email: 'a@example.org', mode: 'delete', confirm: 'yes', reassign_to: String(browser.user.id) };
    for (const url of PAGES) {
      const res = await t.app.inject({ url: url.replace('/1', `/${first.id}`), cookies: browser.cookies });
      expect(res.statusCode, url).toBe(403);
    }
    for (const url of FORMS) {
      const res = await postForm(t, browser, url.replace('/1/', `/${first.id}/`), fields);
      expect(res.statusCode, url).toBe(403);
    }
    // Tokens are for staff; a patron may hold one from before a demotion.
    const { token } = await createApiToken(t.db.kysely, { ...browser.user, role: role === 'patron' ? 'author' : role }, 'x');
    for (const [method, url, payload] of API) {
      const res = await t.app.inject({ method: method as 'GET', url: url.replace('/1', `/${first.id}`), headers: { authorization: `Bearer ${token}` }, payload });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    expect(await userRow(first.id)).toMatchObject({ role: 'admin', disabled_at: null });
    expect(await t.db.kysely.selectFrom('invitations').select('id').execute()).toEqual([]);
  });

  it('sends visitors to sign in, and refuses the API without a token', async () => {
    await makeUser(t, 'admin');
    for (const url of ['/admin/users', '/admin/privacy', '/admin/password']) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(303);
      expect(res.headers.location).toBe(`/admin/login?next=${encodeURIComponent(url)}`);
    }
    for (const url of ['/api/v1/users', '/api/v1/privacy?email=a@example.org']) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBe(401);
    }
  });
});
