import type { Kysely } from 'kysely';

/**
 * A reply below the deepest level is attached beside its parent (parent_id moves up), but
 * it still answers one person: reply_to_id keeps the comment actually answered.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('comments')
    .addColumn('reply_to_id', 'integer', (col) => col.references('comments.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('comments').dropColumn('reply_to_id').execute();
}
