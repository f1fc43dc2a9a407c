import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addPost, buildTestApp, postForm, postRow, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { writeSetting } from '../../server/data/settings.js';

let t: TestApp;
let author: Browser;
let otherAuthor: Browser;
let editor: Browser;

beforeAll(async () => {
  t = await buildTestApp();
  author = await signIn(t, 'author');
  otherAuthor = await signIn(t, 'author');
  editor = await signIn(t, 'editor');
});
afterAll(() => t.close());

const FORM = { title: '', slug: '', body: '', excerpt: '', categories: '', tags: '', published_at: '', kind: 'post' };
const form = (fields: Record<string, string>) => ({ ...FORM, ...fields });
const countPosts = async () => (await t.db.kysely.selectFrom('posts').select('id').execute()).length;
const findBySlug = (slug: string) => t.db.kysely.selectFrom('posts').selectAll().where('slug', '=', slug).executeTakeFirst();

/** Saves the editor form as a new post and returns the new id from the redirect. */
async function create(browser: Browser, fields: Record<string, string>) {
  const res = await postForm(t, browser, '/admin/posts', form(fields));
  expect(res.statusCode, res.body.slice(0, 2000)).toBe(303);
  const match = /^\/admin\/posts\/(\d+)\/edit\?saved=(\w+)$/.exec(res.headers.location as string);
  expect(match).not.toBeNull();
  return { id: Number(match![1]), saved: match![2] };
}

const MARKDOWN = [
  '## Our new hours',
  '',
  '- Monday',
  '- Tuesday',
  '',
  '| Day | Open |',
  '| --- | ---- |',
  '| Sat | 10–4 |',
  '',
  'Read [the catalogue](https://catalogue.example.org).',
  '',
  '```',
  'print("hello")',
  '```',
  '',
  '<script>alert("pwned")</script>',
].join('\n');

describe('the editor', () => {
  it('opens empty for a new post, with a CSRF field and comments open', async () => {
    const res = await t.app.inject({ url: '/admin/posts/new', cookies: author.cookies });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>New post</h1>');
    expect(res.body).toContain('<form method="post" action="/admin/posts"');
    expect(res.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.body).toMatch(/id="comments_open" name="comments_open" type="checkbox" checked/);
  });

  it('opens for a new page with comments off', async () => {
    const res = await t.app.inject({ url: '/admin/posts/new?kind=page', cookies: author.cookies });
    expect(res.body).toContain('<h1>New page</h1>');
    expect(res.body).toContain('<input type="hidden" name="kind" value="page">');
    expect(res.body).not.toMatch(/name="comments_open" type="checkbox" checked/);
  });
});

