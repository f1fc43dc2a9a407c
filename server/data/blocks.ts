import type { Executor } from './executor.js';
import type { CommenterBlock } from '../db/schema.js';

/** Blocked commenters (migration 0084). Emails are stored lower-cased, as comments store them. */

export async function insertBlock(
  db: Executor,
  row: { email: string | null; ip_hash: string | null; note: string; comment_id: number | null; created_by: number | null; created_by_name: string; created_at: string },
): Promise<CommenterBlock> {
  return db.insertInto('commenter_blocks').values(row).returningAll().executeTakeFirstOrThrow();
}

export const findBlock = (db: Executor, id: number) => db.selectFrom('commenter_blocks').selectAll().where('id', '=', id).executeTakeFirst();

/** A block that already covers this email (or, with no email, this IP hash). */
export const findBlockFor = (db: Executor, email: string | null, ipHash: string | null) =>
  db
    .selectFrom('commenter_blocks')
    .selectAll()
    .where((eb) => (email !== null ? eb('email', '=', email) : eb.and([eb('email', 'is', null), eb('ip_hash', '=', ipHash ?? '')])))
    .orderBy('id')
    .executeTakeFirst();

export const listBlocks = (db: Executor, limit: number, offset: number) =>
  db.selectFrom('commenter_blocks').selectAll().orderBy('id', 'desc').limit(limit).offset(offset).execute();

export async function countBlocks(db: Executor): Promise<number> {
  const row = await db.selectFrom('commenter_blocks').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function deleteBlock(db: Executor, id: number): Promise<number> {
  const result = await db.deleteFrom('commenter_blocks').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Is there a block on this email or this IP hash? One indexed probe each. */
export async function matchesBlock(db: Executor, email: string, ipHash: string | null): Promise<boolean> {
  const row = await db
    .selectFrom('commenter_blocks')
    .select('id')
    .where((eb) => (ipHash ? eb.or([eb('email', '=', email), eb('ip_hash', '=', ipHash)]) : eb('email', '=', email)))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Everything one person posted that readers or the queue still show, for "hide everything":
 * by their email, and from their IP hash when that is blocked too.
 */
export async function visibleCommentIdsBy(db: Executor, email: string, ipHash: string | null): Promise<number[]> {
  const rows = await db
    .selectFrom('comments')
    .select('id')
    .where((eb) => (ipHash ? eb.or([eb('author_email', '=', email), eb('ip_hash', '=', ipHash)]) : eb('author_email', '=', email)))
    .where('status', 'in', ['approved', 'pending'])
    .where('is_staff', '=', 0)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}
