import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, getCsrf, makeUser, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { publishPost } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { createPost } from '../../server/services/posts.js';
import { findPostById } from '../../server/data/posts.js';
import { answer, questionPost, section, staffReply, textOf } from './helpers.js';

/**
 * Question posts (issue 11): the checkbox and the API field, the "Question" label, staff
 * replies badged "Library staff", the official answer (pinned by moderators only, never a
 * comment that is not an approved staff reply), and the "awaiting a staff reply" filter.
 */
let t: TestApp;
let editor: Browser;
let author: Browser;
let editorApi: Awaited<ReturnType<typeof apiToken>>;
let authorApi: Awaited<ReturnType<typeof apiToken>>;

const page = (url: string, cookies: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, cookies });
const stored = async (id: number) => (await findPostById(t.db.kysely, id))!;
const api = (method: 'GET' | 'PUT' | 'DELETE' | 'POST' | 'PATCH', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });

beforeAll(async () => {
  t = await buildTestApp();
  editor = await signIn(t, 'editor');
  author = await signIn(t, 'author');
  editorApi = await apiToken(t, 'editor');
  authorApi = await apiToken(t, 'author');
});
afterAll(() => t.close());

describe('marking a post as a question', () => {
  it('is a checkbox in the editor, kept when the form comes back with an error, and stored', async () => {
    const form = await page('/admin/posts/new', editor.cookies);
    expect(form.body).toMatch(/<input id="is_question" name="is_question" type="checkbox"[^>]*>\s*<label for="is_question">This post is a question<\/label>/);
    const bad = await postForm(t, editor, '/admin/posts', { title: '', body: 'Tell us', is_question: 'on', action: 'publish' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toMatch(/id="is_question"[^>]* checked/);
    const saved = await postForm(t, editor, '/admin/posts', { title: 'What makes a good library?', body: 'Tell us', is_question: 'on', action: 'publish' });
    expect(saved.statusCode).toBe(303);
    const id = Number(/\/admin\/posts\/(\d+)\/edit/.exec(String(saved.headers.location))![1]);
    expect((await stored(id)).is_question).toBe(1);
    const edit = await page(`/admin/posts/${id}/edit`, editor.cookies);
    expect(edit.body).toMatch(/id="is_question"[^>]* checked/);
    expect(edit.body).toContain(`href="/admin/posts/${id}/themes"`);
    // Unticking the box (a browser sends nothing for it) makes it a plain post again.
    const untick = await postForm(t, editor, `/admin/posts/${id}`, { title: 'What makes a good library?', body: 'Tell us', action: 'publish' });
    expect(untick.statusCode).toBe(303);
    expect((await stored(id)).is_question).toBe(0);
  });

  it('is is_question in the API: set on create and update, returned by every read', async () => {
    const created = await api('POST', '/api/v1/posts', authorApi.headers, { title: 'Which events should we run?', body: 'Ideas welcome', status: 'published', is_question: true });
    expect(created.statusCode).toBe(201);
    const post = created.json().post as { id: number; slug: string; is_question: boolean };
    expect(post.is_question).toBe(true);
    expect((await stored(post.id)).is_question).toBe(1);
    const one = await api('GET', `/api/v1/posts/${post.slug}`);
    expect(one.json().post).toMatchObject({ is_question: true, answer_comment_id: null });
    const list = await api('GET', '/api/v1/posts');
    expect((list.json().posts as { slug: string; is_question: boolean }[]).find((p) => p.slug === post.slug)?.is_question).toBe(true);
    const patched = await api('PATCH', `/api/v1/posts/${post.id}`, authorApi.headers, { is_question: false });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().post.is_question).toBe(false);
    const wrongType = await api('PATCH', `/api/v1/posts/${post.id}`, authorApi.headers, { is_question: 'yes' });
    expect(wrongType.statusCode).toBe(422);
    expect(wrongType.json().error.fields).toHaveProperty('is_question');
  });

  it('refuses a page marked as a question, naming the field', async () => {
    const res = await api('POST', '/api/v1/posts', editorApi.headers, { title: 'Opening hours', body: 'Mon–Fri', status: 'published', kind: 'page', is_question: true });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.fields.is_question).toMatch(/only a post/i);
  });

  it('shows a question post as one, with an invitation to answer; a plain post shows neither', async () => {
    const q = await questionPost(t);
    const html = (await page(`/posts/${q.slug}`)).body;
    expect(textOf(section(html, '<header class="post__header">', '</header>'))).toContain('Question We would like to hear from you: leave your answer below.');
    expect(html).toContain('<a href="#respond">leave your answer below</a>');
    const plain = await publishPost(t, { title: 'Opening hours change' });
    const plainHtml = (await page(`/posts/${plain.slug}`)).body;
    expect(plainHtml).not.toContain('question-intro');
    expect(plainHtml).not.toContain('badge--question');
  });
});

