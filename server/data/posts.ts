import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { Executor } from './executor.js';
import type { Database, NewPost, PostKind, PostUpdate } from '../db/schema.js';

const POST_COLUMNS = [
  'posts.id',
  'posts.author_id',
  'posts.kind',
  'posts.title',
  'posts.slug',
  'posts.body_md',
  'posts.body_html',
  'posts.excerpt',
  'posts.excerpt_md',
  'posts.status',
  'posts.published_at',
  'posts.comments_open',
  'posts.comment_count',
  'posts.discussion_mode',
  'posts.comments_close_at',
  'posts.created_at',
  'posts.updated_at',
  'posts.is_question',
  'posts.answer_comment_id',
] as const;

const AUTHOR_COLUMNS = [
  'users.username as author_username',
  'users.display_name as author_display_name',
  'users.bio_html as author_bio_html',
] as const;

/**
 * What the public may see: published, or scheduled and due. A scheduled post appears the
 * moment its time passes, before the scheduler has flipped its status.
 */
export function isVisible(now: string) {
  return (eb: ExpressionBuilder<Database, 'posts'>) =>
    eb.and([
      eb('posts.status', 'in', ['published', 'scheduled']),
      eb('posts.published_at', '<=', now),
    ]);
}

function withAuthor(db: Executor) {
  return db.selectFrom('posts').innerJoin('users', 'users.id', 'posts.author_id').select(POST_COLUMNS).select(AUTHOR_COLUMNS);
}

export type PostWithAuthor = Awaited<ReturnType<typeof findPostWithAuthorBySlug>> & object;

export const findPostWithAuthorBySlug = (db: Executor, slug: string) =>
  withAuthor(db).where('posts.slug', '=', slug).executeTakeFirst();

export const findPostWithAuthorById = (db: Executor, id: number) =>
  withAuthor(db).where('posts.id', '=', id).executeTakeFirst();

/** Several posts with their authors, in no particular order (the caller orders them). */
export const findPostsWithAuthorByIds = (db: Executor, ids: number[]) =>
  ids.length === 0 ? Promise.resolve([]) : withAuthor(db).where('posts.id', 'in', ids).execute();

export const findPostById = (db: Executor, id: number) =>
  db.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();

export async function slugTaken(db: Executor, slug: string, exceptId?: number): Promise<boolean> {
  let query = db.selectFrom('posts').select('id').where('slug', '=', slug);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function insertPost(db: Executor, post: NewPost): Promise<number> {
  const row = await db.insertInto('posts').values(post).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function updatePost(db: Executor, id: number, changes: PostUpdate): Promise<void> {
  await db.updateTable('posts').set(changes).where('id', '=', id).execute();
}

export async function deletePost(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('posts').where('id', '=', id).execute();
}

export interface ListingFilter {
  kind?: PostKind;
  termId?: number;
  authorId?: number;
}

/**
 * One page of visible posts, newest first, and the total for the pager.
 *
 * Read so that the cost follows the page, not the site (issue 9: 100,000 posts): "visible"
 * is two statuses, and one ORDER BY over both makes SQLite sort every visible post. So the
 * ids come first, per status, each an ordered walk of the posts_listing index that stops at
 * the page's end; the two short lists are merged here; then the page's rows are read by id.
 * The count reads the same index alone (every post has its author: a foreign key).
 */
export async function listVisiblePosts(db: Executor, filter: ListingFilter, now: string, page: number, perPage: number) {
  const upTo = page * perPage;
  const idsOf = (status: 'published' | 'scheduled') =>
    filterIds(db.selectFrom('posts').select(['posts.id', 'posts.published_at']).where('posts.status', '=', status), filter, now)
      .orderBy('posts.published_at', 'desc')
      .orderBy('posts.id', 'desc')
      .limit(upTo)
      .execute();
  const [published, scheduled] = await Promise.all([idsOf('published'), idsOf('scheduled')]);
  const newestFirst = (a: { id: number; published_at: string | null }, b: { id: number; published_at: string | null }) =>
    (b.published_at ?? '').localeCompare(a.published_at ?? '') || b.id - a.id;
  const pageIds = (scheduled.length ? [...published, ...scheduled].sort(newestFirst) : published).slice(upTo - perPage, upTo).map((r) => r.id);
  const found = pageIds.length ? await withAuthor(db).where('posts.id', 'in', pageIds).execute() : [];
  const byId = new Map(found.map((r) => [r.id, r]));
  const rows = pageIds.map((id) => byId.get(id)).filter((r) => r !== undefined);
  const countRow = await filterIds(db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).where('posts.status', 'in', ['published', 'scheduled']), filter, now).executeTakeFirstOrThrow();
  return { rows, total: Number(countRow.n) };
}

function filterIds<O>(query: SelectQueryBuilder<Database, 'posts', O>, filter: ListingFilter, now: string) {
  let q = query.where('posts.kind', '=', filter.kind ?? 'post').where('posts.published_at', '<=', now);
  if (filter.authorId !== undefined) q = q.where('posts.author_id', '=', filter.authorId);
  if (filter.termId !== undefined) {
    const termId = filter.termId;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('post_terms')
          .select('post_terms.post_id')
          .whereRef('post_terms.post_id', '=', 'posts.id')
          .where('post_terms.term_id', '=', termId),
      ),
    );
  }
  return q;
}

/** Pages for the site navigation. */
export const listVisiblePages = (db: Executor, now: string) =>
  db
    .selectFrom('posts')
    .select(['title', 'slug'])
    .where(isVisible(now))
    .where('kind', '=', 'page')
    .orderBy('title')
    .execute();

/** The staff list: everything, or one author's, newest change first. */
export async function listPostsForStaff(db: Executor, opts: { authorId?: number; page: number; perPage: number }) {
  let query = withAuthor(db);
  if (opts.authorId !== undefined) query = query.where('posts.author_id', '=', opts.authorId);
  const rows = await query
    .orderBy('posts.updated_at', 'desc')
    .limit(opts.perPage)
    .offset((opts.page - 1) * opts.perPage)
    .execute();
  let countQuery = db.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n'));
  if (opts.authorId !== undefined) countQuery = countQuery.where('author_id', '=', opts.authorId);
  const { n } = await countQuery.executeTakeFirstOrThrow();
  return { rows, total: Number(n) };
}

/** Flips due scheduled posts to published; the conditional UPDATE makes it happen once. */
export async function publishDuePosts(db: Executor, now: string): Promise<number> {
  const result = await db
    .updateTable('posts')
    .set({ status: 'published', updated_at: now })
    .where('status', '=', 'scheduled')
    .where('published_at', '<=', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countPostsByStatus(db: Executor) {
  const rows = await db
    .selectFrom('posts')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
}
