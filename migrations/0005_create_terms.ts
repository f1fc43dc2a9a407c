import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('terms'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('slug', 'text', (col) => col.notNull())
    .addColumn('description', 'text', (col) => col.notNull().defaultTo(''))
    .addUniqueConstraint('terms_kind_slug', ['kind', 'slug'])
    .execute();
  await db.schema
    .createTable('post_terms')
    .addColumn('post_id', 'integer', (col) => col.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('term_id', 'integer', (col) => col.notNull().references('terms.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('post_terms_pk', ['post_id', 'term_id'])
    .execute();
  await db.schema.createIndex('post_terms_term').on('post_terms').column('term_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('post_terms').execute();
  await db.schema.dropTable('terms').execute();
}