describe('saving', () => {
  it('saves a draft that the public cannot see', async () => {
    const { id, saved } = await create(author, { title: 'A quiet draft', body: 'Not yet.', action: 'draft' });
    expect(saved).toBe('draft');
    expect(await postRow(t, id)).toMatchObject({ title: 'A quiet draft', slug: 'a-quiet-draft', status: 'draft', published_at: null, author_id: author.user.id });
    expect((await t.app.inject('/posts/a-quiet-draft')).statusCode).toBe(404);
    expect((await t.app.inject('/')).body).not.toContain('A quiet draft');
    const edit = await t.app.inject({ url: `/admin/posts/${id}/edit?saved=draft`, cookies: author.cookies });
    expect(edit.statusCode).toBe(200);
    expect(edit.body).toContain('Saved: draft.');
    expect(edit.body).toContain('value="A quiet draft"');
    expect(edit.body).toContain('>Not yet.</textarea>');
  });

  it('previews without writing anything, keeping every typed value', async () => {
    const before = await countPosts();
    const res = await postForm(t, author, '/admin/posts', form({ title: 'Preview me', body: '## Heading\n\n*soft*', tags: 'a, b', action: 'preview' }));
    expect(res.statusCode).toBe(200);
    expect(await countPosts()).toBe(before);
    const preview = /<section class="editor__preview"[^>]*>([\s\S]*?)<\/section>/.exec(res.body)?.[1] ?? '';
    expect(preview).toContain('<h2>Heading</h2>');
    expect(preview).toContain('<em>soft</em>');
    expect(res.body).toContain('value="Preview me"');
    expect(res.body).toContain('value="a, b"');
    expect(res.body).toContain('## Heading');
  });

  it('previews through the JSON endpoint for the live preview', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/preview',
      cookies: author.cookies,
      headers: { 'x-csrf-token': author.csrf },
      payload: { body: '# Hi\n\n<script>x()</script>' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ html: '<h1>Hi</h1>\n' });
    const noToken = await t.app.inject({
      method: 'POST',
      url: '/admin/preview',
      cookies: author.cookies,
      headers: { accept: 'application/json' },
      payload: { body: '# Hi' },
    });
    expect(noToken.statusCode).toBe(403);
    // The script asked for JSON, so its error is JSON too.
    expect(noToken.json().error.code).toBe('csrf_invalid');
  });

  it('publishes a post with full Markdown, rendered and cleaned, readable on the home page and its own page', async () => {
    const started = Date.now();
    const { id, saved } = await create(author, { title: 'Hours and more', body: MARKDOWN, action: 'publish' });
    expect(saved).toBe('published');
    const row = (await postRow(t, id))!;
    expect(row.status).toBe('published');
    expect(Date.parse(row.published_at!)).toBeGreaterThanOrEqual(started - 1000);
    expect(Date.parse(row.published_at!)).toBeLessThanOrEqual(Date.now());
    expect(row.body_md).toBe(MARKDOWN);

    const page = await t.app.inject('/posts/hours-and-more');
    expect(page.statusCode).toBe(200);
    const body = /<div class="post__body e-content">([\s\S]*?)<\/div>\s*<footer/.exec(page.body)?.[1] ?? '';
    expect(body).toContain('<h2>Our new hours</h2>');
    expect(body).toMatch(/<ul>\s*<li>Monday<\/li>\s*<li>Tuesday<\/li>\s*<\/ul>/);
    expect(body).toMatch(/<table>\s*<thead>\s*<tr>\s*<th>Day<\/th>\s*<th>Open<\/th>\s*<\/tr>\s*<\/thead>\s*<tbody>\s*<tr>\s*<td>Sat<\/td>\s*<td>10–4<\/td>/);
    expect(body).toContain('<a href="https://catalogue.example.org">the catalogue</a>');
    expect(body).toContain('<pre><code>print("hello")\n</code></pre>');
    expect(page.body).not.toContain('<script>alert');
    expect(page.body).not.toContain('pwned');

    const home = await t.app.inject('/');
    expect(home.body).toContain('<a href="/posts/hours-and-more">Hours and more</a>');
  });

  it('derives the excerpt when left empty, and keeps a written one', async () => {
    const a = await create(author, { title: 'Derived excerpt', body: 'First **words** of the body.', action: 'draft' });
    expect((await postRow(t, a.id))!.excerpt).toBe('First words of the body.');
    const b = await create(author, { title: 'Written excerpt', body: 'Body', excerpt: 'My summary', action: 'draft' });
    expect(await postRow(t, b.id)).toMatchObject({ excerpt: 'My summary', excerpt_md: 'My summary' });
  });

  it('creates categories and tags on the fly', async () => {
    const { id } = await create(author, { title: 'Termed', body: 'x', categories: 'Events, New Books', tags: 'kids,  story time ,kids', action: 'publish' });
    const terms = await t.db.kysely
      .selectFrom('post_terms')
      .innerJoin('terms', 'terms.id', 'post_terms.term_id')
      .select(['terms.kind', 'terms.name', 'terms.slug'])
      .where('post_terms.post_id', '=', id)
      .orderBy('terms.slug')
      .execute();
    expect(terms).toEqual([
      { kind: 'category', name: 'Events', slug: 'events' },
      { kind: 'tag', name: 'kids', slug: 'kids' },
      { kind: 'category', name: 'New Books', slug: 'new-books' },
      { kind: 'tag', name: 'story time', slug: 'story-time' },
    ]);
    expect((await t.app.inject('/category/new-books')).body).toContain('Termed');
    expect((await t.app.inject('/tag/story-time')).body).toContain('Termed');
    const edit = await t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: author.cookies });
    expect(edit.body).toContain('id="categories" name="categories" value="Events, New Books"');
  });

  it('stores the comments-open switch both ways', async () => {
    const open = await create(author, { title: 'Comments on', body: 'x', comments_open: 'on', action: 'draft' });
    const closed = await create(author, { title: 'Comments off', body: 'x', action: 'draft' });
    expect((await postRow(t, open.id))!.comments_open).toBe(1);
    expect((await postRow(t, closed.id))!.comments_open).toBe(0);
    await postForm(t, author, `/admin/posts/${open.id}`, form({ title: 'Comments on', body: 'x', action: 'draft' }));
    expect((await postRow(t, open.id))!.comments_open).toBe(0);
  });
});

