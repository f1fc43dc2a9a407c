import type { Executor } from './executor.js';
import type { Term, TermKind } from '../db/schema.js';

export const findTerm = (db: Executor, kind: TermKind, slug: string) =>
  db.selectFrom('terms').selectAll().where('kind', '=', kind).where('slug', '=', slug).executeTakeFirst();

export const findTermsBySlugs = (db: Executor, kind: TermKind, slugs: string[]) =>
  slugs.length === 0
    ? Promise.resolve([] as Term[])
    : db.selectFrom('terms').selectAll().where('kind', '=', kind).where('slug', 'in', slugs).execute();

export async function insertTerm(db: Executor, term: { kind: TermKind; name: string; slug: string }): Promise<Term> {
  return db.insertInto('terms').values({ ...term, description: '' }).returningAll().executeTakeFirstOrThrow();
}

export async function replacePostTerms(db: Executor, postId: number, termIds: number[]): Promise<void> {
  await db.deleteFrom('post_terms').where('post_id', '=', postId).execute();
  if (termIds.length > 0) {
    await db
      .insertInto('post_terms')
      .values(termIds.map((term_id) => ({ post_id: postId, term_id })))
      .execute();
  }
}

/** Terms of many posts in one query, grouped by post id. */
export async function termsOfPosts(db: Executor, postIds: number[]): Promise<Map<number, Term[]>> {
  const byPost = new Map<number, Term[]>();
  if (postIds.length === 0) return byPost;
  const rows = await db
    .selectFrom('post_terms')
    .innerJoin('terms', 'terms.id', 'post_terms.term_id')
    .select(['post_terms.post_id', 'terms.id', 'terms.kind', 'terms.name', 'terms.slug', 'terms.description', 'terms.discussion_mode'])
    .where('post_terms.post_id', 'in', postIds)
    .orderBy('terms.name')
    .execute();
  for (const { post_id, ...term } of rows) {
    const list = byPost.get(post_id) ?? [];
    list.push(term);
    byPost.set(post_id, list);
  }
  return byPost;
}

export const listTerms = (db: Executor, kind: TermKind) =>
  db.selectFrom('terms').selectAll().where('kind', '=', kind).orderBy('name').execute();
