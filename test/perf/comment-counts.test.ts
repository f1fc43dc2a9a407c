import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { apiToken, buildTestApp, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { countByStatus } from '../../server/data/comments.js';

/**
 * The moderation queue's counts come from comment_counts (migration 0071), kept by triggers:
 * after every kind of write they equal a real count of the comments table.
 */
let t: TestApp;
let moderator: Awaited<ReturnType<typeof apiToken>>;

async function realCounts() {
  const rows = await t.db.kysely.selectFrom('comments').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  const counts = { pending: 0, approved: 0, spam: 0, rejected: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

beforeAll(async () => {
  t = await buildTestApp();
  moderator = await apiToken(t, 'editor');
  await setSettings(t, { comment_rate_per_minute: 1000 });
});
afterAll(async () => t?.close());

describe('comment counts', () => {
  it('follow inserts, moderation, bulk moves, deletes and a deleted post', async () => {
    const post = await publishPost(t);
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Pat', email: `p${i}@example.org`, body: `Comment ${i}` } });
      expect(res.statusCode).toBe(201);
      ids.push(res.json().comment.id);
    }
    expect(await countByStatus(t.db.kysely)).toEqual(await realCounts());
    await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${ids[0]}`, headers: moderator.headers, payload: { status: 'approved' } });
    await t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${ids[1]}`, headers: moderator.headers, payload: { status: 'spam' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/comments/bulk', headers: moderator.headers, payload: { ids: [ids[2], ids[3]], status: 'rejected' } });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/comments/${ids[4]}`, headers: moderator.headers });
    expect(await countByStatus(t.db.kysely)).toEqual(await realCounts());
    expect((await countByStatus(t.db.kysely)).rejected).toBe(2);
    // A raw write outside the services is counted too.
    await sql`update comments set status = 'approved' where id = ${ids[5]}`.execute(t.db.kysely);
    expect(await countByStatus(t.db.kysely)).toEqual(await realCounts());
    const del = await t.app.inject({ method: 'DELETE', url: `/api/v1/posts/${post.id}`, headers: moderator.headers });
    expect(del.statusCode).toBe(204);
    expect(await countByStatus(t.db.kysely)).toEqual(await realCounts());
    expect(await countByStatus(t.db.kysely)).toEqual({ pending: 0, approved: 0, spam: 0, rejected: 0 });
  });

  it('give the queue page its totals', async () => {
    const post = await publishPost(t);
    for (let i = 0; i < 3; i++) {
      await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/comments`, payload: { name: 'Sam', email: `s${i}@example.org`, body: `Held ${i}` } });
    }
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/comments?status=pending', headers: moderator.headers });
    expect(res.json().total).toBe((await realCounts()).pending);
  });
});
