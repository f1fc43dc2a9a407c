import { sql, type SqlBool } from 'kysely';
import type { Executor } from './executor.js';
import type { DiscussionMode } from '../db/schema.js';

/** The discussion defaults of a post's categories (services/discussion.ts picks the strictest). */
export async function categoryModesOfPost(db: Executor, postId: number): Promise<(DiscussionMode | null)[]> {
  const rows = await db
    .selectFrom('post_terms')
    .innerJoin('terms', 'terms.id', 'post_terms.term_id')
    .select('terms.discussion_mode')
    .where('post_terms.post_id', '=', postId)
    .where('terms.kind', '=', 'category')
    .execute();
  return rows.map((r) => r.discussion_mode);
}

/** Every category with its default mode and how many posts it holds, by name. */
export async function listCategoriesWithModes(db: Executor) {
  const rows = await db
    .selectFrom('terms')
    .leftJoin('post_terms', 'post_terms.term_id', 'terms.id')
    .select(['terms.id', 'terms.name', 'terms.slug', 'terms.discussion_mode', (eb) => eb.fn.count<number>('post_terms.post_id').as('posts')])
    .where('terms.kind', '=', 'category')
    .groupBy(['terms.id', 'terms.name', 'terms.slug', 'terms.discussion_mode'])
    .orderBy('terms.name')
    .execute();
  return rows.map((r) => ({ ...r, posts: Number(r.posts) }));
}

export const findCategory = (db: Executor, id: number) =>
  db.selectFrom('terms').selectAll().where('id', '=', id).where('kind', '=', 'category').executeTakeFirst();

export async function setCategoryMode(db: Executor, id: number, mode: DiscussionMode | null): Promise<void> {
  await db.updateTable('terms').set({ discussion_mode: mode }).where('id', '=', id).where('kind', '=', 'category').execute();
}

/**
 * The next comments_close_at after `now` on a post the public can see (or soon will): the
 * page cache treats it as a change with no write (plugins/page-cache.ts).
 */
export async function nextCommentsCloseAt(db: Executor, now: string): Promise<string | null> {
  const row = await db
    .selectFrom('posts')
    .select((eb) => eb.fn.min('comments_close_at').as('at'))
    .where('comments_close_at', '>', now)
    .where('kind', '=', 'post')
    .where('status', 'in', ['published', 'scheduled'])
    .executeTakeFirst();
  return row?.at ?? null;
}

/**
 * A condition on a post row (the query's `posts`, or another alias) that its discussion is
 * not hidden, by its own mode or, with none, by a category's default: hidden is the strictest
 * mode, so any hidden category decides. For queries that show approved comments publicly
 * (feeds, search). Portable SQL.
 */
export function notHiddenDiscussion(alias = 'posts') {
  const p = sql.table(alias);
  return sql<SqlBool>`NOT (${p}.discussion_mode IS NOT NULL AND ${p}.discussion_mode = 'hidden'
  OR ${p}.discussion_mode IS NULL AND EXISTS (
    SELECT 1 FROM post_terms pt JOIN terms t ON t.id = pt.term_id
     WHERE pt.post_id = ${p}.id AND t.kind = 'category' AND t.discussion_mode = 'hidden'))`;
}
