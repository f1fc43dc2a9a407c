import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/** WordPress comment ids → Lectern comments (issue 7), so a re-import adds only new comments. */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('wordpress_comments'))
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('wp_id', 'integer', (col) => col.notNull())
    .addColumn('wp_post_id', 'integer', (col) => col.notNull())
    .addColumn('comment_id', 'integer', (col) => col.references('comments.id').onDelete('set null'))
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('synced_at', 'text', (col) => col.notNull())
    /** The import that made this row; its undo deletes what it made. */
    .addColumn('job_id', 'integer', (col) => col.references('jobs.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('wordpress_comments_source_wp_id', ['source', 'wp_id'])
    .execute();
  await db.schema.createIndex('wordpress_comments_job').on('wordpress_comments').column('job_id').execute();
  await db.schema.createIndex('wordpress_comments_comment').on('wordpress_comments').column('comment_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wordpress_comments').execute();
}
