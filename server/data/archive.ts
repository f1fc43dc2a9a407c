import type { Executor } from './executor.js';
import { isVisible } from './posts.js';

/** Publication dates of every visible post, for the archive's month counts (an index-only read). */
export const listVisiblePostDates = (db: Executor, now: string) =>
  db
    .selectFrom('posts')
    .select('published_at')
    .where('kind', '=', 'post')
    .where(isVisible(now))
    .orderBy('published_at', 'desc')
    .execute();

/** One page of visible posts published in [from, before), newest first, and the total. */
export async function listVisiblePostsBetween(db: Executor, now: string, from: string, before: string, page: number, perPage: number) {
  const base = db
    .selectFrom('posts')
    .where('posts.kind', '=', 'post')
    .where(isVisible(now))
    .where('posts.published_at', '>=', from)
    .where('posts.published_at', '<', before);
  const rows = await base
    .innerJoin('users', 'users.id', 'posts.author_id')
    .select([
      'posts.id',
      'posts.kind',
      'posts.slug',
      'posts.title',
      'posts.excerpt',
      'posts.body_html',
      'posts.status',
      'posts.published_at',
      'posts.updated_at',
      'posts.comments_open',
      'posts.comment_count',
      'users.username as author_username',
      'users.display_name as author_display_name',
      'users.bio_html as author_bio_html',
    ])
    .orderBy('posts.published_at', 'desc')
    .orderBy('posts.id', 'desc')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
  const { n } = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { rows, total: Number(n) };
}

export type ArchiveRow = Awaited<ReturnType<typeof listVisiblePostsBetween>>['rows'][number];

/** The visible posts just before (older) and after (newer) one, by date then id. */
export async function findAdjacentPosts(db: Executor, post: { id: number; published_at: string }, now: string) {
  const base = db.selectFrom('posts').select(['title', 'slug']).where('kind', '=', 'post').where(isVisible(now));
  const [previous, next] = await Promise.all([
    base
      .where((eb) =>
        eb.or([
          eb('published_at', '<', post.published_at),
          eb.and([eb('published_at', '=', post.published_at), eb('id', '<', post.id)]),
        ]),
      )
      .orderBy('published_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst(),
    base
      .where((eb) =>
        eb.or([
          eb('published_at', '>', post.published_at),
          eb.and([eb('published_at', '=', post.published_at), eb('id', '>', post.id)]),
        ]),
      )
      .orderBy('published_at', 'asc')
      .orderBy('id', 'asc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  return { previous: previous ?? null, next: next ?? null };
}
