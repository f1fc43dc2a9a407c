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
      'posts.discussion_mode',
      'posts.comments_close_at',
      'posts.is_question',
      'posts.answer_comment_id',
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

/**
 * The visible posts just before (older) and after (newer) one, by date then id.
 *
 * One ordered walk of the posts_listing index per status, from the post's date (an explicit
 * bound) to the first row that qualifies: a constant cost however many posts the site has.
 * (Both statuses in one query made SQLite sort every older post: 17 ms a page on 100,000.)
 */
export async function findAdjacentPosts(db: Executor, post: { id: number; published_at: string }, now: string) {
  type Row = { title: string; slug: string; id: number; published_at: string | null };
  const nearest = (status: 'published' | 'scheduled', older: boolean): Promise<Row | undefined> =>
    db
      .selectFrom('posts')
      .select(['title', 'slug', 'id', 'published_at'])
      .where('kind', '=', 'post')
      .where('status', '=', status)
      .where('published_at', '<=', now)
      .where('published_at', older ? '<=' : '>=', post.published_at)
      .where((eb) =>
        eb.or([
          eb('published_at', older ? '<' : '>', post.published_at),
          eb.and([eb('published_at', '=', post.published_at), eb('id', older ? '<' : '>', post.id)]),
        ]),
      )
      .orderBy('published_at', older ? 'desc' : 'asc')
      .orderBy('id', older ? 'desc' : 'asc')
      .limit(1)
      .executeTakeFirst();
  // Of the two statuses' candidates, the nearer: the later one going back, the earlier going forward.
  const later = (a: Row, b: Row) => (a.published_at ?? '') > (b.published_at ?? '') || (a.published_at === b.published_at && a.id > b.id);
  const nearer = (a: Row | undefined, b: Row | undefined, older: boolean) => (!a || !b ? (a ?? b) : later(a, b) === older ? a : b);
  const [olderPublished, olderScheduled, newerPublished, newerScheduled] = await Promise.all([
    nearest('published', true),
    nearest('scheduled', true),
    nearest('published', false),
    nearest('scheduled', false),
  ]);
  const shown = (r: Row | undefined) => (r ? { title: r.title, slug: r.slug } : null);
  return { previous: shown(nearer(olderPublished, olderScheduled, true)), next: shown(nearer(newerPublished, newerScheduled, false)) };
}
