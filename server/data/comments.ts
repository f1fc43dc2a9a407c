import { sql } from 'kysely';
import type { Executor } from './executor.js';
import type { Comment, CommentStatus, NewComment } from '../db/schema.js';

/** Columns safe to show the public: no email, no IP hash. */
export const PUBLIC_COMMENT_COLUMNS = [
  'comments.id',
  'comments.post_id',
  'comments.parent_id',
  'comments.depth',
  'comments.author_name',
  'comments.author_url',
  'comments.avatar_key',
  'comments.is_staff',
  'comments.body_html',
  'comments.status',
  'comments.created_at',
  'comments.edited_at',
] as const;

export type PublicComment = Pick<
  Comment,
  'id' | 'post_id' | 'parent_id' | 'depth' | 'author_name' | 'author_url' | 'avatar_key' | 'is_staff' | 'body_html' | 'status' | 'created_at' | 'edited_at'
>;

/** A post's approved comments, oldest first, in one indexed read. */
export const listApprovedComments = (db: Executor, postId: number): Promise<PublicComment[]> =>
  db
    .selectFrom('comments')
    .select(PUBLIC_COMMENT_COLUMNS)
    .where('post_id', '=', postId)
    .where('status', '=', 'approved')
    .orderBy('id')
    .execute();

/** Some of a post's comments by id, whatever their status (a visitor's own held ones). */
export const listCommentsByIds = (db: Executor, postId: number, ids: number[]): Promise<PublicComment[]> =>
  ids.length === 0
    ? Promise.resolve([])
    : db.selectFrom('comments').select(PUBLIC_COMMENT_COLUMNS).where('post_id', '=', postId).where('id', 'in', ids).orderBy('id').execute();

export const findComment = (db: Executor, id: number) =>
  db.selectFrom('comments').selectAll().where('id', '=', id).executeTakeFirst();

