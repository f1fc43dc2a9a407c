import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * Blocked commenters (issue 11). A block names an email, a keyed IP hash (never an address),
 * or both; a new comment matching either is stored as spam. The column is called `email` so
 * the personal-data export and erasure find the table (services/privacy.ts). Not shown on
 * public pages: hiding someone's comments moves them through the comments table, whose
 * triggers (0070) already bump the page cache.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('commenter_blocks'))
    .addColumn('email', 'text')
    .addColumn('ip_hash', 'text')
    .addColumn('note', 'text', (col) => col.notNull().defaultTo(''))
    /** The queue item the block was made from, for context; no key: the comment may go. */
    .addColumn('comment_id', 'integer')
    .addColumn('created_by', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_by_name', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  // Every new comment is checked against both, so both are indexed.
  await db.schema.createIndex('commenter_blocks_email').on('commenter_blocks').column('email').execute();
  await db.schema.createIndex('commenter_blocks_ip').on('commenter_blocks').column('ip_hash').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('commenter_blocks').execute();
}
