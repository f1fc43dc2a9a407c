import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/** Who asked for mail about a post: `replies` (to their own comments) or `post` (every new comment). */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('subscriptions'))
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('post_id', 'integer', (col) => col.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('subscriptions_email_post_kind', ['email', 'post_id', 'kind'])
    .execute();
  // "Who follows this post?" on every approved comment.
  await db.schema.createIndex('subscriptions_post').on('subscriptions').columns(['post_id', 'kind']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('subscriptions').execute();
}
