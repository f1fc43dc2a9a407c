import type { Executor } from './executor.js';
import type { Job, JobStatus } from '../db/schema.js';

/** Background jobs (migrations/0030) and the import journal (0034). */

export async function insertJob(db: Executor, job: { kind: string; label: string; total_kib: number; created_by: number | null; now: string }): Promise<Job> {
  return db
    .insertInto('jobs')
    .values({
      kind: job.kind,
      status: 'running',
      phase: 'Starting',
      done_kib: 0,
      total_kib: job.total_kib,
      label: job.label,
      message: '',
      summary: null,
      created_by: job.created_by,
      created_at: job.now,
      updated_at: job.now,
      finished_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export const findJob = (db: Executor, id: number) => db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();

export async function touchJob(db: Executor, id: number, changes: { phase?: string; done_kib?: number; total_kib?: number; updated_at: string }): Promise<void> {
  await db.updateTable('jobs').set(changes).where('id', '=', id).execute();
}

export async function finishJob(db: Executor, id: number, status: JobStatus, changes: { message?: string; summary?: string | null; at: string }): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status, message: changes.message ?? '', summary: changes.summary ?? null, updated_at: changes.at, finished_at: changes.at, phase: status === 'done' ? 'Finished' : 'Failed' })
    .where('id', '=', id)
    .execute();
}

export const listRunningJobs = (db: Executor, kind: string) =>
  db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('status', '=', 'running').orderBy('id').execute();

export const listRecentJobs = (db: Executor, kind: string, limit: number) =>
  db.selectFrom('jobs').selectAll().where('kind', '=', kind).orderBy('id', 'desc').limit(limit).execute();

export interface JournalEntry {
  table_name: string;
  row_id: number;
  before: string | null;
}

export async function writeJournal(db: Executor, jobId: number, entries: JournalEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 500) {
    await db
      .insertInto('import_journal')
      .values(entries.slice(i, i + 500).map((e) => ({ job_id: jobId, ...e })))
      .execute();
  }
}

/** A job's journal, newest entry first, a page at a time (id below `beforeId`). */
export const readJournalBackwards = (db: Executor, jobId: number, beforeId: number, limit: number) =>
  db
    .selectFrom('import_journal')
    .selectAll()
    .where('job_id', '=', jobId)
    .where('id', '<', beforeId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();

export async function clearJournal(db: Executor, jobId: number): Promise<void> {
  await db.deleteFrom('import_journal').where('job_id', '=', jobId).execute();
}
