import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('posts'))
    .addColumn('author_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('kind', 'text', (col) => col.notNull().defaultTo('post'))
    .addColumn('title', 'text', (col) => col.notNull())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('body_md', 'text', (col) => col.notNull())
    .addColumn('body_html', 'text', (col) => col.notNull())
    .addColumn('excerpt', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('excerpt_md', 'text', (col) => col.notNull().defaultTo(''))
    .addColumn('status', 'text', (col) => col.notNull())
    .addColumn('published_at', 'text')
    .addColumn('comments_open', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('comment_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('updated_at', 'text', (col) => col.notNull())
    .execute();
  // The home page and every listing read "published posts, newest first".
  await db.schema.createIndex('posts_listing').on('posts').columns(['kind', 'status', 'published_at']).execute();
  await db.schema.createIndex('posts_author').on('posts').columns(['author_id', 'published_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('posts').execute();
}
