import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/** Mail a person gets by role rather than by asking (moderator mail), and has turned off. */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('mail_optouts'))
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addUniqueConstraint('mail_optouts_email_kind', ['email', 'kind'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_optouts').execute();
}
