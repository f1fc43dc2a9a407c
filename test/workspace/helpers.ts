import { expect } from 'vitest';
import type { TestApp } from '../helpers/app.js';

/** Shared steps of the moderation workspace tests (issue 11). */

export const idFrom = (location: string) => Number(/#comment-(\d+)$/.exec(location)![1]);

/** A visitor's comment through the public form; answers its id. */
export async function postComment(t: TestApp, slug: string, fields: Record<string, string> = {}, remoteAddress = '10.0.0.9') {
  const res = await t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name: 'Ann', email: 'ann@example.org', body: 'Smiles matter.', ...fields }).toString(),
  });
  expect(res.statusCode).toBe(303);
  return idFrom(res.headers.location as string);
}

export const commentRow = (t: TestApp, id: number) => t.db.kysely.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirst();

export const statusOf = async (t: TestApp, id: number) => (await commentRow(t, id))?.status;

export const commentCount = async (t: TestApp, postId: number) =>
  (await t.db.kysely.selectFrom('posts').select('comment_count').where('id', '=', postId).executeTakeFirstOrThrow()).comment_count;

export const logOf = (t: TestApp, commentId: number) =>
  t.db.kysely.selectFrom('moderation_log').selectAll().where('comment_id', '=', commentId).orderBy('id').execute();

/** A JSON call with a bearer token. */
export const api = (t: TestApp, headers: Record<string, string>, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) =>
  t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}) });
