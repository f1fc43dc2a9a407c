import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * The audit trail of the personal-data tools: who did what and how much, never whose data
 * (no email, no name of the person). No foreign keys: the log outlives the accounts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('privacy_log'))
    .addColumn('actor_id', 'integer')
    .addColumn('actor_name', 'text', (col) => col.notNull())
    /** 'erase' · 'export' · 'close-account' */
    .addColumn('action', 'text', (col) => col.notNull())
    /** JSON: the mode and the counts of what was affected. */
    .addColumn('details', 'text', (col) => col.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('privacy_log').execute();
}
