import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * Which Lectern account each WordPress author became (issue 7), per source site, so a second
 * import of the same export finds them again instead of creating new accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('wordpress_users'))
    /** The WordPress site, as host and path without the scheme ("blog.example.org"). */
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('wp_login', 'text', (col) => col.notNull())
    .addColumn('wp_id', 'integer')
    /** The import that made this row; its undo deletes what it made. */
    .addColumn('job_id', 'integer', (col) => col.references('jobs.id').onDelete('set null'))
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('wordpress_users_source_login', ['source', 'wp_login'])
    .execute();
  await db.schema.createIndex('wordpress_users_job').on('wordpress_users').column('job_id').execute();
  await db.schema.createIndex('wordpress_users_user').on('wordpress_users').column('user_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('wordpress_users').execute();
}
