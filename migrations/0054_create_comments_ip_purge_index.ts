import { sql, type Kysely } from 'kysely';

/**
 * IP hashes are purged by age on every upkeep run; a partial index over the rows that still
 * hold one keeps that a short range read however large the comments table grows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('comments_ip_purge')
    .on('comments')
    .column('created_at')
    .where(sql.ref('ip_hash'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('comments_ip_purge').execute();
}
