import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { judgeComment } from '../../server/services/comment-rules.js';
import { DEFAULT_SETTINGS } from '../../server/services/settings.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(async () => {
  await t.close();
});

const stored = (id: number) => t.db.kysely.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const idFrom = (location: string) => Number(/#comment-(\d+)$/.exec(location)![1]);

function comment(slug: string, fields: Record<string, string>, remoteAddress = '10.0.0.1') {
  const params = new URLSearchParams({ name: 'Ann Reader', email: 'ann@example.org', body: 'Friendly staff, always.', ...fields });
  return t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: params.toString(),
  });
}

describe('moderation rules through the form', () => {
  it('holds a first-time commenter, then approves the same email once one comment is approved', async () => {
    const { slug } = await publishPost(t);
    const first = await comment(slug, {});
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toMatch(new RegExp(`^/posts/${slug}\\?held=\\d+#comment-\\d+$`));
    const firstId = idFrom(first.headers.location as string);
    const row = await stored(firstId);
    expect(row.status).toBe('pending');
    expect(JSON.parse(row.reasons)).toEqual(['first-time commenter']);

    await t.db.kysely.updateTable('comments').set({ status: 'approved' }).where('id', '=', firstId).execute();
    const second = await comment(slug, { body: 'And helpful too.', email: 'ANN@example.org' });
    expect(second.headers.location).toBe(`/posts/${slug}#comment-${idFrom(second.headers.location as string)}`);
    expect((await stored(idFrom(second.headers.location as string))).status).toBe('approved');
  });

  it('holds everything with moderation=all and nothing with moderation=none', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'all' });
    const held = await comment(slug, {});
    expect(JSON.parse((await stored(idFrom(held.headers.location as string))).reasons)).toEqual(['all comments are held for moderation']);
    await setSettings(t, { moderation: 'none' });
    const live = await comment(slug, { email: 'new@example.org' });
    expect((await stored(idFrom(live.headers.location as string))).status).toBe('approved');
  });

  it('holds a comment with hold_links links or more, naming the count', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'none', hold_links: 2 });
    const one = await comment(slug, { body: 'See https://a.example for more.' });
    expect((await stored(idFrom(one.headers.location as string))).status).toBe('approved');
    const three = await comment(slug, { body: 'https://a.example [b](https://b.example) https://c.example' });
    const row = await stored(idFrom(three.headers.location as string));
    expect(row.status).toBe('pending');
    expect(JSON.parse(row.reasons)).toEqual(['3 links']);
  });

  it('holds on a hold word in any field and spams on a block word, keeping the reason', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'none', hold_words: ['casino'], block_words: ['cheap pills'] });
    const held = await comment(slug, { url: 'https://best-CASINO.example' });
    const heldRow = await stored(idFrom(held.headers.location as string));
    expect(heldRow.status).toBe('pending');
    expect(JSON.parse(heldRow.reasons)).toEqual(["matched hold word 'casino'"]);
    const spam = await comment(slug, { body: 'Buy Cheap Pills now' });
    const spamRow = await stored(idFrom(spam.headers.location as string));
    expect(spamRow.status).toBe('spam');
    expect(JSON.parse(spamRow.reasons)).toEqual(["matched block word 'cheap pills'"]);
  });

  it('marks a filled honeypot as spam with the same response a held comment gets', async () => {
    const { slug } = await publishPost(t);
    const real = await comment(slug, { email: 'a@example.org' });
    const bot = await comment(slug, { email: 'b@example.org', homepage: 'http://spam.example' });
    expect(bot.statusCode).toBe(real.statusCode);
    expect(bot.headers.location).toMatch(new RegExp(`^/posts/${slug}\\?held=\\d+#comment-\\d+$`));
    const row = await stored(idFrom(bot.headers.location as string));
    expect(row.status).toBe('spam');
    expect(JSON.parse(row.reasons)).toEqual(['honeypot field filled']);
  });

  it('approves staff comments at once and marks them as staff', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'all' });
    const editor = await signIn(t, 'editor');
    const res = await postForm(t, editor, `/posts/${slug}/comments`, { body: 'Thank you all!' });
    expect(res.statusCode).toBe(303);
    const row = await stored(idFrom(res.headers.location as string));
    expect(row).toMatchObject({ status: 'approved', is_staff: 1, user_id: editor.user.id, author_name: editor.user.display_name });
    const page = await t.app.inject(`/posts/${slug}`);
    expect(page.body).toContain('comment--staff');
    expect(page.body).toMatch(/<span class="badge badge--staff">Library staff<\/span>/);
  });

  it('refuses a signed-in comment without the CSRF token, keeping the text on the resend page', async () => {
    const { slug } = await publishPost(t);
    const editor = await signIn(t, 'editor');
    const res = await postForm(t, { cookies: editor.cookies, csrf: 'forged' }, `/posts/${slug}/comments`, { body: 'Typed with care' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('value="Typed with care"');
    expect(await t.db.kysely.selectFrom('comments').selectAll().execute()).toHaveLength(0);
  });
});