export async function insertComment(db: Executor, comment: NewComment): Promise<number> {
  const row = await db.insertInto('comments').values(comment).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Approved comments by an email. `upTo` stops counting there: the first-time rule only asks
 * "any at all?", and a regular with thousands of comments should not cost a scan of them all.
 */
export async function countApprovedByEmail(db: Executor, email: string, upTo?: number): Promise<number> {
  const matching = db.selectFrom('comments').select('id').where('author_email', '=', email).where('status', '=', 'approved');
  const row = await db
    .selectFrom((upTo === undefined ? matching : matching.limit(upTo)).as('m'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Comments from one IP since a moment; `upTo` (the rate limit) stops the count there. */
export async function countRecentFromIp(db: Executor, ipHash: string, sinceIso: string, upTo?: number): Promise<number> {
  const matching = db.selectFrom('comments').select('id').where('ip_hash', '=', ipHash).where('created_at', '>', sinceIso);
  const row = await db
    .selectFrom((upTo === undefined ? matching : matching.limit(upTo)).as('m'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function setCommentStatus(db: Executor, id: number, status: CommentStatus, at: string): Promise<void> {
  await db.updateTable('comments').set({ status, updated_at: at }).where('id', '=', id).execute();
}

/** Keeps posts.comment_count equal to the approved comments, by delta, in the caller's transaction. */
export async function adjustApprovedCount(db: Executor, postId: number, delta: number): Promise<void> {
  if (delta === 0) return;
  await db
    .updateTable('posts')
    .set({ comment_count: sql`comment_count + ${delta}` })
    .where('id', '=', postId)
    .execute();
}

/** Replies of a deleted comment move up to its parent, so the thread stays whole. */
export async function reparentChildren(db: Executor, fromId: number, toId: number | null): Promise<void> {
  await db.updateTable('comments').set({ parent_id: toId }).where('parent_id', '=', fromId).execute();
}

export async function deleteCommentRow(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('comments').where('id', '=', id).execute();
}

export async function insertModerationLog(
  db: Executor,
  row: {
    comment_id: number;
    post_id: number | null;
    actor_id: number | null;
    actor_name: string;
    from_status: string;
    to_status: string;
    created_at: string;
    /** One moderator action (migration 0083); undo_of on the rows of an undo. */
    action_id?: string | null;
    undo_of?: string | null;
  },
): Promise<void> {
  await db.insertInto('moderation_log').values(row).execute();
}

export async function listModerationLog(db: Executor, page: number, perPage: number) {
  const rows = await db
    .selectFrom('moderation_log')
    .leftJoin('posts', 'posts.id', 'moderation_log.post_id')
    .select([
      'moderation_log.id',
      'moderation_log.comment_id',
      'moderation_log.actor_name',
      'moderation_log.from_status',
      'moderation_log.to_status',
      'moderation_log.created_at',
      'posts.title as post_title',
      'posts.slug as post_slug',
    ])
    .orderBy('moderation_log.id', 'desc')
    .limit(perPage)
    .offset((page - 1) * perPage)
    .execute();
  const { n } = await db.selectFrom('moderation_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return { rows, total: Number(n) };
}

export interface QueueFilter {
  status: CommentStatus;
  postId?: number;
  /** Matches the body, the name or the email. */
  q?: string;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** One page of the moderation queue, newest first, with post and parent for context. */
export async function listQueue(db: Executor, filter: QueueFilter, page: number, perPage: number) {
  let query = db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .leftJoin('comments as parent', 'parent.id', 'comments.parent_id')
    .selectAll('comments')
    .select(['posts.title as post_title', 'posts.slug as post_slug', 'parent.author_name as parent_author', 'parent.body_html as parent_html'])
    .where('comments.status', '=', filter.status);
  let countQuery = db.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n')).where('comments.status', '=', filter.status);
  if (filter.postId !== undefined) {
    query = query.where('comments.post_id', '=', filter.postId);
    countQuery = countQuery.where('comments.post_id', '=', filter.postId);
  }
  if (filter.q) {
    const like = `%${escapeLike(filter.q.toLowerCase())}%`;
    const match = (eb: any) =>
      eb.or([
        eb(sql`lower(comments.body_md)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(comments.author_name)`, 'like', sql`${like} escape '\\'`),
        eb(sql`lower(comments.author_email)`, 'like', sql`${like} escape '\\'`),
      ]);
    query = query.where(match);
    countQuery = countQuery.where(match);
  }
  const rows = await query.orderBy('comments.id', 'desc').limit(perPage).offset((page - 1) * perPage).execute();
  // Unfiltered, the total is one row of comment_counts instead of a count over the status.
  const total =
    filter.postId === undefined && !filter.q
      ? (await countByStatus(db))[filter.status]
      : Number((await countQuery.executeTakeFirstOrThrow()).n);
  return { rows, total };
}

/** Comments per status, from the table the triggers keep (migration 0071): no scan, whatever the size. */
export async function countByStatus(db: Executor): Promise<Record<CommentStatus, number>> {
  const rows = await db.selectFrom('comment_counts').select(['status', 'n']).execute();
  const counts: Record<CommentStatus, number> = { pending: 0, approved: 0, spam: 0, rejected: 0 };
  for (const r of rows) if (r.status in counts) counts[r.status] = Number(r.n);
  return counts;
}

/** How many approved comments each email had, for the queue's "history" column, in one query. */
export async function approvedCountsByEmail(db: Executor, emails: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (emails.length === 0) return out;
  const rows = await db
    .selectFrom('comments')
    .select(['author_email', (eb) => eb.fn.countAll<number>().as('n')])
    .where('author_email', 'in', [...new Set(emails)])
    .where('status', '=', 'approved')
    .groupBy('author_email')
    .execute();
  for (const r of rows) out.set(r.author_email, Number(r.n));
  return out;
}

/**
 * Approved → pending with new reasons, only if it is still approved: of two requests that
 * both find it approved, one moves it (services/moderation.ts holdForReports). True if moved.
 */
export async function holdIfApproved(db: Executor, id: number, reasons: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable('comments')
    .set({ status: 'pending', reasons, updated_at: at })
    .where('id', '=', id)
    .where('status', '=', 'approved')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
