import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { addPost, apiToken, buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { startSession } from '../../server/services/auth.js';
import { createApiToken } from '../../server/services/api-tokens.js';
import { submitComment } from '../../server/services/comments.js';
import { loadSettings } from '../../server/services/settings.js';
import { findPostById } from '../../server/data/posts.js';
import { loadXssPayloads } from '../helpers/xss.js';
import type { User } from '../../server/db/schema.js';

/**
 * Property-based fuzzing (fast-check) of the three ways in that take the most input: the
 * comment form, the comment API and the post API. Whatever is sent, the answer is 2xx, 3xx
 * or 4xx, never 5xx, and another user's rows are exactly as they were.
 */
const RUNS_PER_TARGET = 200;

let t: TestApp;
let victim: User;
let victimPostId: number;
let victimSlug: string;
let openSlug: string;
let author: { user: User; headers: Record<string, string> };
let authorPostId: number;

beforeAll(async () => {
  t = await buildTestApp();
  await setSettings(t, { moderation: 'first-time', comment_rate_per_minute: 1_000_000 });
  victim = await makeUser(t, 'editor', { email: 'victim@example.org' });
  victimPostId = await addPost(t, victim, { title: 'The victim’s post', body: 'Leave this alone.', tags: ['Kept'], categories: ['Kept'] });
  victimSlug = (await findPostById(t.db.kysely, victimPostId))!.slug;
  await startSession(t.db.kysely, victim.id);
  await createApiToken(t.db.kysely, victim, 'victim');
  await submitComment(t.db.kysely, victimSlug, { body: 'A staff comment' }, { user: victim, ipHash: 'b'.repeat(32) }, await loadSettings(t.db.kysely), 'fuzz');
  author = await apiToken(t, 'author');
  authorPostId = await addPost(t, author.user, { title: 'The fuzzer’s own post' });
  openSlug = (await findPostById(t.db.kysely, await addPost(t, author.user, { title: 'Open for comments' })))!.slug;
});
afterAll(() => t.close());

/** Everything that belongs to the victim, to compare before and after. */
async function victimRows() {
  const db = t.db.kysely;
  return {
    user: await db.selectFrom('users').selectAll().where('id', '=', victim.id).execute(),
    posts: await db.selectFrom('posts').selectAll().where('author_id', '=', victim.id).orderBy('id').execute(),
    terms: await db.selectFrom('post_terms').selectAll().where('post_id', '=', victimPostId).orderBy('term_id').execute(),
    comments: await db.selectFrom('comments').select(['id', 'body_md', 'status', 'author_name', 'author_email', 'user_id']).where('user_id', '=', victim.id).orderBy('id').execute(),
    sessions: await db.selectFrom('sessions').select(['id', 'user_id', 'expires_at']).where('user_id', '=', victim.id).execute(),
    tokens: await db.selectFrom('api_tokens').select(['id', 'token_hash', 'revoked_at']).where('user_id', '=', victim.id).execute(),
  };
}

const corpus = loadXssPayloads();
/** Strings of every kind: short and long, any Unicode, numbers, hostile markup, blanks. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom(...corpus),
  fc.integer().map(String),
  fc.constantFrom('', ' ', '0', '-1', 'null', 'true', '[]', '{}', '__proto__', 'constructor', 'x@example.org', 'https://example.org/'),
  fc.nat({ max: 12_000 }).map((n) => 'x'.repeat(n)),
);
const FIELD = fc.oneof(fc.constantFrom('name', 'email', 'url', 'body', 'parent_id', 'remember', 'notify_replies', 'notify_post', 'homepage', '_csrf', '__proto__'), fc.string({ maxLength: 12 }));

/** Mostly the first (three times in four), sometimes the second. */
const mostly = <A, B>(usual: fc.Arbitrary<A>, other: fc.Arbitrary<B>) => fc.oneof({ weight: 3, arbitrary: usual as fc.Arbitrary<A | B> }, { weight: 1, arbitrary: other as fc.Arbitrary<A | B> });
/** How many inputs the target took: the fuzz must also reach past validation. */
let accepted = 0;

const expectNoServerError = (res: LightMyRequestResponse, what: unknown) => {
  if (res.statusCode >= 500) throw new Error(`${res.statusCode} for ${JSON.stringify(what).slice(0, 500)}`);
};

describe(`fuzzing, ${RUNS_PER_TARGET} runs per target`, () => {
  it('the comment form: any fields, any values, repeated or not', { timeout: 180_000 }, async () => {
    const before = await victimRows();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(FIELD, text), { maxLength: 8 }),
        fc.record(
          {
            name: mostly(fc.constant('Fuzz'), text),
            email: mostly(fc.constant('fuzz@example.org'), text),
            url: fc.oneof(fc.constant(''), fc.webUrl(), text),
            body: mostly(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), text),
            remember: fc.constantFrom('on', '', 'off'),
            notify_replies: fc.constantFrom('on', ''),
            homepage: mostly(fc.constant(''), text),
          },
          { requiredKeys: [] },
        ),
        mostly(fc.constant(openSlug), fc.constantFrom(victimSlug, 'no-such-post', '%20', 'a'.repeat(300))),
        mostly(fc.constant(null), fc.integer({ min: -5, max: 50 })),
        async (pairs, known, slug, parent) => {
          const params = new URLSearchParams();
          // Wild pairs first; the named fields (the last value counts) often make a valid
          // comment, so the fuzz also reaches the rules past validation.
          for (const [k, v] of pairs) params.append(k, v);
          for (const [k, v] of Object.entries(known)) params.append(k, v);
          if (parent !== null) params.append('parent_id', String(parent));
          const res = await t.app.inject({
            method: 'POST',
            url: `/posts/${encodeURIComponent(slug)}/comments`,
            remoteAddress: '203.0.113.50',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: params.toString(),
          });
          expectNoServerError(res, { slug, pairs });
          expect([200, 303, 400, 403, 404, 413, 414, 422, 429]).toContain(res.statusCode);
          if (res.statusCode === 303) accepted++;
        },
      ),
      { numRuns: RUNS_PER_TARGET },
    );
    expect(await victimRows()).toEqual(before);
    expect(accepted).toBeGreaterThan(10);
  });

  it('the comment API: any JSON at all, and objects shaped almost right', { timeout: 180_000 }, async () => {
    const before = await victimRows();
    accepted = 0;
    const shaped = fc.record(
      { name: fc.jsonValue(), email: fc.oneof(text, fc.jsonValue()), url: fc.oneof(text, fc.jsonValue()), body: fc.oneof(text, fc.jsonValue()), parent_id: fc.oneof(fc.integer(), fc.jsonValue()), notify_replies: fc.jsonValue(), notify_post: fc.jsonValue() },
      { requiredKeys: [] },
    );
    const wellTyped = fc.record(
      {
        name: mostly(fc.constant('Fuzz'), text),
        email: mostly(fc.constant('fuzz@example.org'), text),
        url: fc.oneof(fc.constant(null), fc.webUrl(), text),
        body: mostly(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 300 }), text),
        parent_id: mostly(fc.constant(null), fc.integer({ min: 1, max: 60 })),
        notify_replies: fc.boolean(),
        notify_post: fc.boolean(),
      },
      { requiredKeys: ['body'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 3, arbitrary: wellTyped }, shaped, fc.jsonValue(), fc.dictionary(fc.string(), text)), mostly(fc.constant(openSlug), fc.constantFrom(victimSlug, 'missing')), async (body, slug) => {
        const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${slug}/comments`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
        if (res.statusCode === 201) accepted++;
        expectNoServerError(res, body);
        expect([201, 400, 403, 404, 413, 415, 422, 429]).toContain(res.statusCode);
        if (res.statusCode >= 400) expect(res.json().error.code).toEqual(expect.any(String));
      }),
      { numRuns: RUNS_PER_TARGET },
    );
    expect(await victimRows()).toEqual(before);
    expect(accepted).toBeGreaterThan(10);
  });

  it('the post API, as an author: create, change and delete with any body, on any id', { timeout: 180_000 }, async () => {
    const before = await victimRows();
    accepted = 0;
    const date = fc.date({ noInvalidDate: true, min: new Date('1900-01-01'), max: new Date('2200-01-01') }).map((d) => d.toISOString());
    const wellTyped = fc.record(
      {
        title: mostly(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 100 }), text),
        body: mostly(fc.string({ unit: 'grapheme', maxLength: 500 }), text),
        slug: mostly(fc.string({ unit: 'grapheme', maxLength: 30 }).map((x) => x.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')), fc.constantFrom(victimSlug, 'Not A Slug')),
        status: fc.constantFrom('draft', 'published', 'scheduled'),
        published_at: fc.option(date),
        tags: fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), { maxLength: 5 }),
        categories: fc.array(fc.constantFrom('Kept', 'kept', 'News'), { maxLength: 3 }),
        comments_open: fc.boolean(),
        kind: fc.constantFrom('post', 'page'),
      },
      { requiredKeys: ['title', 'body', 'status'] },
    );
    const wild = fc.record(
      {
        title: text,
        body: text,
        slug: fc.oneof(text, fc.constantFrom(victimSlug, 'post', 'a-b')),
        excerpt: text,
        status: fc.oneof(fc.constantFrom('draft', 'published', 'scheduled'), text),
        published_at: fc.oneof(date, text, fc.constant(null)),
        tags: fc.oneof(fc.array(text, { maxLength: 25 }), fc.jsonValue()),
        categories: fc.oneof(fc.array(fc.constantFrom('Kept', 'kept', 'KEPT', ' Kept '), { maxLength: 3 }), fc.array(text, { maxLength: 25 })),
        comments_open: fc.oneof(fc.boolean(), fc.jsonValue()),
        kind: fc.oneof(fc.constantFrom('post', 'page'), text),
        author_id: fc.constant(victim.id),
        id: fc.constant(victimPostId),
      },
      { requiredKeys: [] },
    );
    const target = fc.oneof(
      { weight: 3, arbitrary: fc.constant(authorPostId) },
      { weight: 2, arbitrary: fc.constant(victimPostId) },
      fc.integer({ min: -2, max: 1_000_000 }),
      fc.constantFrom('abc', '1e3', '0x10', '9'.repeat(30)),
    );
    const method = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('POST', 'PATCH') }, fc.constant('DELETE'));
    await fc.assert(
      fc.asyncProperty(method, target, fc.oneof({ weight: 2, arbitrary: wellTyped }, wild), async (method, id, payload) => {
        const url = method === 'POST' ? '/api/v1/posts' : `/api/v1/posts/${id}`;
        const res = await t.app.inject({ method, url, headers: author.headers, ...(method === 'DELETE' ? {} : { payload }) });
        expectNoServerError(res, { method, id, payload });
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode < 300) accepted++;
        if (id === victimPostId && method !== 'POST') expect([400, 403, 422]).toContain(res.statusCode);
      }),
      { numRuns: RUNS_PER_TARGET },
    );
    expect(await victimRows()).toEqual(before);
    expect(accepted).toBeGreaterThan(10);
  });
});
