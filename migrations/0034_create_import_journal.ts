import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * What a running import changed, row by row (issue 7). An import commits in batches so the
 * site stays writable meanwhile; when it fails or is interrupted, the journal is played
 * backwards and the database is as it was. A finished import clears its entries.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('import_journal'))
    .addColumn('job_id', 'integer', (col) => col.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('table_name', 'text', (col) => col.notNull())
    /** The changed row's id (for post_terms: the post's id). */
    .addColumn('row_id', 'integer', (col) => col.notNull())
    /** JSON of the row before the change; null when the import created it. */
    .addColumn('before', 'text')
    .execute();
  await db.schema.createIndex('import_journal_job').on('import_journal').columns(['job_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('import_journal').execute();
}
