import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, getCsrf, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { loadSettings } from '../../server/services/settings.js';
import { api, postComment } from './helpers.js';

let t: TestApp;
let post: { id: number; slug: string };
beforeEach(async () => {
  t = await buildTestApp();
  post = await publishPost(t);
  await setSettings(t, { comment_rate_per_minute: 1000 });
});
afterEach(() => t.close());

/**
 * Four comments with known fates: two arrived approved (one mentions a casino, one a banned
 * word), one was held for a hold word that is about to be dropped, one held and then approved.
 */
async function seed() {
  await setSettings(t, { moderation: 'none', hold_links: 2, hold_words: ['library card'], block_words: [] });
  const casino = await postComment(t, post.slug, { email: 'c@example.org', body: 'Try the casino tonight' });
  const viagra = await postComment(t, post.slug, { email: 'v@example.org', body: 'cheap viagra here' });
  const card = await postComment(t, post.slug, { email: 'k@example.org', body: 'I lost my library card' });
  const later = await postComment(t, post.slug, { email: 'l@example.org', body: 'The library card desk was kind' });
  const mod = await apiToken(t, 'editor');
  await api(t, mod.headers, 'PATCH', `/api/v1/comments/${later}`, { status: 'approved' });
  const smile = await postComment(t, post.slug, { email: 's@example.org', body: 'Smiles' });
  return { casino, viagra, card, later, smile };
}

const proposed = { moderation: 'none', hold_links: 2, hold_words: ['casino'], block_words: ['viagra'] };

