import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { publishPost } from '../helpers/content.js';
import { readContentVersion } from '../../server/plugins/page-cache.js';
import { answer, questionPost, section, staffReply, textOf } from './helpers.js';

/**
 * Themes and tallies (issue 11): moderators tag approved answers of a question post with
 * themes made on the fly; the post, a summary page, the API and a CSV show each theme with
 * its mentions and quotes, counted from approved comments only.
 */
let t: TestApp;
let editor: Browser;
let author: Browser;
let patron: Browser;
let editorApi: Awaited<ReturnType<typeof apiToken>>;
let authorApi: Awaited<ReturnType<typeof apiToken>>;

const get = (url: string, cookies: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, cookies });
const api = (method: 'GET' | 'POST' | 'DELETE' | 'PATCH', url: string, headers: Record<string, string> = {}, payload?: unknown) =>
  t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
const themeRows = (postId: number) => t.db.kysely.selectFrom('themes').select(['id', 'name', 'name_key']).where('post_id', '=', postId).orderBy('id').execute();
const tagRows = (commentId: number) =>
  t.db.kysely.selectFrom('comment_themes').innerJoin('themes', 'themes.id', 'comment_themes.theme_id').select(['themes.name', 'comment_themes.tagged_by']).where('comment_id', '=', commentId).orderBy('themes.name').execute();
const tagViaApi = async (commentId: number, themes: string[]) => {
  const res = await api('POST', `/api/v1/comments/${commentId}/themes`, editorApi.headers, { themes });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { comment_id: number; themes: { id: number; name: string }[] };
};

/** Five patrons answer "What makes good customer service?"; returns their comment ids. */
async function fiveAnswers(slug: string) {
  return [
    await answer(t, slug, 'Staff who **smile** and say hello.', 'Alice'),
    await answer(t, slug, 'Being friendly, even on a busy Saturday.', 'Bob'),
    await answer(t, slug, 'A warm welcome at the desk.', 'Chen'),
    await answer(t, slug, 'Someone who listens to the whole question.', 'Dana'),
    await answer(t, slug, 'Listening, then helping me find the book.', 'Eli'),
  ];
}

beforeAll(async () => {
  t = await buildTestApp();
  editor = await signIn(t, 'editor');
  author = await signIn(t, 'author');
  patron = await signIn(t, 'patron');
  editorApi = await apiToken(t, 'editor');
  authorApi = await apiToken(t, 'author');
});
afterAll(() => t.close());

