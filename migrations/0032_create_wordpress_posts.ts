import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * WordPress post and page ids → Lectern posts (issue 7): re-imports match on them, and the
 * old links (/?p=<id>, /<year>/<month>/<day>/<slug>/) are redirected through them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('wordpress_posts'))
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('wp_id', 'integer', (col) => col.notNull())
    /** Null once the Lectern post is deleted: a re-import then leaves it deleted. */
    .addColumn('post_id', 'integer', (col) => col.references('posts.id').onDelete('set null'))
    /** 'post' or 'page' */
    .addColumn('wp_type', 'text', (col) => col.notNull())
    /** The WordPress slug, percent-decoded, as it appears in old links. */
    .addColumn('wp_slug', 'text', (col) => col.notNull().defaultTo(''))
    /** The WordPress local date (YYYY-MM-DD), as old date-based links carry it. */
    .addColumn('wp_date', 'text', (col) => col.notNull().defaultTo(''))
    /** Hash of what the export said; a re-import updates only when it changed. */
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    /** The post's updated_at as the import wrote it: a later edit in Lectern is never overwritten. */
    .addColumn('synced_at', 'text', (col) => col.notNull())
    /** The import that made this row; its undo deletes what it made. */
    .addColumn('job_id', 'integer', (col) => col.references('jobs.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('wordpress_posts_source_wp_id', ['source', 'wp_id'])
    .execute();
  await db.schema.createIndex('wordpress_posts_job').on('wordpress_posts').column('job_id').execute();
  await db.schema.createIndex('wordpress_posts_wp_id').on('wordpress_posts').column('wp_id').execute();
  await db.schema.createIndex('wordpress_posts_wp_slug').on('wordpress_posts').column('wp_slug').execute();
  await db.schema.createIndex('wordpress_posts_post').on('wordpress_posts').column('post_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wordpress_posts').execute();
}
