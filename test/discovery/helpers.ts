import type { TestApp } from '../helpers/app.js';
import { makeUser } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { createPost, type PostInput } from '../../server/services/posts.js';
import { findPostById } from '../../server/data/posts.js';
import type { User } from '../../server/db/schema.js';

/** Every discovery test runs with a public address unlike the listen address, to prove URLs come from BASE_URL. */
export const BASE = 'https://library.example.org';

/** A post by a given author (published now unless told otherwise); returns id and slug. */
export async function writePost(t: TestApp, author: Pick<User, 'id' | 'role'>, input: Partial<PostInput>): Promise<{ id: number; slug: string }> {
  const id = await createPost(t.db.kysely, author, { title: 'Untitled', body: 'Some words.', status: 'published', ...input });
  return { id, slug: (await findPostById(t.db.kysely, id))!.slug };
}

export const author = (t: TestApp, display_name = 'Maria Librarian') => makeUser(t, 'author', { display_name });

/** Posts a comment through the public form, as a patron would; returns the new id. */
export async function comment(t: TestApp, slug: string, body: string, fields: Record<string, string> = {}): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress: '10.9.9.9',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name: 'Ann Patron', email: 'ann@example.org', body, ...fields }).toString(),
  });
  if (res.statusCode !== 303) throw new Error(`comment refused: ${res.statusCode} ${res.body.slice(0, 200)}`);
  return Number(/#comment-(\d+)$/.exec(res.headers.location as string)![1]);
}

/** Comments approved at once, and no rate limit in the way of a test's burst. */
export const openModeration = (t: TestApp) => setSettings(t, { moderation: 'none', hold_links: 0, comment_rate_per_minute: 100_000 });

export const moderator = (t: TestApp) => makeUser(t, 'editor', { display_name: 'Mo Derator' });

/** Queries that try to break a search engine's parser, the page, or the SQL around it. */
export const HOSTILE_QUERIES = [
  '"',
  '*',
  '**',
  '-',
  '--',
  'AND OR NOT',
  'OR',
  'NOT',
  '(((',
  ')))',
  'NEAR(',
  'NEAR(customer service, 2)',
  'customer NEAR/2 service',
  'title:customer',
  '{title body}: customer',
  '^customer',
  'customer +service',
  '"unclosed phrase',
  'a"b"c',
  '""',
  "'",
  "customer' OR '1'='1",
  '; DROP TABLE posts; --',
  '%',
  '\\',
  'customer\u0000service',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'café naïve ☕ 日本語 Ελληνικά العربية 🤖',
  '\u202Eevil\u202C',
  '\u200B\u200D',
  'e\u0301',
  '😀😀😀',
  'customer:* & !service | <->',
  "to_tsquery('x')",
  'x'.repeat(1000),
  'customer '.repeat(120),
  '"a" '.repeat(300),
  '(-*"'.repeat(250),
];
