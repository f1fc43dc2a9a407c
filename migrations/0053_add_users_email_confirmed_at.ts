import { sql, type Kysely } from 'kysely';

/**
 * When the account's email was confirmed. Self-registered patrons start without it and may
 * not comment until they follow the link; accounts made by staff or the CLI count as vouched.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('email_confirmed_at', 'text').execute();
  await db.updateTable('users').set({ email_confirmed_at: sql.ref('created_at') }).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('email_confirmed_at').execute();
}
