import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, postRow, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';

/**
 * The Discussion fieldset of the post editor and the discussion fields of the posts API
 * (issue 11): a mode (or the category default) and a closing date in the site's time zone.
 */
let t: TestApp;
let author: Browser;

beforeAll(async () => {
  t = await buildTestApp();
  author = await signIn(t, 'author');
  await setSettings(t, { timezone: 'Europe/London' });
});
afterAll(() => t.close());

const FORM = { title: 'Summer reading', slug: '', body: 'Join us.', excerpt: '', categories: '', tags: '', published_at: '', kind: 'post', comments_open: 'on' };

async function create(fields: Record<string, string>) {
  const res = await postForm(t, author, '/admin/posts', { ...FORM, action: 'publish', ...fields });
  return res;
}
const idOf = (location: unknown) => Number(/^\/admin\/posts\/(\d+)\/edit/.exec(String(location))![1]);

describe('the editor’s Discussion fieldset', () => {
  it('offers the category default, every mode and a closing date field, labelled', async () => {
    const res = await t.app.inject({ url: '/admin/posts/new', cookies: author.cookies });
    expect(res.body).toContain('<legend>Discussion</legend>');
    expect(res.body).toContain('<label for="discussion_mode">Who may comment</label>');
    expect(res.body).toContain('<option value="" selected>Category default (Open, unless a category says otherwise)</option>');
    for (const mode of ['open', 'signed-in', 'pre-moderated', 'closed', 'hidden']) expect(res.body).toContain(`<option value="${mode}"`);
    expect(res.body).toContain('<label for="comments_close_at">Close comments at <span class="hint">(site time, Europe/London; empty: no date)</span></label>');
    expect(res.body).toMatch(/id="comments_close_at" name="comments_close_at" type="datetime-local"/);
  });

  it('saves a mode and a closing date given in the site’s time zone, and shows them again', async () => {
    // 19:00 in London in July is 18:00 UTC (British Summer Time).
    const res = await create({ title: 'Garden party', discussion_mode: 'pre-moderated', comments_close_at: '2099-07-04T19:00' });
    expect(res.statusCode).toBe(303);
    const id = idOf(res.headers.location);
    const row = (await postRow(t, id))!;
    expect(row.discussion_mode).toBe('pre-moderated');
    expect(row.comments_close_at).toBe('2099-07-04T18:00:00.000Z');
    const edit = await t.app.inject({ url: `/admin/posts/${id}/edit`, cookies: author.cookies });
    expect(edit.body).toContain('<option value="pre-moderated" selected>');
    expect(edit.body).toContain('value="2099-07-04T19:00"');

    // Back to the category default and no date.
    const cleared = await postForm(t, author, `/admin/posts/${id}`, { ...FORM, title: 'Garden party', action: 'publish', discussion_mode: '', comments_close_at: '' });
    expect(cleared.statusCode).toBe(303);
    expect(await postRow(t, id)).toMatchObject({ discussion_mode: null, comments_close_at: null });
  });

  it('refuses a bad date or mode with 422 next to the field, keeping every typed value', async () => {
    const badDate = await create({ title: 'Typed title kept', body: 'Typed body kept', comments_close_at: 'next Tuesday', discussion_mode: 'closed' });
    expect(badDate.statusCode).toBe(422);
    expect(badDate.body).toContain('id="comments_close_at-error"');
    expect(badDate.body).toContain('Give a date and time, such as 2026-11-23 18:00');
    expect(badDate.body).toContain('value="next Tuesday"');
    expect(badDate.body).toContain('value="Typed title kept"');
    expect(badDate.body).toContain('Typed body kept');
    expect(badDate.body).toContain('<option value="closed" selected>');

    const badMode = await create({ title: 'Mode typo', discussion_mode: 'everyone' });
    expect(badMode.statusCode).toBe(422);
    expect(badMode.body).toContain('id="discussion_mode-error"');
    expect(badMode.body).toContain('Choose the category default or one of open, signed-in, pre-moderated, closed, hidden');
    expect(await t.db.kysely.selectFrom('posts').select('id').where('title', 'in', ['Typed title kept', 'Mode typo']).execute()).toEqual([]);
  });
});

describe('the posts API', () => {
  it('accepts and returns discussion_mode and comments_close_at, with the effective discussion', async () => {
    const staff = await apiToken(t, 'author');
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/posts',
      headers: staff.headers,
      payload: { title: 'Author talk', body: 'Come along.', status: 'published', discussion_mode: 'signed-in', comments_close_at: '2099-01-31T20:00:00+01:00' },
    });
    expect(created.statusCode).toBe(201);
    const post = created.json().post;
    expect(post).toMatchObject({
      discussion_mode: 'signed-in',
      comments_close_at: '2099-01-31T19:00:00.000Z',
      discussion: { mode: 'signed-in', configured: 'signed-in', source: 'post', closes_at: '2099-01-31T19:00:00.000Z', closed_reason: null },
    });
    const publicView = (await t.app.inject(`/api/v1/posts/${post.slug}`)).json().post;
    expect(publicView.discussion).toMatchObject({ mode: 'signed-in' });

    const cleared = await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: staff.headers, payload: { discussion_mode: null, comments_close_at: null } });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json().post).toMatchObject({ discussion_mode: null, comments_close_at: null, discussion: { mode: 'open', source: 'site', closes_at: null } });
    // Fields left out stay as they are.
    await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: staff.headers, payload: { discussion_mode: 'closed' } });
    const kept = await t.app.inject({ method: 'PATCH', url: `/api/v1/posts/${post.id}`, headers: staff.headers, payload: { title: 'Author talk, again' } });
    expect(kept.json().post.discussion_mode).toBe('closed');
  });

  it('answers 422 naming the field for a bad mode or date', async () => {
    const staff = await apiToken(t, 'author');
    const badMode = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: staff.headers, payload: { title: 'x', body: 'y', status: 'draft', discussion_mode: 'members' } });
    expect(badMode.statusCode).toBe(422);
    expect(badMode.json().error).toMatchObject({ code: 'validation_failed', fields: { discussion_mode: expect.stringContaining('open, signed-in, pre-moderated, closed, hidden') } });
    const badDate = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: staff.headers, payload: { title: 'x', body: 'y', status: 'draft', comments_close_at: 'soon' } });
    expect(badDate.statusCode).toBe(422);
    expect(Object.keys(badDate.json().error.fields)).toEqual(['comments_close_at']);
    const wrongType = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers: staff.headers, payload: { title: 'x', body: 'y', status: 'draft', discussion_mode: 3 } });
    expect(wrongType.statusCode).toBe(422);
    expect(Object.keys(wrongType.json().error.fields)).toEqual(['discussion_mode']);
  });
});
