import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database, Job } from '../../db/schema.js';
import { clearJournal, finishJob, insertJob, touchJob } from '../../data/jobs.js';
import { conflict } from '../../errors.js';
import { loadSettings } from '../settings.js';
import { startConverter, type Converter } from './convert.js';
import { ImportRun } from './import-run.js';
import { isSkip, readAuthor, readComment, readItem, readTerm } from './items.js';
import { recoverInterruptedImports, undoImport } from './journal.js';
import type { ImportSummary } from './summary.js';
import { readWxr, type WxrChannel } from './wxr-parse.js';

/**
 * `lectern import wordpress` and the admin page's import (issue 7).
 *
 *  1. A job row claims the import (one at a time) and shows its progress.
 *  2. The whole file is read once and checked (no writes): a damaged or foreign file fails
 *     here, naming the line, and the database is not touched.
 *  3. It is read again and imported batch by batch, each batch one transaction. Should
 *     anything fail now (or the process die), the journal undoes every batch.
 *  4. Links between imported posts are pointed at their new addresses.
 * Memory stays bounded: one chunk of the file, one batch of items.
 */

export const IMPORT_JOB_KIND = 'import-wordpress';
export const DEFAULT_BATCH_SIZE = 100;

export type ImportPhase = 'check' | 'import';

export interface ImportProgress {
  phase: ImportPhase;
  bytes: number;
  total: number;
}

export interface ImportOptions {
  /** The server secret: keys the commenters' avatar hashes. */
  secret: string;
  /** The name used in messages; the file's base name by default. */
  label?: string;
  /** Items per transaction. */
  batchSize?: number;
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
  /** A job claimed beforehand with beginImportJob (the admin page does); else one is claimed. */
  jobId?: number;
  createdBy?: number | null;
  now?: Date;
  /** Convert on a worker thread (default: when there is a second core and a compiled build). */
  useWorker?: boolean;
  /** Called after each committed batch (tests use it to fail half-way). */
  afterBatch?: (batches: number) => void | Promise<void>;
}

const kib = (bytes: number) => Math.ceil(bytes / 1024);

/** Claims the import: refuses while another one runs; undoes any that was interrupted. */
export async function beginImportJob(
  db: Kysely<Database>,
  options: { label: string; bytes: number; createdBy: number | null; now?: Date },
): Promise<Job> {
  const now = options.now ?? new Date();
  const { running } = await recoverInterruptedImports(db, IMPORT_JOB_KIND, now);
  if (running.length) throw conflict(`Another WordPress import is running (job ${running[0]}); wait until it has finished`);
  return insertJob(db, { kind: IMPORT_JOB_KIND, label: options.label, total_kib: kib(options.bytes), created_by: options.createdBy, now: now.toISOString() });
}

/** Writes progress to the job row at most once a second (it is also the heartbeat). */
class Heartbeat {
  private last = 0;
  private bytes = 0;
  private phase = '';
  constructor(
    private readonly db: Kysely<Database>,
    public jobId: number | null,
  ) {}

  progress(phase: string, bytes: number): void {
    this.phase = phase;
    this.bytes = bytes;
  }

  async beat(force = false): Promise<void> {
    if (this.jobId === null) return;
    const now = Date.now();
    if (!force && now - this.last < 1000) return;
    this.last = now;
    await touchJob(this.db, this.jobId, { phase: this.phase, done_kib: kib(this.bytes), updated_at: new Date(now).toISOString() });
  }
}

export interface CheckResult {
  channel: WxrChannel;
  items: number;
  comments: number;
}

/** Reads the whole file and checks every field the import needs; writes nothing. */
export async function checkWxr(
  file: string,
  options: { label: string; timeZone: string; now: Date; signal?: AbortSignal; onProgress?: (bytes: number, total: number) => void; tick?: () => Promise<void> },
): Promise<CheckResult> {
  let channel: WxrChannel | null = null;
  let items = 0;
  let comments = 0;
  for await (const event of readWxr(file, { label: options.label, signal: options.signal, onProgress: options.onProgress })) {
    if (event.type === 'channel') channel = event.channel;
    else if (event.type === 'author') readAuthor(event.fields, event.line, options.label);
    else if (event.type === 'term') readTerm(event.element, event.fields, event.line, options.label);
    else {
      items += 1;
      const post = readItem(event.item, options.label, options.timeZone, options.now, false);
      if (!isSkip(post)) {
        for (const c of post.comments) readComment(c, post.wpId, options.label, options.timeZone, options.now, false);
        comments += post.comments.length;
      }
    }
    await options.tick?.();
  }
  // readWxr's end() has made sure the channel was there.
  return { channel: channel!, items, comments };
}

