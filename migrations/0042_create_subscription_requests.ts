import type { Kysely } from 'kysely';

/**
 * What a commenter ticked, kept with a held comment until a moderator approves it: a held or
 * spam comment must not be able to subscribe anyone to anything.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('subscription_requests')
    .addColumn('comment_id', 'integer', (col) => col.primaryKey().references('comments.id').onDelete('cascade'))
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('post_id', 'integer', (col) => col.notNull())
    .addColumn('replies', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('new_comments', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('subscription_requests_email').on('subscription_requests').column('email').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subscription_requests').execute();
}
