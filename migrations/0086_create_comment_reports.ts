import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * Readers' reports of approved comments (issue 11). One report per browser and per client
 * address for each comment: both are stored only as keyed hashes (reader_hash, ip_hash; the
 * address hash is purged with the comments' after ip_hash_retention_days), and each has a
 * unique index, so a repeated report is refused by the database itself.
 *
 * reviewed_at is set when a moderator approves the comment (services/moderation.ts): only
 * reports not yet reviewed count towards report_threshold, so an approval after review is
 * not undone by the same old reports. Reports go with their comment (ON DELETE CASCADE).
 * Reports are shown to moderators only; no public page changes, so no content_version
 * trigger: the move back to the queue is a comments UPDATE, which migration 0070 counts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('comment_reports'))
    .addColumn('comment_id', 'integer', (col) => col.notNull().references('comments.id').onDelete('cascade'))
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('details', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('reader_hash', 'text', (col) => col.notNull())
    .addColumn('ip_hash', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('reviewed_at', 'text')
    .execute();
  await db.schema.createIndex('comment_reports_reader').on('comment_reports').columns(['comment_id', 'reader_hash']).unique().execute();
  // NULLs (a purged address) are distinct: only known addresses are held to one report.
  await db.schema.createIndex('comment_reports_ip').on('comment_reports').columns(['comment_id', 'ip_hash']).unique().execute();
  await db.schema.createIndex('comment_reports_purge').on('comment_reports').columns(['ip_hash', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('comment_reports').execute();
}
