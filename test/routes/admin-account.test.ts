import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPost, buildTestApp, logIn, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { sha256 } from '../../server/services/tokens.js';
import { loadSettings } from '../../server/services/settings.js';

let t: TestApp;
let admin: Browser;
let author: Browser;
let editor: Browser;

beforeAll(async () => {
  t = await buildTestApp();
  admin = await signIn(t, 'admin');
  author = await signIn(t, 'author');
  editor = await signIn(t, 'editor');
});
afterAll(() => t.close());

const userRow = (id: number) => t.db.kysely.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const createdToken = (html: string) => /<input readonly value="(lct_[^"]+)"/.exec(html)?.[1];

describe('profile', () => {
  it('shows the current values', async () => {
    const res = await t.app.inject({ url: '/admin/profile', cookies: author.cookies });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`id="display_name" name="display_name" value="${author.user.display_name}"`);
  });

  it('saves the name, email and Markdown bio, rendered and shown in the author box', async () => {
    const res = await postForm(t, author, '/admin/profile', {
      display_name: 'Beatrix Potter',
      email: 'bea@library.example',
      bio: 'Runs the **children’s corner**. See [our events](https://library.example/events).\n\n<script>alert(1)</script>',
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/profile?saved=1');
    const row = await userRow(author.user.id);
    expect(row).toMatchObject({ display_name: 'Beatrix Potter', email: 'bea@library.example' });
    expect(row.bio_md).toContain('**children’s corner**');
    expect(row.bio_html).toContain('<strong>children’s corner</strong>');
    expect(row.bio_html).toContain('<a href="https://library.example/events" rel="nofollow ugc noopener">our events</a>');
    expect(row.bio_html).not.toContain('<script');

    await addPost(t, author.user, { title: 'Bio shown here' });
    const page = await t.app.inject('/posts/bio-shown-here');
    expect(page.body).toMatch(/<aside class="author-box"[\s\S]*About <a href="\/author\/[^"]+">Beatrix Potter<\/a>[\s\S]*<strong>children’s corner<\/strong>[\s\S]*<\/aside>/);
    // Raw HTML in a bio is shown as text, never run. (The page has scripts of its own: JSON-LD, /static/js.)
    expect(page.body).not.toContain('<script>alert(1)');
    // The email is never shown publicly.
    expect(page.body).not.toContain('bea@library.example');
    expect((await t.app.inject({ url: '/admin/profile?saved=1', cookies: author.cookies })).body).toContain('Profile saved.');
  });

  it('refuses an empty name or a bad email with 422, keeping everything typed', async () => {
    const before = await userRow(author.user.id);
    const res = await postForm(t, author, '/admin/profile', { display_name: '  ', email: 'nope', bio: 'My long bio I typed' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="display_name-error"');
    expect(res.body).toContain('id="email-error"');
    expect(res.body).toContain('value="nope"');
    expect(res.body).toContain('>My long bio I typed</textarea>');
    expect(await userRow(author.user.id)).toEqual(before);
  });
});

describe('API tokens page', () => {
  it('creates a token shown once, stored hashed, that works on the API', async () => {
    const res = await postForm(t, author, '/admin/tokens', { name: 'Newsletter sync' });
    expect(res.statusCode).toBe(201);
    expect(res.body).toContain('shown this once');
    const token = createdToken(res.body)!;
    expect(token).toMatch(/^lct_/);
    const row = await t.db.kysely.selectFrom('api_tokens').selectAll().where('name', '=', 'Newsletter sync').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: author.user.id, token_hash: sha256(token), revoked_at: null });
    expect(JSON.stringify(await t.db.kysely.selectFrom('api_tokens').selectAll().execute())).not.toContain(token);

    const created = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: bearer(token), payload: { title: 'Via UI token', body: 'x', status: 'draft' } });
    expect(created.statusCode).toBe(201);

    const list = await t.app.inject({ url: '/admin/tokens', cookies: author.cookies });
    expect(list.body).toContain('Newsletter sync');
    expect(list.body).not.toContain(token);
  });

  it('revokes a token, which stops working at once', async () => {
    const res = await postForm(t, author, '/admin/tokens', { name: 'To revoke' });
    const token = createdToken(res.body)!;
    const row = await t.db.kysely.selectFrom('api_tokens').select('id').where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow();
    const revoke = await postForm(t, author, `/admin/tokens/${row.id}/revoke`, {});
    expect(revoke.statusCode).toBe(303);
    expect(revoke.headers.location).toBe('/admin/tokens');
    expect((await t.db.kysely.selectFrom('api_tokens').select('revoked_at').where('id', '=', row.id).executeTakeFirstOrThrow()).revoked_at).not.toBeNull();
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/posts', headers: bearer(token) });
    expect(refused.statusCode).toBe(401);
    const list = await t.app.inject({ url: '/admin/tokens', cookies: author.cookies });
    expect(list.body).toMatch(/To revoke<\/td>[\s\S]*?revoked/);
  });

  it('keeps one author from revoking another’s token (403); an admin may', async () => {
    const res = await postForm(t, editor, '/admin/tokens', { name: 'Editor token' });
    const token = createdToken(res.body)!;
    const row = await t.db.kysely.selectFrom('api_tokens').select('id').where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow();
    expect((await postForm(t, author, `/admin/tokens/${row.id}/revoke`, {})).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/api/v1/posts', headers: bearer(token) })).statusCode).toBe(200);
    expect((await postForm(t, admin, `/admin/tokens/${row.id}/revoke`, {})).statusCode).toBe(303);
    expect((await t.app.inject({ url: '/api/v1/posts', headers: bearer(token) })).statusCode).toBe(401);
    expect((await postForm(t, admin, '/admin/tokens/999999/revoke', {})).statusCode).toBe(404);
  });

  it('lists only one’s own tokens, except for an admin', async () => {
    await postForm(t, editor, '/admin/tokens', { name: 'Editor private label' });
    expect((await t.app.inject({ url: '/admin/tokens', cookies: author.cookies })).body).not.toContain('Editor private label');
    expect((await t.app.inject({ url: '/admin/tokens', cookies: admin.cookies })).body).toContain('Editor private label');
  });

  it('lets an admin create a token for another staff member, and not an author', async () => {
    const forEditor = await postForm(t, admin, '/admin/tokens', { name: 'Made for editor', username: editor.user.username });
    expect(forEditor.statusCode).toBe(201);
    const token = createdToken(forEditor.body)!;
    expect((await t.db.kysely.selectFrom('api_tokens').select('user_id').where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow()).user_id).toBe(editor.user.id);

    const byAuthor = await postForm(t, author, '/admin/tokens', { name: 'Author tries', username: editor.user.username });
    const authorToken = createdToken(byAuthor.body)!;
    expect((await t.db.kysely.selectFrom('api_tokens').select('user_id').where('token_hash', '=', sha256(authorToken)).executeTakeFirstOrThrow()).user_id).toBe(author.user.id);
  });

  it('refuses a bad label or an unknown user with the form kept', async () => {
    const long = await postForm(t, author, '/admin/tokens', { name: 'x'.repeat(101) });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain(`value="${'x'.repeat(101)}"`);
    const unknown = await postForm(t, admin, '/admin/tokens', { name: 'For ghost', username: 'ghost' });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('settings', () => {
  it('shows the current settings to an admin', async () => {
    const res = await t.app.inject({ url: '/admin/settings', cookies: admin.cookies });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('id="site_name" name="site_name" value="Lectern"');
    expect(res.body).toContain('<option selected>UTC</option>');
  });

  it('saves site name, tagline, time zone and posts per page, which the site then uses', async () => {
    const res = await postForm(t, admin, '/admin/settings', { site_name: 'Springfield Library', tagline: 'Books & more', timezone: 'Asia/Tokyo', posts_per_page: '2' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/settings?saved=1');
    expect(await loadSettings(t.db.kysely)).toMatchObject({ site_name: 'Springfield Library', tagline: 'Books & more', timezone: 'Asia/Tokyo', posts_per_page: 2 });
    try {
      for (let i = 0; i < 3; i++) await addPost(t, author.user, { title: `Settings post ${i}`, published_at: `2026-03-0${i + 1}T20:00:00.000Z` });
      const home = await t.app.inject('/');
      expect(home.body).toContain('<title>Springfield Library</title>');
      expect(home.body).toContain('Books &amp; more');
      expect(home.body.match(/class="post-summary"/g)).toHaveLength(2);
      // 20:00 UTC on March 3 is March 4 in Tokyo.
      expect(home.body).toContain('<time datetime="2026-03-03T20:00:00.000Z">March 4, 2026</time>');
      const form = await t.app.inject({ url: '/admin/settings?saved=1', cookies: admin.cookies });
      expect(form.body).toContain('Settings saved.');
      expect(form.body).toContain('<option selected>Asia/Tokyo</option>');
    } finally {
      await postForm(t, admin, '/admin/settings', { site_name: 'Lectern', tagline: '', timezone: 'UTC', posts_per_page: '10' });
    }
  });

  it.each([
    ['site_name', { site_name: '  ', tagline: 'T', timezone: 'UTC', posts_per_page: '10' }],
    ['timezone', { site_name: 'My typed name', tagline: 'T', timezone: 'Mars/Olympus', posts_per_page: '10' }],
    ['posts_per_page', { site_name: 'My typed name', tagline: 'T', timezone: 'UTC', posts_per_page: '0' }],
    ['posts_per_page', { site_name: 'My typed name', tagline: 'T', timezone: 'UTC', posts_per_page: 'ten' }],
    ['posts_per_page', { site_name: 'My typed name', tagline: 'T', timezone: 'UTC', posts_per_page: '101' }],
  ])('refuses a bad %s with 422, keeping the typed values', async (field, values) => {
    const before = await loadSettings(t.db.kysely);
    const res = await postForm(t, admin, '/admin/settings', values);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(`id="${field}-error"`);
    if (field !== 'site_name') expect(res.body).toContain('value="My typed name"');
    if (field === 'posts_per_page') expect(res.body).toContain(`value="${values.posts_per_page}"`);
    expect(await loadSettings(t.db.kysely)).toEqual(before);
  });

  it('is closed to editors and authors, even with a valid form', async () => {
    for (const who of [editor, author]) {
      const res = await postForm(t, who, '/admin/settings', { site_name: 'Taken over', tagline: '', timezone: 'UTC', posts_per_page: '10' });
      expect(res.statusCode).toBe(403);
    }
    expect((await loadSettings(t.db.kysely)).site_name).not.toBe('Taken over');
  });
});

describe('users', () => {
  it('lets an admin add a user with a generated password, shown once, that signs in', async () => {
    const res = await postForm(t, admin, '/admin/users', { username: 'new.author', display_name: 'New Author', email: 'new@library.example', role: 'author' });
    expect(res.statusCode).toBe(201);
    const password = /aria-label="Generated password"/.test(res.body) ? /<input readonly value="([^"]+)" class="input--code" aria-label="Generated password">/.exec(res.body)?.[1] : undefined;
    expect(password).toBeTruthy();
    const row = await t.db.kysely.selectFrom('users').selectAll().where('username', '=', 'new.author').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ role: 'author', display_name: 'New Author', email: 'new@library.example' });
    expect(row.password_hash).not.toContain(password!);
    const login = await logIn(t, 'new.author', password!);
    expect(login.res.statusCode).toBe(303);
    expect((await t.app.inject({ url: '/admin/users', cookies: admin.cookies })).body).not.toContain(password!);
  });

  it('refuses a bad or taken username with 422, keeping the values', async () => {
    const bad = await postForm(t, admin, '/admin/users', { username: 'Bad Name!', display_name: 'Typed Name', email: 'typed@example.org', role: 'editor' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('id="username-error"');
    expect(bad.body).toContain('value="Bad Name!"');
    expect(bad.body).toContain('value="Typed Name"');
    expect(bad.body).toContain('value="typed@example.org"');
    expect(bad.body).toContain('<option selected>editor</option>');
    const taken = await postForm(t, admin, '/admin/users', { username: author.user.username, display_name: 'Dup', email: '', role: 'author' });
    expect(taken.statusCode).toBe(422);
    expect(taken.body).toContain('That username is taken');
  });

  it('is closed to editors', async () => {
    const res = await postForm(t, editor, '/admin/users', { username: 'sneaky', display_name: 'S', email: '', role: 'admin' });
    expect(res.statusCode).toBe(403);
    expect(await t.db.kysely.selectFrom('users').select('id').where('username', '=', 'sneaky').executeTakeFirst()).toBeUndefined();
  });
});