export async function importWordPress(db: Kysely<Database>, file: string, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const now = options.now ?? new Date();
  const label = options.label ?? basename(file);
  const { size } = await stat(file);
  const heartbeat = new Heartbeat(db, options.jobId ?? null);
  const progress = (phase: ImportPhase, name: string) => (bytes: number, total: number) => {
    heartbeat.progress(name, bytes);
    options.onProgress?.({ phase, bytes, total });
  };
  const settings = await loadSettings(db);

  // 1. The whole file is checked before anything is written (not even a job row, from the CLI).
  let checked: CheckResult;
  try {
    heartbeat.progress('Checking the file', 0);
    await heartbeat.beat(true);
    checked = await checkWxr(file, {
      label,
      timeZone: settings.timezone,
      now,
      signal: options.signal,
      onProgress: progress('check', 'Checking the file'),
      tick: () => heartbeat.beat(),
    });
  } catch (err) {
    if (options.jobId) await finishJob(db, options.jobId, 'failed', { message: messageOf(err), at: new Date().toISOString() }).catch(() => {});
    throw err;
  }

  // 2. Batch by batch, undone as a whole on any failure.
  const jobId = options.jobId ?? (await beginImportJob(db, { label, bytes: size, createdBy: options.createdBy ?? null, now })).id;
  heartbeat.jobId = jobId;
  let converter: Converter | null = null;
  try {
    heartbeat.progress('Importing', 0);
    await heartbeat.beat(true);
    converter = startConverter({ useWorker: options.useWorker });
    const run = new ImportRun({ db, jobId, label, settings, secret: options.secret, now, signal: options.signal, converter }, checked.channel);
    const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    for await (const event of readWxr(file, { label, signal: options.signal, onProgress: progress('import', 'Importing') })) {
      if (event.type === 'channel') continue;
      run.accept(event);
      if (run.pending >= batchSize) {
        await run.flush();
        await heartbeat.beat();
        await options.afterBatch?.(run.batches);
      }
    }
    await run.flush();
    await run.finish();
    await options.afterBatch?.(run.batches);
    heartbeat.progress('Updating links between posts', size);
    await heartbeat.beat(true);
    await run.rewriteLinks();

    const summary: ImportSummary = {
      jobId,
      file: label,
      source: run.source,
      siteTitle: checked.channel.title,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      counts: run.counts,
      warnings: await nextSteps(db, run.counts.users.created),
    };
    await clearJournal(db, jobId);
    await finishJob(db, jobId, 'done', { summary: JSON.stringify(summary), at: new Date().toISOString() });
    return summary;
  } catch (err) {
    const message = messageOf(err);
    try {
      await undoImport(db, jobId);
    } catch (undoError) {
      // The journal stays; the next import undoes it first (recoverInterruptedImports).
      await finishJob(db, jobId, 'failed', { message: `${message} (undoing failed: ${messageOf(undoError)})`, at: new Date().toISOString() }).catch(() => {});
      throw err;
    }
    await finishJob(db, jobId, 'failed', { message: `${message} (nothing was kept)`, at: new Date().toISOString() }).catch(() => {});
    throw err;
  } finally {
    await converter?.close();
  }
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What an administrator has to do next, in words. */
async function nextSteps(db: Kysely<Database>, usersCreated: number): Promise<string[]> {
  const out: string[] = [];
  if (usersCreated > 0) {
    out.push(
      `${usersCreated} imported author account(s) have no password: each person signs in after a password reset (Users → the account → reset link).`,
    );
  }
  const admin = await db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .where('password_hash', 'is not', null)
    .executeTakeFirst();
  if (!admin) out.push('Nobody can sign in as an administrator yet: run `lectern user create --username <you> --role admin`.');
  return out;
}

