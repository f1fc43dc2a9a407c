import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  // No foreign keys: the log outlives the comments and users it speaks of.
  await withId(db, db.schema.createTable('moderation_log'))
    .addColumn('comment_id', 'integer', (col) => col.notNull())
    .addColumn('post_id', 'integer')
    .addColumn('actor_id', 'integer')
    .addColumn('actor_name', 'text', (col) => col.notNull())
    .addColumn('from_status', 'text', (col) => col.notNull())
    .addColumn('to_status', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('moderation_log_comment').on('moderation_log').column('comment_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('moderation_log').execute();
}