describe('staff replies and the official answer', () => {
  it('badges every staff comment "Library staff", and no patron comment', async () => {
    const q = await questionPost(t);
    const patron = await answer(t, q.slug, 'Smiling at the desk.', 'Alice Patron');
    const reply = await staffReply(t, author, q.slug, 'Thanks, Alice!', patron);
    const html = (await page(`/posts/${q.slug}`)).body;
    const staffItem = section(html, `id="comment-${reply}"`, '</article>');
    expect(staffItem).toContain('<span class="badge badge--staff">Library staff</span>');
    expect(section(html, `id="comment-${patron}"`, '</article>')).not.toContain('Library staff');
  });

  it('lets a moderator pin an approved staff reply from the post page; it shows under the post and is marked in the thread', async () => {
    const q = await questionPost(t);
    const patron = await answer(t, q.slug, 'Listening properly.');
    const reply = await staffReply(t, editor, q.slug, 'We will train everyone in **listening**.', patron);
    const before = await page(`/posts/${q.slug}`, editor.cookies);
    // The button is on staff replies only.
    expect(section(before.body, `id="comment-${reply}"`, '</article>')).toContain('Pin as the official answer');
    expect(section(before.body, `id="comment-${patron}"`, '</article>')).not.toContain('Pin as the official answer');
    const csrf = /action="\/admin\/posts\/\d+\/answer"[\s\S]*?name="_csrf" value="([^"]+)"/.exec(before.body)![1]!;
    const res = await postForm(t, { cookies: editor.cookies, csrf }, `/admin/posts/${q.id}/answer`, { comment_id: String(reply), return_to: `/posts/${q.slug}#comment-${reply}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`/posts/${q.slug}#comment-${reply}`);
    expect((await stored(q.id)).answer_comment_id).toBe(reply);

    const html = (await page(`/posts/${q.slug}`)).body;
    const answerBox = section(html, '<section class="official-answer"', '</section>');
    expect(textOf(answerBox)).toMatch(/^Official answer .*Library staff/);
    expect(answerBox).toContain('<strong>listening</strong>');
    expect(answerBox).toContain(`href="#comment-${reply}"`);
    // Right under the post body, before the thread.
    expect(html.indexOf('class="official-answer"')).toBeGreaterThan(html.indexOf('class="post__body'));
    expect(html.indexOf('class="official-answer"')).toBeLessThan(html.indexOf('id="comments"'));
    expect(html).toMatch(new RegExp(`<li class="comment comment--staff comment--answer" id="comment-${reply}"`));
    expect(section(html, `id="comment-${reply}"`, '</article>')).toContain('<span class="badge badge--answer">Official answer</span>');
    // The public API says which comment it is.
    expect((await api('GET', `/api/v1/posts/${q.slug}`)).json().post.answer_comment_id).toBe(reply);

    const unpin = await postForm(t, editor, `/admin/posts/${q.id}/answer/delete`, {});
    expect(unpin.statusCode).toBe(303);
    expect((await stored(q.id)).answer_comment_id).toBeNull();
    expect((await page(`/posts/${q.slug}`)).body).not.toContain('class="official-answer"');
  });

  it('refuses an author (403) and a form without its CSRF token, changing nothing', async () => {
    const q = await questionPost(t);
    const reply = await staffReply(t, editor, q.slug, 'Our answer.');
    const byAuthor = await postForm(t, author, `/admin/posts/${q.id}/answer`, { comment_id: String(reply) });
    expect(byAuthor.statusCode).toBe(403);
    const noToken = await postForm(t, { cookies: editor.cookies, csrf: 'forged' }, `/admin/posts/${q.id}/answer`, { comment_id: String(reply) });
    expect(noToken.statusCode).toBe(403);
    expect((await stored(q.id)).answer_comment_id).toBeNull();
    // An author sees no pin button on the post page either.
    expect((await page(`/posts/${q.slug}`, author.cookies)).body).not.toContain('Pin as the official answer');
  });

  it('re-renders the staff page with the reason when the comment cannot be the answer (HTML)', async () => {
    const q = await questionPost(t);
    const patron = await answer(t, q.slug, 'Friendly staff.');
    const res = await postForm(t, editor, `/admin/posts/${q.id}/answer`, { comment_id: String(patron) });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Only a reply by library staff can be the official answer');
    expect(res.body).toContain('class="error-summary"');
    expect((await stored(q.id)).answer_comment_id).toBeNull();
  });

  it('answers 422 naming comment_id in the API for a patron comment, a held one, another post’s, or none', async () => {
    const q = await questionPost(t);
    const other = await questionPost(t, { title: 'Another question' });
    const patron = await answer(t, q.slug, 'Helpful people.');
    const elsewhere = await staffReply(t, editor, other.slug, 'Not on this post.');
    const unapproved = await staffReply(t, editor, q.slug, 'To be unapproved.');
    expect((await api('PATCH', `/api/v1/comments/${unapproved}`, editorApi.headers, { status: 'pending' })).statusCode).toBe(200);
    const plain = await publishPost(t, { title: 'Not a question' });
    const onPlain = await staffReply(t, editor, plain.slug, 'Staff reply on a plain post.');
    const cases: [string, number, RegExp][] = [
      [q.slug, patron, /library staff/],
      [q.slug, unapproved, /approved/],
      [q.slug, elsewhere, /not on this post/],
      [q.slug, 999_999, /not on this post/],
      [plain.slug, onPlain, /question/],
    ];
    for (const [slug, commentId, message] of cases) {
      const res = await api('PUT', `/api/v1/posts/${slug}/answer`, editorApi.headers, { comment_id: commentId });
      expect(res.statusCode, `${slug} ${commentId}`).toBe(422);
      expect(res.json().error.fields.comment_id).toMatch(message);
    }
    const missing = await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, {});
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.fields).toHaveProperty('comment_id');
    expect((await stored(q.id)).answer_comment_id).toBeNull();
  });

  it('pins and unpins through the API for moderators only', async () => {
    const q = await questionPost(t);
    const reply = await staffReply(t, author, q.slug, 'An author’s reply can be pinned by a moderator.');
    expect((await api('PUT', `/api/v1/posts/${q.slug}/answer`, {}, { comment_id: reply })).statusCode).toBe(401);
    expect((await api('PUT', `/api/v1/posts/${q.slug}/answer`, authorApi.headers, { comment_id: reply })).statusCode).toBe(403);
    // A session cookie is not enough for the staff API.
    const cookieOnly = await t.app.inject({ method: 'PUT', url: `/api/v1/posts/${q.slug}/answer`, cookies: editor.cookies, payload: { comment_id: reply } });
    expect(cookieOnly.statusCode).toBe(401);
    expect((await stored(q.id)).answer_comment_id).toBeNull();
    const ok = await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, { comment_id: reply });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ post: { id: q.id, slug: q.slug }, answer: { comment_id: reply } });
    expect((await stored(q.id)).answer_comment_id).toBe(reply);
    expect((await api('DELETE', `/api/v1/posts/${q.slug}/answer`, authorApi.headers)).statusCode).toBe(403);
    expect((await api('DELETE', `/api/v1/posts/${q.slug}/answer`, editorApi.headers)).statusCode).toBe(204);
    expect((await stored(q.id)).answer_comment_id).toBeNull();
    expect((await api('PUT', '/api/v1/posts/no-such-post/answer', editorApi.headers, { comment_id: reply })).statusCode).toBe(404);
  });

  it('unpins by itself when the answer is unapproved, marked spam or deleted, whoever does it', async () => {
    const q = await questionPost(t);
    for (const [how, act] of [
      ['unapproved', (id: number) => api('PATCH', `/api/v1/comments/${id}`, editorApi.headers, { status: 'pending' })],
      ['spam', (id: number) => api('POST', '/api/v1/comments/bulk', editorApi.headers, { ids: [id], status: 'spam' })],
      ['deleted', (id: number) => api('DELETE', `/api/v1/comments/${id}`, editorApi.headers)],
    ] as const) {
      const reply = await staffReply(t, editor, q.slug, `Answer to be ${how}.`);
      expect((await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, { comment_id: reply })).statusCode).toBe(200);
      expect((await page(`/posts/${q.slug}`)).body).toContain('class="official-answer"');
      expect((await act(reply)).statusCode).toBeLessThan(300);
      expect((await stored(q.id)).answer_comment_id, how).toBeNull();
      expect((await page(`/posts/${q.slug}`)).body, how).not.toContain('class="official-answer"');
    }
    // A raw write (an import, a console) is covered as well: the trigger is in the database.
    const reply = await staffReply(t, editor, q.slug, 'Changed behind the app’s back.');
    await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, { comment_id: reply });
    await t.db.kysely.updateTable('comments').set({ status: 'rejected' }).where('id', '=', reply).execute();
    expect((await stored(q.id)).answer_comment_id).toBeNull();
  });

  it('goes with its post: deleting a question with an answer and themes removes them all', async () => {
    const q = await questionPost(t);
    const patron = await answer(t, q.slug, 'Kind people.');
    const reply = await staffReply(t, editor, q.slug, 'Pinned, then deleted with the post.');
    expect((await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, { comment_id: reply })).statusCode).toBe(200);
    expect((await api('POST', `/api/v1/comments/${patron}/themes`, editorApi.headers, { themes: ['Kindness'] })).statusCode).toBe(200);
    expect((await api('DELETE', `/api/v1/posts/${q.id}`, editorApi.headers)).statusCode).toBe(204);
    expect(await findPostById(t.db.kysely, q.id)).toBeUndefined();
    expect(await t.db.kysely.selectFrom('themes').select('id').where('post_id', '=', q.id).execute()).toEqual([]);
    expect(await t.db.kysely.selectFrom('comment_themes').select('theme_id').where('comment_id', 'in', [patron, reply]).execute()).toEqual([]);
  });

  it('never shows a comment that is not approved as the answer, even if the column points at one', async () => {
    const q = await questionPost(t);
    const held = await staffReply(t, editor, q.slug, 'Held staff reply.');
    await t.db.kysely.updateTable('comments').set({ status: 'pending' }).where('id', '=', held).execute();
    // Set after the status change, so no trigger clears it: only the read side stands guard.
    await t.db.kysely.updateTable('posts').set({ answer_comment_id: held }).where('id', '=', q.id).execute();
    const html = (await page(`/posts/${q.slug}`)).body;
    expect(html).not.toContain('class="official-answer"');
    expect(html).not.toContain('Held staff reply.');
    expect((await api('GET', `/api/v1/posts/${q.slug}`)).json().post.answer_comment_id).toBeNull();
  });

  it('shows the pinned answer to anonymous readers served from the page cache at once', async () => {
    const q = await questionPost(t);
    const reply = await staffReply(t, editor, q.slug, 'The cached answer.');
    await page(`/posts/${q.slug}`);
    const warm = await page(`/posts/${q.slug}`);
    expect(warm.headers['x-page-cache']).toBe('hit');
    expect(warm.body).not.toContain('class="official-answer"');
    await api('PUT', `/api/v1/posts/${q.slug}/answer`, editorApi.headers, { comment_id: reply });
    const after = await page(`/posts/${q.slug}`);
    expect(after.headers['x-page-cache']).toBe('miss');
    expect(section(after.body, '<section class="official-answer"', '</section>')).toContain('The cached answer.');
  });
});