describe('slugs', () => {
  it('makes the slug from the title and keeps it unique', async () => {
    const a = await create(author, { title: 'Summer Reading Challenge!', body: 'x', action: 'draft' });
    const b = await create(author, { title: 'Summer reading challenge', body: 'x', action: 'draft' });
    expect((await postRow(t, a.id))!.slug).toBe('summer-reading-challenge');
    expect((await postRow(t, b.id))!.slug).toBe('summer-reading-challenge-2');
  });

  it('gives non-ASCII titles readable slugs that work as addresses', async () => {
    const a = await create(author, { title: 'Bücherflohmarkt im Café', body: 'x', action: 'publish' });
    const b = await create(author, { title: 'Читальный зал', body: 'x', action: 'publish' });
    const c = await create(author, { title: '读书会', body: 'x', action: 'publish' });
    expect((await postRow(t, a.id))!.slug).toBe('bucherflohmarkt-im-cafe');
    expect((await postRow(t, b.id))!.slug).toBe('chitalnyj-zal');
    expect((await postRow(t, c.id))!.slug).toBe('读书会');
    const res = await t.app.inject(`/posts/${encodeURIComponent('读书会')}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="post__title p-name">读书会</h1>');
  });

  it('takes an edited slug', async () => {
    const { id } = await create(author, { title: 'Rename me', body: 'x', action: 'publish' });
    const res = await postForm(t, author, `/admin/posts/${id}`, form({ title: 'Rename me', slug: 'better-name', body: 'x', action: 'publish' }));
    expect(res.statusCode).toBe(303);
    expect((await postRow(t, id))!.slug).toBe('better-name');
    expect((await t.app.inject('/posts/better-name')).statusCode).toBe(200);
    expect((await t.app.inject('/posts/rename-me')).statusCode).toBe(404);
  });

  it('refuses a taken slug with 422, keeping every typed value', async () => {
    await create(author, { title: 'Slug owner', slug: 'owned-slug', body: 'x', action: 'draft' });
    const before = await countPosts();
    const typed = {
      title: 'Wants the slug',
      slug: 'owned-slug',
      body: 'My carefully written body\n\nwith two paragraphs',
      excerpt: 'Typed excerpt',
      categories: 'Cat One',
      tags: 'tag-a, tag-b',
      comments_open: 'on',
      action: 'publish',
    };
    const res = await postForm(t, author, '/admin/posts', form(typed));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="slug-error"');
    expect(res.body).toContain('Another post already uses this slug');
    expect(res.body).toContain('value="Wants the slug"');
    expect(res.body).toContain('value="owned-slug"');
    expect(res.body).toContain('>My carefully written body\n\nwith two paragraphs</textarea>');
    expect(res.body).toContain('>Typed excerpt</textarea>');
    expect(res.body).toContain('value="Cat One"');
    expect(res.body).toContain('value="tag-a, tag-b"');
    expect(res.body).toMatch(/name="comments_open" type="checkbox" checked/);
    expect(await countPosts()).toBe(before);
  });

  it('refuses a malformed slug with 422', async () => {
    const res = await postForm(t, author, '/admin/posts', form({ title: 'Bad slug', slug: 'has spaces/and slashes', body: 'x', action: 'draft' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="slug-error"');
    expect(res.body).toContain('value="has spaces/and slashes"');
  });
});

describe('validation', () => {
  it('refuses an empty title with 422 and keeps the body', async () => {
    const before = await countPosts();
    const res = await postForm(t, author, '/admin/posts', form({ title: '  ', body: 'A body I do not want to lose <3', action: 'publish' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="title-error"');
    expect(res.body).toContain('Give the post a title');
    expect(res.body).toContain('>A body I do not want to lose &lt;3</textarea>');
    expect(res.body).toMatch(/<div class="error-summary"/);
    expect(await countPosts()).toBe(before);
  });

  it('refuses an empty body when publishing, but not for a draft', async () => {
    const res = await postForm(t, author, '/admin/posts', form({ title: 'Empty body', body: '', action: 'publish' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="body-error"');
    await create(author, { title: 'Empty body draft', body: '', action: 'draft' });
  });

  it('refuses a malformed date', async () => {
    const res = await postForm(t, author, '/admin/posts', form({ title: 'Bad date', body: 'x', published_at: 'tomorrow', action: 'schedule' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="published_at-error"');
    expect(res.body).toContain('value="tomorrow"');
  });

  it('asks for a date to schedule', async () => {
    const res = await postForm(t, author, '/admin/posts', form({ title: 'No date', body: 'x', action: 'schedule' }));
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Choose when to publish');
    expect(res.body).toContain('value="No date"');
  });
});

describe('scheduling', () => {
  it('schedules for a date in the site time zone and shows it back in that zone', async () => {
    await writeSetting(t.db.kysely, 'timezone', 'America/New_York');
    try {
      const { id, saved } = await create(author, { title: 'Fourth of July hours', body: 'x', published_at: '2035-07-04T09:30', action: 'schedule' });
      expect(saved).toBe('scheduled');
      // New York is UTC−4 in July.
      expect(await postRow(t, id)).toMatchObject({ status: 'scheduled', published_at: '2035-07-04T13:30:00.000Z' });
      expect((await t.app.inject('/posts/fourth-of-july-hours')).statusCode).toBe(404);
      const edit = await t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: author.cookies });
      expect(edit.body).toContain('name="published_at" type="datetime-local" value="2035-07-04T09:30"');

      const winter = await create(author, { title: 'Winter hours', body: 'x', published_at: '2035-01-15T09:30', action: 'schedule' });
      expect((await postRow(t, winter.id))!.published_at).toBe('2035-01-15T14:30:00.000Z');
    } finally {
      await writeSetting(t.db.kysely, 'timezone', 'UTC');
    }
  });

  it('publishes straight away when the chosen date has passed', async () => {
    const { id, saved } = await create(author, { title: 'Backdated news', body: 'x', published_at: '2020-01-01T10:00', action: 'schedule' });
    expect(saved).toBe('published');
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: '2020-01-01T10:00:00.000Z' });
    expect((await t.app.inject('/posts/backdated-news')).statusCode).toBe(200);
  });
});

describe('updating a published post', () => {
  it('keeps it on the site with its first date when saved with the date field cleared', async () => {
    const { id } = await create(author, { title: 'Still here', body: 'x', action: 'publish' });
    const first = (await postRow(t, id))!.published_at;
    const res = await postForm(t, author, `/admin/posts/${id}`, form({ title: 'Still here', body: 'y', published_at: '', action: 'publish' }));
    expect(res.statusCode).toBe(303);
    expect(await postRow(t, id)).toMatchObject({ status: 'published', published_at: first, body_md: 'y' });
    expect((await t.app.inject('/posts/still-here')).statusCode).toBe(200);
  });

  it('shows the stored values in the edit form', async () => {
    const { id } = await create(author, { title: 'Edit form', body: '**x**', excerpt: 'ex', tags: 't1, t2', categories: 'c1', comments_open: 'on', action: 'publish' });
    const res = await t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: author.cookies });
    expect(res.body).toContain('<h1>Edit post</h1>');
    expect(res.body).toContain(`action="/admin/posts/${id}"`);
    expect(res.body).toContain('id="title" name="title" value="Edit form"');
    expect(res.body).toContain('id="slug" name="slug" value="edit-form"');
    expect(res.body).toContain('>**x**</textarea>');
    expect(res.body).toContain('>ex</textarea>');
    expect(res.body).toContain('id="tags" name="tags" value="t1, t2"');
    expect(res.body).toMatch(/name="comments_open" type="checkbox" checked/);
    expect(res.body).toContain('status--published');
  });
});

describe('unpublishing and deleting', () => {
  it('unpublishes: saving a published post as a draft takes it off the site', async () => {
    const { id } = await create(author, { title: 'Short lived', body: 'x', action: 'publish' });
    expect((await t.app.inject('/posts/short-lived')).statusCode).toBe(200);
    const res = await postForm(t, author, `/admin/posts/${id}`, form({ title: 'Short lived', body: 'x', action: 'draft' }));
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/admin/posts/${id}/edit?saved=draft`);
    expect((await postRow(t, id))!.status).toBe('draft');
    expect((await t.app.inject('/posts/short-lived')).statusCode).toBe(404);
    expect((await t.app.inject('/')).body).not.toContain('Short lived');
  });

  it('deletes after a confirmation page', async () => {
    const { id } = await create(author, { title: 'Delete me', body: 'x', tags: 'temp', action: 'publish' });
    const confirm = await t.app.inject({ url: `/admin/posts/${id}/delete`, cookies: author.cookies });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete “Delete me”?');
    expect(confirm.body).toContain(`<form method="post" action="/admin/posts/${id}/delete">`);
    // Looking at the confirmation deletes nothing.
    expect(await postRow(t, id)).toBeDefined();

    const res = await postForm(t, author, `/admin/posts/${id}/delete`, {});
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/posts?deleted=1');
    expect(await postRow(t, id)).toBeUndefined();
    expect((await t.app.inject('/posts/delete-me')).statusCode).toBe(404);
    const list = await t.app.inject({ url: '/admin/posts?deleted=1', cookies: author.cookies });
    expect(list.body).toContain('The post was deleted.');
  });

  it('404s editing or deleting a post that does not exist', async () => {
    expect((await t.app.inject({ url: '/admin/posts/999999/edit', cookies: editor.cookies })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/admin/posts/999999/delete', cookies: editor.cookies })).statusCode).toBe(404);
    expect((await postForm(t, editor, '/admin/posts/999999/delete', {})).statusCode).toBe(404);
    expect((await postForm(t, editor, '/admin/posts/999999', form({ title: 'x', action: 'draft' }))).statusCode).toBe(404);
  });
});

describe('whose posts', () => {
  it('keeps an author out of another author’s post (403) and lets an editor in', async () => {
    const id = await addPost(t, otherAuthor.user, { title: 'Not yours', status: 'published' });
    const attempts = [
      () => t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: author.cookies }),
      () => t.app.inject({ url: `/admin/posts/${id}/delete`, cookies: author.cookies }),
      () => postForm(t, author, `/admin/posts/${id}`, form({ title: 'Hijacked', body: 'x', action: 'publish' })),
      () => postForm(t, author, `/admin/posts/${id}`, form({ title: 'Hijacked', body: 'x', action: 'preview' })),
      () => postForm(t, author, `/admin/posts/${id}/delete`, {}),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('Not allowed');
    }
    expect(await postRow(t, id)).toMatchObject({ title: 'Not yours' });

    expect((await t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: editor.cookies })).statusCode).toBe(200);
    const edited = await postForm(t, editor, `/admin/posts/${id}`, form({ title: 'Edited by the editor', body: 'x', action: 'publish' }));
    expect(edited.statusCode).toBe(303);
    expect(await postRow(t, id)).toMatchObject({ title: 'Edited by the editor', author_id: otherAuthor.user.id });
    const deleted = await postForm(t, editor, `/admin/posts/${id}/delete`, {});
    expect(deleted.statusCode).toBe(303);
    expect(await postRow(t, id)).toBeUndefined();
  });

  it('lists only an author’s own posts for them, and everyone’s for an editor', async () => {
    await addPost(t, otherAuthor.user, { title: 'Other author’s only post', status: 'draft' });
    const mine = await t.app.inject({ url: '/admin/posts', cookies: author.cookies });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).not.toContain('Other author’s only post');
    const all = await t.app.inject({ url: '/admin/posts', cookies: editor.cookies });
    expect(all.body).toContain('Other author’s only post');
  });
});

describe('pages', () => {
  it('creates a page that is in the navigation but not on the home page', async () => {
    const { id } = await create(author, { title: 'About us', body: 'We are a library.', kind: 'page', action: 'publish' });
    expect(await postRow(t, id)).toMatchObject({ kind: 'page', status: 'published', slug: 'about-us' });
    const home = await t.app.inject('/');
    expect(home.body).toContain('<a href="/pages/about-us">About us</a>');
    expect(home.body).not.toContain('<a href="/posts/about-us">');
    expect((await t.app.inject('/pages/about-us')).statusCode).toBe(200);
    expect((await t.app.inject('/posts/about-us')).statusCode).toBe(404);
    expect((await findBySlug('about-us'))?.kind).toBe('page');
  });
});
