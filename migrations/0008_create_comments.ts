import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('comments'))
    .addColumn('post_id', 'integer', (col) => col.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('parent_id', 'integer', (col) => col.references('comments.id').onDelete('set null'))
    .addColumn('depth', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('user_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('author_name', 'text', (col) => col.notNull())
    .addColumn('author_email', 'text', (col) => col.notNull())
    .addColumn('author_url', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('avatar_key', 'text', (col) => col.notNull())
    .addColumn('is_staff', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('body_md', 'text', (col) => col.notNull())
    .addColumn('body_html', 'text', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('reasons', 'text', (col) => col.notNull().defaultTo('[]'))
    .addColumn('ip_hash', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  // A post's thread in one range read.
  await db.schema.createIndex('comments_thread').on('comments').columns(['post_id', 'status', 'id']).execute();
  // The moderation queue, newest first, per status.
  await db.schema.createIndex('comments_queue').on('comments').columns(['status', 'id']).execute();
  // "First-time commenter" and the commenter's history.
  await db.schema.createIndex('comments_email').on('comments').columns(['author_email', 'status']).execute();
  // The per-IP rate limit.
  await db.schema.createIndex('comments_ip').on('comments').columns(['ip_hash', 'created_at']).execute();
  await db.schema.createIndex('comments_parent').on('comments').column('parent_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('comments').execute();
}
