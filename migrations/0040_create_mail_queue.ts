import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('mail_queue'))
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('to_address', 'text', (col) => col.notNull())
    .addColumn('subject', 'text', (col) => col.notNull())
    .addColumn('text_body', 'text', (col) => col.notNull())
    .addColumn('html_body', 'text')
    /** JSON object of extra headers (List-Unsubscribe…). */
    .addColumn('headers', 'text', (col) => col.notNull().defaultTo('{}'))
    /** Makes "never twice for the same event" a unique constraint, not a hope. */
    .addColumn('dedupe_key', 'text', (col) => col.unique())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('queued'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'text', (col) => col.notNull())
    .addColumn('locked_until', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema.createIndex('mail_queue_due').on('mail_queue').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('mail_queue_to').on('mail_queue').column('to_address').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_queue').execute();
}