describe('the staff themes page', () => {
  it('lists the approved answers, each with a tagging form; held ones are not there', async () => {
    const q = await questionPost(t);
    const [a] = await fiveAnswers(q.slug);
    const reply = await staffReply(t, editor, q.slug, 'Thank you, everyone.');
    const held = await answer(t, q.slug, 'Held answer.');
    await api('PATCH', `/api/v1/comments/${held}`, editorApi.headers, { status: 'pending' });
    const res = await get(`/admin/posts/${q.id}/themes`, editor.cookies);
    expect(res.statusCode).toBe(200);
    expect(textOf(res.body)).toContain('Approved answers (6)');
    expect(res.body).toContain(`id="c-${a}"`);
    expect(res.body).not.toContain('Held answer.');
    expect(res.body).toMatch(new RegExp(`<label for="new-theme-${a}">New theme</label>\\s*<input id="new-theme-${a}" name="new_theme"`));
    // A staff reply offers the pin button here too.
    expect(section(res.body, `id="c-${reply}"`, '</li>\n<')).toContain('Pin as the official answer');
  });

  it('is for moderators only: authors and patrons get 403, visitors the sign-in page', async () => {
    const q = await questionPost(t);
    const [a] = await fiveAnswers(q.slug);
    expect((await get(`/admin/posts/${q.id}/themes`, author.cookies)).statusCode).toBe(403);
    expect((await get(`/admin/posts/${q.id}/themes`, patron.cookies)).statusCode).toBe(403);
    const visitor = await get(`/admin/posts/${q.id}/themes`);
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toMatch(/^\/admin\/login\?next=/);
    expect((await postForm(t, author, `/admin/comments/${a}/themes`, { new_theme: 'Helping' })).statusCode).toBe(403);
    expect((await postForm(t, patron, `/admin/comments/${a}/themes`, { new_theme: 'Helping' })).statusCode).toBe(403);
    expect((await postForm(t, null, `/admin/comments/${a}/themes`, { new_theme: 'Helping' })).statusCode).toBe(401);
    expect(await themeRows(q.id)).toEqual([]);
  });

  it('creates a theme on the fly, offers it for the other answers, and reuses it whatever the case', async () => {
    const q = await questionPost(t);
    const [a, b, c] = await fiveAnswers(q.slug);
    const first = await postForm(t, editor, `/admin/comments/${a}/themes`, { new_theme: '  Friendly /  smiles ' });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`/admin/posts/${q.id}/themes?done=tagged#c-${a}`);
    const themes = await themeRows(q.id);
    expect(themes).toEqual([{ id: expect.any(Number), name: 'Friendly / smiles', name_key: 'friendly / smiles' }]);
    expect(await tagRows(a!)).toEqual([{ name: 'Friendly / smiles', tagged_by: editor.user.id }]);

    const page = await get(`/admin/posts/${q.id}/themes?done=tagged`, editor.cookies);
    expect(page.body).toContain('Themes saved.');
    const bForm = section(page.body, `id="c-${b}"`, '</li>\n<');
    expect(bForm).toMatch(new RegExp(`<input type="checkbox" id="t-${b}-${themes[0]!.id}" name="theme_ids" value="${themes[0]!.id}"><label for="t-${b}-${themes[0]!.id}">Friendly / smiles</label>`));
    expect(await postForm(t, editor, `/admin/comments/${b}/themes`, { theme_ids: String(themes[0]!.id) })).toMatchObject({ statusCode: 303 });
    // Typed again in another case: the same theme, not a second one.
    expect(await postForm(t, editor, `/admin/comments/${c}/themes`, { new_theme: 'FRIENDLY / Smiles' })).toMatchObject({ statusCode: 303 });
    // Ticking one and writing a new one at once.
    expect(await postForm(t, editor, `/admin/comments/${c}/themes`, { theme_ids: String(themes[0]!.id), new_theme: 'Welcoming' })).toMatchObject({ statusCode: 303 });
    expect((await themeRows(q.id)).map((r) => r.name)).toEqual(['Friendly / smiles', 'Welcoming']);
    expect(await tagRows(c!)).toEqual([
      { name: 'Friendly / smiles', tagged_by: editor.user.id },
      { name: 'Welcoming', tagged_by: editor.user.id },
    ]);
    const after = await get(`/admin/posts/${q.id}/themes`, editor.cookies);
    expect(textOf(section(after.body, '<table class="table themes-table">', '</table>'))).toBe('Theme Mentions Actions Friendly / smiles 3 Delete the theme “Friendly / smiles” Welcoming 1 Delete the theme “Welcoming”');
  });

  it('re-renders the page with the error next to that answer’s field and the typed value kept', async () => {
    const q = await questionPost(t);
    const [a, b] = await fiveAnswers(q.slug);
    await tagViaApi(a!, ['Helping']);
    const empty = await postForm(t, editor, `/admin/comments/${b}/themes`, { new_theme: '   ' });
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain(`<p class="field-error" id="new-theme-${b}-error">Choose a theme or write a new one</p>`);
    expect(empty.body).toMatch(new RegExp(`id="new-theme-${b}"[^>]*aria-invalid="true" aria-describedby="new-theme-${b}-error"`));
    expect(empty.body).toContain(`<a href="#new-theme-${b}">Choose a theme or write a new one</a>`);
    const long = 'A theme name that goes on and on far beyond sixty characters in all';
    const tooLong = await postForm(t, editor, `/admin/comments/${b}/themes`, { new_theme: long, theme_ids: String((await themeRows(q.id))[0]!.id) });
    expect(tooLong.statusCode).toBe(422);
    expect(tooLong.body).toContain(`id="new-theme-${b}-error">Keep theme names to 60 characters`);
    expect(tooLong.body).toContain(`value="${long}"`);
    // The ticked box stays ticked.
    expect(section(tooLong.body, `id="c-${b}"`, '</li>\n<')).toMatch(/name="theme_ids" value="\d+" checked/);
    expect(await tagRows(b!)).toEqual([]);
  });

  it('refuses to tag a held comment or an answer on a post that is not a question', async () => {
    const q = await questionPost(t);
    const [a] = await fiveAnswers(q.slug);
    await api('PATCH', `/api/v1/comments/${a}`, editorApi.headers, { status: 'pending' });
    const held = await api('POST', `/api/v1/comments/${a}/themes`, editorApi.headers, { themes: ['Helping'] });
    expect(held.statusCode).toBe(422);
    expect(held.json().error.fields.comment_id).toMatch(/approved/);
    const plain = await publishPost(t, { title: 'Just news' });
    const onPlain = await answer(t, plain.slug, 'Nice news.');
    const res = await api('POST', `/api/v1/comments/${onPlain}/themes`, editorApi.headers, { themes: ['Helping'] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.fields.comment_id).toMatch(/question/);
    const html = await postForm(t, editor, `/admin/comments/${onPlain}/themes`, { new_theme: 'Helping' });
    expect(html.statusCode).toBe(422);
    expect(html.body).toContain('This post is not a question');
    expect(await themeRows(plain.id)).toEqual([]);
    expect((await api('POST', '/api/v1/comments/999999/themes', editorApi.headers, { themes: ['Helping'] })).statusCode).toBe(404);
  });

  it('removes a tag but keeps the theme to reuse; deleting the theme takes it off every answer', async () => {
    const q = await questionPost(t);
    const [a, b] = await fiveAnswers(q.slug);
    const { themes } = await tagViaApi(a!, ['Listening']);
    await tagViaApi(b!, ['Listening']);
    const listening = themes[0]!.id;
    const untag = await postForm(t, editor, `/admin/comments/${a}/themes/${listening}/delete`, {});
    expect(untag.statusCode).toBe(303);
    expect(await tagRows(a!)).toEqual([]);
    expect((await api('POST', `/api/v1/comments/${b}/themes`, authorApi.headers, { themes: ['x'] })).statusCode).toBe(403);
    const untagB = await api('DELETE', `/api/v1/comments/${b}/themes/${listening}`, editorApi.headers);
    expect(untagB.statusCode).toBe(204);
    expect((await api('DELETE', `/api/v1/comments/${b}/themes/${listening}`, editorApi.headers)).statusCode).toBe(404);
    // No mentions left: the theme stays for staff, the public summary drops it.
    expect((await themeRows(q.id)).map((r) => r.name)).toEqual(['Listening']);
    expect((await get(`/posts/${q.slug}`)).body).not.toContain('What you told us');
    const listed = await api('GET', `/api/v1/posts/${q.slug}/themes`, editorApi.headers);
    expect(listed.json()).toEqual({ themes: [{ id: listening, name: 'Listening', mentions: 0 }] });

    await tagViaApi(a!, ['Listening']);
    expect((await postForm(t, author, `/admin/posts/${q.id}/themes/${listening}/delete`, {})).statusCode).toBe(403);
    const del = await postForm(t, editor, `/admin/posts/${q.id}/themes/${listening}/delete`, {});
    expect(del.statusCode).toBe(303);
    expect(await themeRows(q.id)).toEqual([]);
    expect(await tagRows(a!)).toEqual([]);
  });
});

