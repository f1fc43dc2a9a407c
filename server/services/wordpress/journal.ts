import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Executor } from '../../data/executor.js';
import { clearJournal, finishJob, listRunningJobs, readJournalBackwards, type JournalEntry } from '../../data/jobs.js';
import { insertPostTerms, recountApproved } from '../../data/wordpress.js';

/**
 * All or nothing, without one long transaction: an import commits batch by batch (so the
 * site stays writable), and records what it changed. Rows it created are found through the
 * job_id of the WordPress id maps (posts, comments, accounts) or a journal entry without a
 * "before" (accounts, terms); rows it changed have their "before" in the journal. Undoing
 * plays this backwards in one transaction.
 */

export const before = (table: string, rowId: number, row: unknown): JournalEntry => ({ table_name: table, row_id: rowId, before: JSON.stringify(row) });
export const created = (table: string, rowId: number): JournalEntry => ({ table_name: table, row_id: rowId, before: null });

const RESTORABLE = new Set(['posts', 'comments', 'wordpress_users', 'wordpress_posts', 'wordpress_comments']);
const CREATABLE = new Set(['users', 'terms']);

async function restore(trx: Executor, entry: { table_name: string; row_id: number; before: string }, touched: Set<number>): Promise<void> {
  const row = JSON.parse(entry.before) as Record<string, unknown>;
  if (entry.table_name === 'settings') {
    const key = String(row.key);
    await trx.deleteFrom('settings').where('key', '=', key).execute();
    if (row.value !== null && row.value !== undefined) await trx.insertInto('settings').values({ key, value: String(row.value) }).execute();
    return;
  }
  if (entry.table_name === 'post_terms') {
    await trx.deleteFrom('post_terms').where('post_id', '=', entry.row_id).execute();
    const exists = await trx.selectFrom('posts').select('id').where('id', '=', entry.row_id).executeTakeFirst();
    if (exists) await insertPostTerms(trx, (row as unknown as number[]).map((term_id) => ({ post_id: entry.row_id, term_id })));
    return;
  }
  if (!RESTORABLE.has(entry.table_name)) throw new Error(`The import journal names an unknown table: ${entry.table_name}`);
  const { id: _id, ...columns } = row;
  await (trx as Kysely<any>).updateTable(entry.table_name).set(columns).where('id', '=', entry.row_id).execute();
  if (entry.table_name === 'posts') touched.add(entry.row_id);
  if (entry.table_name === 'comments' && typeof row.post_id === 'number') touched.add(row.post_id);
}

/** Puts the database back as it was before the job; idempotent. */
export async function undoImport(db: Kysely<Database>, jobId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const touched = new Set<number>();
    // 1. Changed rows get their earlier values back, newest change first.
    const createdRows: { table_name: string; row_id: number }[] = [];
    // The largest integer id on every dialect (PostgreSQL's serial is 32-bit).
    let cursor = 2_147_483_647;
    for (;;) {
      const page = await readJournalBackwards(trx, jobId, cursor, 500);
      if (page.length === 0) break;
      for (const entry of page) {
        cursor = entry.id;
        if (entry.before === null) createdRows.push(entry);
        else await restore(trx, { ...entry, before: entry.before }, touched);
      }
    }
    // 2. Comments the job added to posts that were there before.
    const commentsOfJob = trx.selectFrom('wordpress_comments').select('comment_id').where('job_id', '=', jobId).where('comment_id', 'is not', null);
    const postsOfComments = await trx.selectFrom('comments').select('post_id').distinct().where('id', 'in', commentsOfJob).execute();
    for (const r of postsOfComments) touched.add(r.post_id);
    await trx.deleteFrom('comments').where('id', 'in', commentsOfJob).execute();
    // 3. Posts (and, by cascade, their comments and terms) the job created.
    const postsOfJob = trx.selectFrom('wordpress_posts').select('post_id').where('job_id', '=', jobId).where('post_id', 'is not', null);
    await trx.deleteFrom('posts').where('id', 'in', postsOfJob).execute();
    // 4. The id maps it wrote.
    for (const table of ['wordpress_comments', 'wordpress_posts', 'wordpress_users'] as const) {
      await trx.deleteFrom(table).where('job_id', '=', jobId).execute();
    }
    // 5. Accounts and terms it created, now that nothing points at them.
    for (const entry of createdRows) {
      if (!CREATABLE.has(entry.table_name)) throw new Error(`The import journal names an unknown table: ${entry.table_name}`);
      await (trx as Kysely<any>).deleteFrom(entry.table_name).where('id', '=', entry.row_id).execute();
    }
    // 6. Counts of the posts that are still there.
    const remaining = await trx.selectFrom('posts').select('id').where('id', 'in', [...touched, 0]).execute();
    await recountApproved(trx, remaining.map((r) => r.id));
    await clearJournal(trx, jobId);
  });
}

/** A running import that has not touched its job for this long was interrupted (a crash, kill -9). */
export const STALE_AFTER_MS = 2 * 60 * 1000;

/** Undoes imports that were interrupted, so a new one starts from a clean state. */
export async function recoverInterruptedImports(db: Kysely<Database>, kind: string, now = new Date()): Promise<{ running: number[]; recovered: number[] }> {
  const running: number[] = [];
  const recovered: number[] = [];
  for (const job of await listRunningJobs(db, kind)) {
    if (now.getTime() - Date.parse(job.updated_at) < STALE_AFTER_MS) {
      running.push(job.id);
      continue;
    }
    await undoImport(db, job.id);
    await finishJob(db, job.id, 'failed', { message: 'Interrupted (the process stopped); its changes were undone.', at: now.toISOString() });
    recovered.push(job.id);
  }
  return { running, recovered };
}

