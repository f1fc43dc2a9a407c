import { sql } from 'kysely';
import type { Executor } from './executor.js';
import type { Insertable } from 'kysely';
import type { PostKind, PostStatus, WordpressCommentsTable, WordpressPostsTable, WordpressUsersTable } from '../db/schema.js';

/** What WordPress ids became in Lectern (migrations 0031–0033), for re-imports and old links. */

const CHUNK = 500;

/** Runs `query` over `values` in chunks, so an IN list never outgrows a dialect's limits. */
async function inChunks<T, R>(values: T[], query: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(...(await query(values.slice(i, i + CHUNK))));
  return out;
}

async function insertChunked<T>(db: Executor, table: 'wordpress_users' | 'wordpress_posts' | 'wordpress_comments', rows: T[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await db.insertInto(table).values(rows.slice(i, i + CHUNK) as never).execute();
}

export const findUserMaps = (db: Executor, source: string, logins: string[]) =>
  inChunks(logins, (chunk) => db.selectFrom('wordpress_users').selectAll().where('source', '=', source).where('wp_login', 'in', chunk).execute());

export const insertUserMaps = (db: Executor, rows: Insertable<WordpressUsersTable>[]) => insertChunked(db, 'wordpress_users', rows);

export const findPostMaps = (db: Executor, source: string, wpIds: number[]) =>
  inChunks(wpIds, (chunk) => db.selectFrom('wordpress_posts').selectAll().where('source', '=', source).where('wp_id', 'in', chunk).execute());

export const insertPostMaps = (db: Executor, rows: Insertable<WordpressPostsTable>[]) => insertChunked(db, 'wordpress_posts', rows);

export const findCommentMaps = (db: Executor, source: string, wpIds: number[]) =>
  inChunks(wpIds, (chunk) => db.selectFrom('wordpress_comments').selectAll().where('source', '=', source).where('wp_id', 'in', chunk).execute());

export const insertCommentMaps = (db: Executor, rows: Insertable<WordpressCommentsTable>[]) => insertChunked(db, 'wordpress_comments', rows);

export async function updateMapRow(
  db: Executor,
  table: 'wordpress_users' | 'wordpress_posts' | 'wordpress_comments',
  id: number,
  changes: Record<string, unknown>,
): Promise<void> {
  await db.updateTable(table).set(changes as never).where('id', '=', id).execute();
}

export const findPostsByIds = (db: Executor, ids: number[]) =>
  inChunks(ids, (chunk) => db.selectFrom('posts').selectAll().where('id', 'in', chunk).execute());

export const findCommentsByIds = (db: Executor, ids: number[]) =>
  inChunks(ids, (chunk) => db.selectFrom('comments').selectAll().where('id', 'in', chunk).execute());

export const findUsersByIds = (db: Executor, ids: number[]) =>
  inChunks(ids, (chunk) => db.selectFrom('users').select(['id', 'username', 'email', 'role']).where('id', 'in', chunk).execute());

export const takenSlugs = (db: Executor, slugs: string[]) =>
  inChunks(slugs, (chunk) => db.selectFrom('posts').select('slug').where('slug', 'in', chunk).execute());

export const postTermIds = (db: Executor, postId: number) =>
  db.selectFrom('post_terms').select('term_id').where('post_id', '=', postId).orderBy('term_id').execute();

export async function insertPostTerms(db: Executor, rows: { post_id: number; term_id: number }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await db.insertInto('post_terms').values(rows.slice(i, i + CHUNK)).execute();
}

/** posts.comment_count = its approved comments, recomputed for these posts. */
export async function recountApproved(db: Executor, postIds: number[]): Promise<void> {
  for (let i = 0; i < postIds.length; i += CHUNK) {
    await db
      .updateTable('posts')
      .set({
        comment_count: (eb) =>
          eb
            .selectFrom('comments')
            .select((e) => e.fn.countAll<number>().as('n'))
            .whereRef('comments.post_id', '=', 'posts.id')
            .where('comments.status', '=', 'approved'),
      })
      .where('id', 'in', postIds.slice(i, i + CHUNK))
      .execute();
  }
}

/** Inserts rows and returns their new ids in the rows' order (ids are handed out in order). */
export async function insertReturningIds(db: Executor, table: 'posts' | 'comments' | 'terms', rows: object[]): Promise<number[]> {
  const ids: number[] = [];
  const size = Math.max(1, Math.floor(CHUNK / 2));
  for (let i = 0; i < rows.length; i += size) {
    const out = await db
      .insertInto(table)
      .values(rows.slice(i, i + size) as never)
      .returning('id')
      .execute();
    ids.push(...out.map((r) => Number(r.id)).sort((a, b) => a - b));
  }
  return ids;
}

// -------------------------------------------------------------- old links

export interface MappedPost {
  post_id: number;
  kind: PostKind;
  slug: string;
  status: PostStatus;
  published_at: string | null;
  wp_date: string;
}

function mappedPosts(db: Executor) {
  return db
    .selectFrom('wordpress_posts')
    .innerJoin('posts', 'posts.id', 'wordpress_posts.post_id')
    .select(['posts.id as post_id', 'posts.kind', 'posts.slug', 'posts.status', 'posts.published_at', 'wordpress_posts.wp_date'])
    .orderBy('wordpress_posts.id', 'desc');
}

/** The Lectern post a WordPress id became (the latest import wins when several sites were imported). */
export const findByWpId = (db: Executor, wpId: number): Promise<MappedPost | undefined> =>
  mappedPosts(db).where('wordpress_posts.wp_id', '=', wpId).executeTakeFirst();

export const findByWpSlug = (db: Executor, wpSlug: string, wpType: 'post' | 'page' | null): Promise<MappedPost[]> => {
  let query = mappedPosts(db).where('wordpress_posts.wp_slug', '=', wpSlug);
  if (wpType) query = query.where('wordpress_posts.wp_type', '=', wpType);
  return query.limit(20).execute();
};

export const findUsernameByWpLogin = (db: Executor, login: string) =>
  db
    .selectFrom('wordpress_users')
    .innerJoin('users', 'users.id', 'wordpress_users.user_id')
    .select('users.username')
    // WordPress's author links use the "nicename": the login with dots as hyphens.
    .where((eb) => eb.or([eb(sql`lower(wordpress_users.wp_login)`, '=', login.toLowerCase()), eb(sql`replace(lower(wordpress_users.wp_login), '.', '-')`, '=', login.toLowerCase())]))
    .orderBy('wordpress_users.id', 'desc')
    .executeTakeFirst();

export const findUsernameByWpId = (db: Executor, wpId: number) =>
  db
    .selectFrom('wordpress_users')
    .innerJoin('users', 'users.id', 'wordpress_users.user_id')
    .select('users.username')
    .where('wordpress_users.wp_id', '=', wpId)
    .orderBy('wordpress_users.id', 'desc')
    .executeTakeFirst();
