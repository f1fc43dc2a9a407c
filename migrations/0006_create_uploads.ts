import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('uploads'))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id'))
    .addColumn('path', 'text', (col) => col.notNull().unique())
    .addColumn('original_name', 'text', (col) => col.notNull())
    .addColumn('mime_type', 'text', (col) => col.notNull())
    .addColumn('size_bytes', 'integer', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('uploads').execute();
}