describe('closing, limits and validation', () => {
  it('answers 403 on a post with comments switched off, and keeps the typed text', async () => {
    const { slug } = await publishPost(t, { comments_open: false });
    const page = await t.app.inject(`/posts/${slug}`);
    expect(page.body).toContain('Comments are closed.');
    expect(page.body).not.toContain('id="respond"');
    const res = await comment(slug, { body: 'My considered thoughts' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Comments are closed on this post');
    expect(res.body).toContain('My considered thoughts');
  });

  it('closes comments on posts older than close_after_days', async () => {
    const old = new Date(Date.now() - 40 * 24 * 3600 * 1000).toISOString();
    const { slug } = await publishPost(t, { published_at: old });
    await setSettings(t, { close_after_days: 30 });
    expect((await comment(slug, {})).statusCode).toBe(403);
    await setSettings(t, { close_after_days: 0 });
    expect((await comment(slug, {})).statusCode).toBe(303);
  });

  it('answers 404 for an unknown or unpublished post', async () => {
    expect((await comment('no-such-post', {})).statusCode).toBe(404);
    const { slug } = await publishPost(t, { status: 'draft' });
    expect((await comment(slug, {})).statusCode).toBe(404);
  });

  it('answers 429 past the per-IP rate limit, per IP, with the text kept', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { comment_rate_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await comment(slug, { body: `Comment ${i}` }, '10.1.1.1')).statusCode).toBe(303);
    const limited = await comment(slug, { body: 'One too many' }, '10.1.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect(limited.body).toContain('One too many');
    expect((await comment(slug, { body: 'From elsewhere' }, '10.2.2.2')).statusCode).toBe(303);
    // The IP itself is never stored, only a keyed hash.
    const rows = await t.db.kysely.selectFrom('comments').select('ip_hash').execute();
    expect(rows.every((r) => r.ip_hash && !r.ip_hash.includes('10.1.1.1') && /^[0-9a-f]{32}$/.test(r.ip_hash))).toBe(true);
  });

  it.each([
    ['an empty body', { body: '   ' }, 'body', 'Write your comment'],
    ['a bad email', { email: 'not-an-email' }, 'email', 'Give an email address'],
    ['a missing name', { name: '' }, 'name', 'Give your name'],
    ['a javascript: website', { url: 'javascript:alert(1)' }, 'url', 'starting with http'],
    ['a missing parent', { parent_id: '99999' }, 'parent_id', 'not on this post'],
  ])('answers 422 for %s, naming the field and keeping every typed value', async (_label, fields, field, message) => {
    const { slug } = await publishPost(t);
    const typed = { name: 'Ann <Reader>', email: 'ann@example.org', url: 'https://ann.example', body: 'My long considered answer', ...fields };
    const res = await comment(slug, typed);
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain(`id="${field}-error"`);
    expect(res.body).toContain(message);
    if (field !== 'name') expect(res.body).toContain('value="Ann &lt;Reader&gt;"');
    if (field !== 'email') expect(res.body).toContain(`value="${typed.email}"`);
    if (field !== 'body') expect(res.body).toContain('>My long considered answer</textarea>');
    expect(await t.db.kysely.selectFrom('comments').selectAll().execute()).toHaveLength(0);
  });

  it('refuses a parent from another post with 422', async () => {
    const a = await publishPost(t, { title: 'First' });
    const b = await publishPost(t, { title: 'Second' });
    await setSettings(t, { moderation: 'none' });
    const onA = await comment(a.slug, {});
    const parentId = idFrom(onA.headers.location as string);
    const res = await comment(b.slug, { parent_id: String(parentId), body: 'Wrong thread' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Wrong thread');
  });
});

describe('threading', () => {
  it('nests replies and attaches a reply below the deepest level beside its parent', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'none', thread_depth: 3 });
    let parent = '';
    const ids: number[] = [];
    for (let level = 0; level < 4; level++) {
      const res = await comment(slug, { body: `Level ${level}`, parent_id: parent }, `10.0.${level}.1`);
      const id = idFrom(res.headers.location as string);
      ids.push(id);
      parent = String(id);
    }
    const rows = await t.db.kysely.selectFrom('comments').select(['id', 'parent_id', 'depth', 'reply_to_id']).orderBy('id').execute();
    expect(rows.map((r) => r.depth)).toEqual([0, 1, 2, 2]);
    // It still records whom it answered.
    expect(rows[3]!.reply_to_id).toBe(ids[2]);
    // The fourth replied to the third (depth 2 = deepest of 3 levels): attached beside it.
    expect(rows[3]!.parent_id).toBe(ids[1]);
    const api = (await t.app.inject(`/api/v1/posts/${slug}`)).json();
    expect(api.comments).toHaveLength(1);
    const level1 = api.comments[0].replies[0];
    expect(level1.replies.map((r: { id: number }) => r.id)).toEqual([ids[2], ids[3]]);
  });

  it('sets the form to reply with ?replytocom and shows whom you answer, with a cancel link', async () => {
    const { slug } = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const res = await comment(slug, { name: 'Bob Patron' });
    const id = idFrom(res.headers.location as string);
    const page = await t.app.inject(`/posts/${slug}?replytocom=${id}`);
    expect(page.body).toContain(`name="parent_id" value="${id}"`);
    expect(page.body).toContain('Reply to Bob Patron');
    expect(page.body).toContain(`href="/posts/${slug}#respond">Cancel reply</a>`);
    expect(page.body).toContain(`href="/posts/${slug}?replytocom=${id}#respond"`);
  });
});

describe('judgeComment', () => {
  it('puts spam rules before staff approval', () => {
    const verdict = judgeComment(
      { name: 'x', email: 'x@example.org', url: '', body: 'hi', bodyHtml: '<p>hi</p>', isStaff: true, honeypotFilled: true, approvedBefore: 0 },
      DEFAULT_SETTINGS,
    );
    expect(verdict.status).toBe('spam');
  });
  it('collects every reason that applies', () => {
    const verdict = judgeComment(
      { name: 'x', email: 'x@example.org', url: '', body: 'casino', bodyHtml: '<a href="#">1</a><a href="#">2</a>', isStaff: false, honeypotFilled: false, approvedBefore: 0 },
      { ...DEFAULT_SETTINGS, hold_words: ['casino'] },
    );
    expect(verdict).toEqual({ status: 'pending', reasons: ['first-time commenter', '2 links', "matched hold word 'casino'"] });
  });
});