describe('dry run through the API', () => {
  it('shows which comments the proposed rules would hold, spam or release, with reasons, and saves nothing', async () => {
    const ids = await seed();
    const mod = await apiToken(t, 'admin');
    const before = await loadSettings(t.db.kysely);
    const res = await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', proposed);
    expect(res.statusCode).toBe(200);
    const report = res.json().dry_run;
    expect(report.sample).toBe(5);
    expect(report.summary).toEqual({ held: 1, spam: 1, released: 2, unspammed: 0, unchanged: 1 });
    const byId = new Map(report.changes.map((c: { id: number }) => [c.id, c]));
    expect(byId.get(ids.casino)).toMatchObject({
      change: 'held',
      was: { status: 'approved', reasons: [] },
      would: { status: 'pending', reasons: ["matched hold word 'casino'"] },
      post: { slug: post.slug },
      excerpt: 'Try the casino tonight',
    });
    expect(byId.get(ids.viagra)).toMatchObject({ change: 'spam', would: { status: 'spam', reasons: ["matched block word 'viagra'"] } });
    expect(byId.get(ids.card)).toMatchObject({ change: 'released', was: { status: 'pending', reasons: ["matched hold word 'library card'"] }, status_now: 'pending' });
    // Compared with how it arrived, not with the moderator's later decision.
    expect(byId.get(ids.later)).toMatchObject({ change: 'released', was: { status: 'pending' }, status_now: 'approved' });
    expect(byId.has(ids.smile)).toBe(false);
    expect(await loadSettings(t.db.kysely)).toEqual(before);
  });

  it('uses the saved value for anything left out, and the real first-time rule', async () => {
    const ids = await seed();
    const mod = await apiToken(t, 'editor');
    const res = await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', { moderation: 'first-time' });
    const report = res.json().dry_run;
    expect(report.rules).toEqual({ moderation: 'first-time', hold_links: 2, hold_words: ['library card'], block_words: [] });
    // Every email here is new, so first-time holds those that arrived approved.
    expect(report.changes.filter((c: { change: string }) => c.change === 'held').map((c: { id: number }) => c.id).sort()).toEqual([ids.casino, ids.viagra, ids.smile].sort());
  });

  it('names the field on bad input, and refuses authors', async () => {
    const mod = await apiToken(t, 'editor');
    const author = await apiToken(t, 'author');
    const bad = await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', { moderation: 'sometimes', hold_links: 500 });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.fields).toEqual({ moderation: 'Choose all, first-time or none', hold_links: 'Choose a number from 0 (off) to 100' });
    const long = await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', { block_words: ['x'.repeat(101)] });
    expect(long.json().error.fields.block_words).toMatch(/100 characters/);
    expect((await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', { hold_links: 'two' })).statusCode).toBe(422);
    expect((await api(t, author.headers, 'POST', '/api/v1/moderation/dry-run', proposed)).statusCode).toBe(403);
  });

  it('looks at the last 1,000 comments only', async () => {
    const now = new Date().toISOString();
    const row = (i: number) => ({
      post_id: post.id,
      depth: 0,
      author_name: `Reader ${i}`,
      author_email: `r${i}@example.org`,
      author_url: '',
      avatar_key: 'a'.repeat(32),
      is_staff: 0,
      body_md: i === 0 ? 'the very first casino comment' : `comment ${i}`,
      body_html: `<p>comment ${i}</p>`,
      status: 'approved' as const,
      reasons: '[]',
      created_at: now,
      updated_at: now,
    });
    await t.db.kysely.insertInto('comments').values(Array.from({ length: 1005 }, (_, i) => row(i))).execute();
    const mod = await apiToken(t, 'editor');
    const report = (await api(t, mod.headers, 'POST', '/api/v1/moderation/dry-run', { moderation: 'none', hold_words: ['casino'] })).json().dry_run;
    expect(report.sample).toBe(1000);
    // The oldest comment is outside the window.
    expect(report.summary.held).toBe(0);
  });
});

describe('dry run on the discussion settings page', () => {
  it('has a Dry run button that keeps every typed value and shows the result without saving', async () => {
    const ids = await seed();
    const admin = await signIn(t, 'admin');
    const page = await t.app.inject({ url: '/admin/settings/discussion', cookies: admin.cookies });
    expect(page.body).toContain('formaction="/admin/settings/discussion/dry-run"');
    const form = await getCsrf(t, '/admin/settings/discussion', admin.cookies);
    const before = await loadSettings(t.db.kysely);
    const res = await postForm(t, form, '/admin/settings/discussion/dry-run', {
      moderation: 'none',
      hold_links: '2',
      hold_words: 'casino',
      block_words: 'viagra',
      close_after_days: '14',
      thread_depth: '4',
      comment_rate_per_minute: '1000',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Dry run: nothing was saved');
    expect(res.body).toMatch(/would newly hold <strong>1<\/strong>, newly mark <strong>1<\/strong> as spam, release <strong>2<\/strong>/);
    expect(res.body).toContain('Try the casino tonight');
    expect(res.body).toContain('matched hold word &#39;casino&#39;');
    expect(res.body).toContain(`href="/posts/${post.slug}"`);
    // Typed values are kept, including fields the dry run does not use.
    expect(res.body).toContain('>casino</textarea>');
    expect(res.body).toContain('>viagra</textarea>');
    expect(res.body).toMatch(/id="close_after_days"[^>]*value="14"/);
    expect(res.body).toMatch(/id="moderation-none"[^>]*checked/);
    expect(await loadSettings(t.db.kysely)).toEqual(before);
    expect(ids.casino).toBeGreaterThan(0);
  });

  it('shows errors next to the fields with the typed values kept (never a 500)', async () => {
    const admin = await signIn(t, 'admin');
    const form = await getCsrf(t, '/admin/settings/discussion', admin.cookies);
    const res = await postForm(t, form, '/admin/settings/discussion/dry-run', { moderation: 'none', hold_links: 'lots', hold_words: 'casino\nbingo', block_words: '' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('id="hold_links-error"');
    expect(res.body).toMatch(/id="hold_links"[^>]*value="lots"/);
    expect(res.body).toContain('>casino\nbingo</textarea>');
    expect(res.body).not.toContain('Dry run: nothing was saved');
  });

  it('is for the people who may change the rules', async () => {
    const author = await signIn(t, 'author');
    const editor = await signIn(t, 'editor');
    expect((await postForm(t, author, '/admin/settings/discussion/dry-run', { moderation: 'none' })).statusCode).toBe(403);
    expect((await postForm(t, editor, '/admin/settings/discussion/dry-run', { moderation: 'none' })).statusCode).toBe(403);
  });
});