describe('questions awaiting a staff reply', () => {
  it('lists published question posts with no approved staff comment, with a count, in the admin and the API', async () => {
    const local = await buildTestApp();
    try {
      await import('../helpers/content.js').then(({ setSettings }) => setSettings(local, { moderation: 'none', comment_rate_per_minute: 10_000 }));
      const mod = await makeUser(local, 'editor');
      const owner = await makeUser(local, 'author');
      const modCookies = { lectern_session: await startSession(local.db.kysely, mod.id) };
      const ownerCookies = { lectern_session: await startSession(local.db.kysely, owner.id) };
      const mk = (title: string, input: Record<string, unknown> = {}, by = owner) =>
        createPost(local.db.kysely, by, { title, body: 'Tell us.', status: 'published', is_question: true, ...input });
      const unanswered = await mk('Unanswered question', {}, mod);
      const patronOnly = await mk('Only patrons answered');
      const answered = await mk('Answered by staff');
      const heldStaff = await mk('Staff reply unapproved');
      await mk('Draft question', { status: 'draft' });
      await mk('Plain post', { is_question: false });
      const slug = async (id: number) => (await findPostById(local.db.kysely, id))!.slug;
      const comment = (s: string, body: string) => local.app.inject({ method: 'POST', url: `/api/v1/posts/${s}/comments`, payload: { name: 'Pat', email: 'pat@example.org', body } });
      expect((await comment(await slug(patronOnly), 'Me first')).statusCode).toBe(201);
      const form = await getCsrf(local, `/posts/${await slug(answered)}`, modCookies);
      const staffAnswer = (s: string) => postForm(local, form, `/posts/${s}/comments`, { body: 'Staff here.' });
      expect((await staffAnswer(await slug(answered))).statusCode).toBe(303);
      const held = await staffAnswer(await slug(heldStaff));
      const heldId = Number(/#comment-(\d+)/.exec(String(held.headers.location))![1]);
      await local.db.kysely.updateTable('comments').set({ status: 'pending' }).where('id', '=', heldId).execute();

      const list = await local.app.inject({ url: '/admin/posts?awaiting=1', cookies: modCookies });
      expect(list.statusCode).toBe(200);
      const titles = [...list.body.matchAll(/<td><a href="\/admin\/posts\/\d+\/edit">([^<]+)<\/a>/g)].map((m) => m[1]);
      expect(titles).toEqual(['Unanswered question', 'Only patrons answered', 'Staff reply unapproved']);
      expect(textOf(list.body)).toContain('Questions awaiting a staff reply (3)');
      expect(list.body).toContain('href="/admin/posts?awaiting=1" aria-current="page"');
      // The plain list links to the filter, with its count, and to each question's themes.
      const all = await local.app.inject({ url: '/admin/posts', cookies: modCookies });
      expect(textOf(all.body)).toContain('Questions awaiting a staff reply (3)');
      expect(all.body).toContain(`href="/admin/posts/${answered}/themes"`);
      expect(textOf((await local.app.inject({ url: '/admin', cookies: modCookies })).body)).toContain('3 questions awaiting a staff reply');
      // An author sees their own questions only.
      const own = await local.app.inject({ url: '/admin/posts?awaiting=1', cookies: ownerCookies });
      expect([...own.body.matchAll(/<td><a href="\/admin\/posts\/\d+\/edit">([^<]+)<\/a>/g)].map((m) => m[1])).toEqual(['Only patrons answered', 'Staff reply unapproved']);

      const modToken = await apiToken(local, 'editor');
      const viaApi = await local.app.inject({ url: '/api/v1/posts?awaiting_staff_reply=1', headers: modToken.headers });
      expect(viaApi.statusCode).toBe(200);
      expect(viaApi.json().total).toBe(3);
      expect((viaApi.json().posts as { id: number; is_question: boolean }[]).map((p) => p.id)).toEqual([unanswered, patronOnly, heldStaff]);
      expect((await local.app.inject({ url: '/api/v1/posts?awaiting_staff_reply=1' })).statusCode).toBe(401);
      const bad = await local.app.inject({ url: '/api/v1/posts?awaiting_staff_reply=yes', headers: modToken.headers });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().error.fields).toHaveProperty('awaiting_staff_reply');
      // Without the filter the list is the public one, as before.
      expect((await local.app.inject({ url: '/api/v1/posts' })).json().total).toBe(5);
    } finally {
      await local.close();
    }
  });
});
