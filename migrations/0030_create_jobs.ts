import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * Long work run in the background of the server (issue 7: imports), with its progress, so
 * the admin page can show it and any instance can read it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('jobs'))
    /** 'import-wordpress' */
    .addColumn('kind', 'text', (col) => col.notNull())
    /** 'running' · 'done' · 'failed' */
    .addColumn('status', 'text', (col) => col.notNull())
    /** What it is doing now, for people: "Checking the file", "Importing". */
    .addColumn('phase', 'text', (col) => col.notNull().defaultTo(''))
    /** Progress in KiB of the file, so big files fit an integer on every dialect. */
    .addColumn('done_kib', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('total_kib', 'integer', (col) => col.notNull().defaultTo(0))
    /** The file's name as uploaded, for the page. */
    .addColumn('label', 'text', (col) => col.notNull().defaultTo(''))
    /** The one-line error of a failed job. */
    .addColumn('message', 'text', (col) => col.notNull().defaultTo(''))
    /** JSON summary of a finished job. */
    .addColumn('summary', 'text')
    .addColumn('created_by', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    /** Touched as the job advances: a running job that stops touching it was interrupted. */
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('jobs_kind_status').on('jobs').columns(['kind', 'status']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('jobs').execute();
}