describe('theme names are text, never markup', () => {
  it('escapes a theme name wherever it is shown', async () => {
    const q = await questionPost(t);
    const [a] = await fiveAnswers(q.slug);
    const name = '<img src=x onerror=alert(1)>"\'';
    await tagViaApi(a!, [name]);
    const escaped = '&lt;img src=x onerror=alert(1)&gt;&quot;&#39;';
    for (const [url, cookies] of [[`/posts/${q.slug}`, {}], [`/posts/${q.slug}/summary`, {}], [`/admin/posts/${q.id}/themes`, editor.cookies]] as const) {
      const res = await get(url, cookies);
      expect(res.body, url).not.toContain('<img src=x');
      expect(res.body, url).toContain(escaped);
    }
  });
});

describe('tagging through the API', () => {
  it('takes names and ids, answers with the comment’s themes, and names the field on bad input', async () => {
    const q = await questionPost(t);
    const [a, b] = await fiveAnswers(q.slug);
    const tagged = await tagViaApi(a!, ['Helping', ' helping ', 'Listening']);
    expect(tagged.comment_id).toBe(a);
    expect(tagged.themes.map((x) => x.name)).toEqual(['Helping', 'Listening']);
    const helping = tagged.themes[0]!.id;
    const byId = await api('POST', `/api/v1/comments/${b}/themes`, editorApi.headers, { theme_ids: [helping] });
    expect(byId.json().themes).toEqual([{ id: helping, name: 'Helping' }]);
    const bad: [unknown, string, RegExp][] = [
      [{ themes: [''] }, 'themes', /needs a name/],
      [{ themes: ['   '] }, 'themes', /needs a name/],
      [{}, 'themes', /Choose a theme/],
      [{ themes: ['x'.repeat(61)] }, 'themes', /60 characters/],
      [{ theme_ids: [999999] }, 'theme_ids', /not one of this post/],
      [{ themes: [{ name: 'Helping' }] }, 'themes.0', /string/],
      [{ themes: Array.from({ length: 21 }, (_, i) => `Theme ${i}`) }, 'themes', /20/],
    ];
    for (const [payload, fieldName, message] of bad) {
      const res = await api('POST', `/api/v1/comments/${b}/themes`, editorApi.headers, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(422);
      expect(`${res.json().error.fields[fieldName]}`, `${JSON.stringify(payload)} → ${res.body}`).toMatch(message);
    }
    // Another post's theme cannot be put on this post's answer.
    const other = await questionPost(t, { title: 'Another question' });
    const o = await answer(t, other.slug, 'Elsewhere.');
    const res = await api('POST', `/api/v1/comments/${o}/themes`, editorApi.headers, { theme_ids: [helping] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.fields.theme_ids).toBeDefined();
    expect((await api('POST', `/api/v1/comments/${b}/themes`, {}, { themes: ['Helping'] })).statusCode).toBe(401);
    expect((await api('GET', `/api/v1/posts/${q.slug}/themes`, authorApi.headers)).statusCode).toBe(403);
  });
});

describe('the summary: “What you told us”', () => {
  let q: { id: number; slug: string };
  let ids: number[];

  beforeAll(async () => {
    q = await questionPost(t);
    ids = await fiveAnswers(q.slug);
    for (const id of ids.slice(0, 3)) await tagViaApi(id, ['Friendly / smiles']);
    for (const id of ids.slice(3)) await tagViaApi(id, ['Listening']);
    await tagViaApi(ids[4]!, ['Helping']);
  });

  it('shows each theme with its mentions and quotes on the post, most mentioned first', async () => {
    const html = (await get(`/posts/${q.slug}`)).body;
    const summary = section(html, '<section class="themes-summary"', '</section>');
    expect(summary).toContain('<h2 id="themes-summary-title">What you told us</h2>');
    const names = [...summary.matchAll(/<h3 class="theme__name">([^<]+) <span class="theme__count">— ([^<]+)<\/span><\/h3>/g)].map((m) => `${m[1]}: ${m[2]}`);
    expect(names).toEqual(['Friendly / smiles: 3 mentions', 'Listening: 2 mentions', 'Helping: 1 mention']);
    // Quotes are plain text, linked to their comment.
    expect(summary).toContain(`<li><a href="#comment-${ids[0]}">“Staff who smile and say hello.”</a></li>`);
    expect(summary).not.toContain('<strong>');
    expect(summary).toContain(`href="/posts/${q.slug}/summary.csv"`);
    // Before the thread, after the body.
    expect(html.indexOf('class="themes-summary"')).toBeLessThan(html.indexOf('id="comments"'));
    expect(html.indexOf('class="themes-summary"')).toBeGreaterThan(html.indexOf('class="post__body'));
  });

  it('counts approved comments only: an unapproved or deleted answer drops out at once', async () => {
    await api('PATCH', `/api/v1/comments/${ids[0]}`, editorApi.headers, { status: 'pending' });
    let html = (await get(`/posts/${q.slug}`)).body;
    expect(html).toContain('Friendly / smiles <span class="theme__count">— 2 mentions');
    expect(section(html, '<section class="themes-summary"', '</section>')).not.toContain(`#comment-${ids[0]}`);
    await api('PATCH', `/api/v1/comments/${ids[0]}`, editorApi.headers, { status: 'approved' });
    expect((await get(`/posts/${q.slug}`)).body).toContain('Friendly / smiles <span class="theme__count">— 3 mentions');
    const extra = await answer(t, q.slug, 'Helpful, too.');
    await tagViaApi(extra, ['Helping']);
    expect((await get(`/posts/${q.slug}`)).body).toContain('Helping <span class="theme__count">— 2 mentions');
    await api('DELETE', `/api/v1/comments/${extra}`, editorApi.headers);
    html = (await get(`/posts/${q.slug}`)).body;
    expect(html).toContain('Helping <span class="theme__count">— 1 mention<');
    expect(await tagRows(extra)).toEqual([]);
  });

  it('has a page of its own, and a JSON twin', async () => {
    const res = await get(`/posts/${q.slug}/summary`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1 class="post__title">What you told us</h1>');
    expect(textOf(section(res.body, '<table', '</table>'))).toBe('Mentions per theme Theme Mentions Friendly / smiles 3 Listening 2 Helping 1');
    expect(res.body).toContain(`<a href="/posts/${q.slug}#comment-${ids[3]}">“Someone who listens to the whole question.”</a>`);
    const json = await api('GET', `/api/v1/posts/${q.slug}/summary`);
    expect(json.statusCode).toBe(200);
    const body = json.json();
    expect(body.mentions).toBe(6);
    expect(body.themes.map((x: { name: string; mentions: number }) => [x.name, x.mentions])).toEqual([
      ['Friendly / smiles', 3],
      ['Listening', 2],
      ['Helping', 1],
    ]);
    expect(body.themes[0].quotes[0]).toEqual({ comment_id: ids[0], text: 'Staff who smile and say hello.', url: `${t.config.baseUrl}/posts/${q.slug}#comment-${ids[0]}` });
  });

  it('is a CSV download: one row per theme, quotes in cells, safe from spreadsheet formulas', async () => {
    const res = await get(`/posts/${q.slug}/summary.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${q.slug}-summary.csv"`);
    expect(res.body.startsWith('\uFEFF')).toBe(true);
    expect(res.body.slice(1).split('\r\n')).toEqual([
      'Theme,Mentions,Quote 1,Quote 2,Quote 3',
      'Friendly / smiles,3,Staff who smile and say hello.,"Being friendly, even on a busy Saturday.",A warm welcome at the desk.',
      'Listening,2,Someone who listens to the whole question.,"Listening, then helping me find the book."',
      'Helping,1,"Listening, then helping me find the book."',
      '',
    ]);
  });

  it('puts a quote before anything a spreadsheet would run as a formula', async () => {
    const evil = await questionPost(t, { title: 'Formula injection' });
    // In backticks, so Markdown's typographer leaves the straight quotes alone.
    const a = await answer(t, evil.slug, '`=HYPERLINK("http://evil.example","click")`');
    const b = await answer(t, evil.slug, '@SUM(1+1)');
    const c = await answer(t, evil.slug, '-2+3');
    await tagViaApi(a, ['=cmd|calc']);
    await tagViaApi(b, ['+Plus']);
    await tagViaApi(c, ['+Plus']);
    const rows = (await get(`/posts/${evil.slug}/summary.csv`)).body.slice(1).split('\r\n');
    expect(rows).toEqual([
      'Theme,Mentions,Quote 1,Quote 2',
      `'+Plus,2,'@SUM(1+1),'-2+3`,
      `'=cmd|calc,1,"'=HYPERLINK(""http://evil.example"",""click"")"`,
      '',
    ]);
  });

  it('is a 404 for a post that is not a question, and says so when nothing is tagged yet', async () => {
    const plain = await publishPost(t, { title: 'Plain' });
    expect((await get(`/posts/${plain.slug}/summary`)).statusCode).toBe(404);
    expect((await get(`/posts/${plain.slug}/summary.csv`)).statusCode).toBe(404);
    expect((await api('GET', `/api/v1/posts/${plain.slug}/summary`)).statusCode).toBe(404);
    const fresh = await questionPost(t, { title: 'Nothing tagged' });
    const res = await get(`/posts/${fresh.slug}/summary`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('have not grouped the answers into themes yet');
    expect((await get(`/posts/${fresh.slug}`)).body).not.toContain('What you told us');
    expect((await get(`/posts/${fresh.slug}/summary.csv`)).body).toBe('\uFEFFTheme,Mentions\r\n');
  });
});

describe('the page cache', () => {
  it('shows a new tag to anonymous readers of a cached post and summary page at once', async () => {
    const q = await questionPost(t);
    const [a, b] = await fiveAnswers(q.slug);
    await tagViaApi(a!, ['Helping']);
    for (const url of [`/posts/${q.slug}`, `/posts/${q.slug}/summary`]) {
      await get(url);
      const warm = await get(url);
      expect(warm.headers['x-page-cache'], url).toBe('hit');
      expect(warm.body).toContain('1 mention');
    }
    await tagViaApi(b!, ['Helping']);
    for (const url of [`/posts/${q.slug}`, `/posts/${q.slug}/summary`]) {
      const after = await get(url);
      expect(after.headers['x-page-cache'], url).toBe('miss');
      expect(after.body, url).toContain('Helping <span class="theme__count">— 2 mentions');
    }
    // Untagging moves the page too.
    await api('DELETE', `/api/v1/comments/${b}/themes/${(await themeRows(q.id))[0]!.id}`, editorApi.headers);
    const untagged = await get(`/posts/${q.slug}`);
    expect(untagged.headers['x-page-cache']).toBe('miss');
    expect(untagged.body).toContain('Helping <span class="theme__count">— 1 mention<');
  });

  it('is left alone when a held comment with no tags is deleted (nothing public changed)', async () => {
    const q = await questionPost(t);
    const held = await answer(t, q.slug, 'Spam, really.');
    await api('PATCH', `/api/v1/comments/${held}`, editorApi.headers, { status: 'spam' });
    const before = await readContentVersion(t.db);
    expect((await api('DELETE', `/api/v1/comments/${held}`, editorApi.headers)).statusCode).toBe(204);
    expect(await readContentVersion(t.db)).toBe(before);
  });
});
