import type { Executor } from './executor.js';

/**
 * Themes of a question post and the comments tagged with them (migration 0080). Queries
 * only; the rules (who may tag, what a name may be, which comments count) are in
 * services/themes.ts and services/theme-summary.ts.
 */

export const findThemesByKeys = (db: Executor, postId: number, keys: string[]) =>
  keys.length === 0
    ? Promise.resolve([])
    : db.selectFrom('themes').select(['id', 'post_id', 'name', 'name_key']).where('post_id', '=', postId).where('name_key', 'in', keys).execute();

export const findThemesByIds = (db: Executor, ids: number[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('themes').select(['id', 'post_id', 'name', 'name_key']).where('id', 'in', ids).execute();

export const findTheme = (db: Executor, id: number) =>
  db.selectFrom('themes').select(['id', 'post_id', 'name', 'name_key']).where('id', '=', id).executeTakeFirst();

/** Creates a theme unless the post already has one with that key (two moderators at once). */
export async function insertThemeIfMissing(
  db: Executor,
  theme: { post_id: number; name: string; name_key: string; created_by: number | null; created_at: string },
): Promise<void> {
  await db
    .insertInto('themes')
    .values(theme)
    .onConflict((oc) => oc.columns(['post_id', 'name_key']).doNothing())
    .execute();
}

export async function countThemesOfPost(db: Executor, postId: number): Promise<number> {
  const row = await db.selectFrom('themes').select((eb) => eb.fn.countAll<number>().as('n')).where('post_id', '=', postId).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteTheme(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('themes').where('id', '=', id).execute();
}

/** Tags a comment; tagging twice is a no-op. */
export async function insertCommentTheme(db: Executor, row: { comment_id: number; theme_id: number; tagged_by: number | null; created_at: string }): Promise<void> {
  await db
    .insertInto('comment_themes')
    .values(row)
    .onConflict((oc) => oc.columns(['comment_id', 'theme_id']).doNothing())
    .execute();
}

/** Removes one tag; returns whether there was one. */
export async function deleteCommentTheme(db: Executor, commentId: number, themeId: number): Promise<boolean> {
  const result = await db.deleteFrom('comment_themes').where('comment_id', '=', commentId).where('theme_id', '=', themeId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every theme of a post with its mentions among approved comments, for staff (unused ones too). */
export async function listThemesWithCounts(db: Executor, postId: number) {
  const rows = await db
    .selectFrom('themes')
    .leftJoin('comment_themes', 'comment_themes.theme_id', 'themes.id')
    .leftJoin('comments', (join) => join.onRef('comments.id', '=', 'comment_themes.comment_id').on('comments.status', '=', 'approved'))
    .select(['themes.id', 'themes.name', (eb) => eb.fn.count<number>('comments.id').as('mentions')])
    .where('themes.post_id', '=', postId)
    .groupBy(['themes.id', 'themes.name'])
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, mentions: Number(r.mentions) }));
}

/** The themes each of these comments carries, by comment id, in name order. */
export async function themesOfComments(db: Executor, commentIds: number[]): Promise<Map<number, { id: number; name: string }[]>> {
  const out = new Map<number, { id: number; name: string }[]>();
  if (commentIds.length === 0) return out;
  const rows = await db
    .selectFrom('comment_themes')
    .innerJoin('themes', 'themes.id', 'comment_themes.theme_id')
    .select(['comment_themes.comment_id', 'themes.id', 'themes.name', 'themes.name_key'])
    .where('comment_themes.comment_id', 'in', commentIds)
    .orderBy('themes.name_key')
    .execute();
  for (const r of rows) {
    const list = out.get(r.comment_id) ?? [];
    list.push({ id: r.id, name: r.name });
    out.set(r.comment_id, list);
  }
  return out;
}

/**
 * The tally of a post: each theme with its mentions among approved comments, and at most
 * `quotesPerTheme` of those comments (oldest first) for quotes. Two reads whatever the size:
 * the counts, then the quoted comments numbered per theme by a window function.
 */
export async function tallyOfPost(db: Executor, postId: number, quotesPerTheme: number) {
  const counts = await db
    .selectFrom('comment_themes')
    .innerJoin('themes', 'themes.id', 'comment_themes.theme_id')
    .innerJoin('comments', 'comments.id', 'comment_themes.comment_id')
    .select(['themes.id', 'themes.name', (eb) => eb.fn.countAll<number>().as('mentions')])
    .where('themes.post_id', '=', postId)
    .where('comments.status', '=', 'approved')
    .groupBy(['themes.id', 'themes.name'])
    .execute();
  const numbered = db
    .selectFrom('comment_themes')
    .innerJoin('themes', 'themes.id', 'comment_themes.theme_id')
    .innerJoin('comments', 'comments.id', 'comment_themes.comment_id')
    .select([
      'comment_themes.theme_id',
      'comments.id as comment_id',
      'comments.body_html',
      (eb) => eb.fn.agg<number>('row_number').over((ob) => ob.partitionBy('comment_themes.theme_id').orderBy('comments.id')).as('n'),
    ])
    .where('themes.post_id', '=', postId)
    .where('comments.status', '=', 'approved');
  const quotes = await db
    .selectFrom(numbered.as('q'))
    .select(['q.theme_id', 'q.comment_id', 'q.body_html'])
    .where('q.n', '<=', quotesPerTheme)
    .orderBy('q.theme_id')
    .orderBy('q.comment_id')
    .execute();
  return { counts: counts.map((c) => ({ id: c.id, name: c.name, mentions: Number(c.mentions) })), quotes };
}
