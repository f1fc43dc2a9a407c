import { sql, type Kysely } from 'kysely';
import { isPostgres, withId } from './_portable.js';

/**
 * Likes of a post or of an approved comment (issue 11), and the per-address rate limit that
 * goes with them.
 *
 * - likes: one row per browser and target. The browser is a random id in a long-lived cookie,
 *   stored only as a keyed hash (reader_hash); the client address likewise (ip_hash, purged
 *   with the comments' after ip_hash_retention_days). A post's own likes have comment_id NULL;
 *   two partial unique indexes give "once per browser" for both kinds, on both dialects.
 *   Rows go with their post or comment (ON DELETE CASCADE).
 * - reaction_limits: likes, unlikes and reports per client address in a fixed one-minute
 *   window, one row per "kind:address hash" key, so several instances share the count.
 *
 * Like counts are on every cached post page: an insert or delete of a like bumps
 * content_version (migration 0070). On PostgreSQL the statement trigger looks at its
 * transition table, so a repeated like (ON CONFLICT DO NOTHING, no row) leaves cached pages
 * alone; SQLite's row triggers only fire for real rows. reaction_limits is never shown.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('likes'))
    .addColumn('post_id', 'integer', (col) => col.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('comment_id', 'integer', (col) => col.references('comments.id').onDelete('cascade'))
    .addColumn('reader_hash', 'text', (col) => col.notNull())
    .addColumn('ip_hash', 'text')
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  // Once per browser: NULLs are distinct in a unique index, so the post's own likes get their own.
  await db.schema
    .createIndex('likes_post_reader')
    .on('likes')
    .columns(['post_id', 'reader_hash'])
    .unique()
    .where(sql.ref('comment_id'), 'is', null)
    .execute();
  await db.schema
    .createIndex('likes_comment_reader')
    .on('likes')
    .columns(['comment_id', 'reader_hash'])
    .unique()
    .where(sql.ref('comment_id'), 'is not', null)
    .execute();
  // Every count a post page shows, in one grouped range read.
  await db.schema.createIndex('likes_post').on('likes').columns(['post_id', 'comment_id']).execute();
  // The per-address cap and the purge of old address hashes.
  await db.schema.createIndex('likes_ip').on('likes').columns(['ip_hash', 'created_at']).execute();

  await db.schema
    .createTable('reaction_limits')
    .addColumn('key', 'text', (col) => col.primaryKey())
    .addColumn('window_started_at', 'text', (col) => col.notNull())
    .addColumn('hits', 'integer', (col) => col.notNull())
    .execute();

  if (isPostgres(db)) {
    await sql`CREATE FUNCTION content_version_likes() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM changed_rows) THEN
          UPDATE content_version SET version = version + 1 WHERE id = 1;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER content_version_likes_insert AFTER INSERT ON likes REFERENCING NEW TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_likes()`.execute(db);
    await sql`CREATE TRIGGER content_version_likes_delete AFTER DELETE ON likes REFERENCING OLD TABLE AS changed_rows
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_likes()`.execute(db);
    await sql`CREATE TRIGGER content_version_likes_truncate AFTER TRUNCATE ON likes
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_bump()`.execute(db);
    return;
  }
  const bump = 'UPDATE content_version SET version = version + 1 WHERE id = 1;';
  await sql.raw(`CREATE TRIGGER content_version_likes_insert AFTER INSERT ON likes BEGIN ${bump} END`).execute(db);
  await sql.raw(`CREATE TRIGGER content_version_likes_delete AFTER DELETE ON likes BEGIN ${bump} END`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const op of ['insert', 'delete', 'truncate']) await sql.raw(`DROP TRIGGER IF EXISTS content_version_likes_${op} ON likes`).execute(db);
    await sql`DROP FUNCTION IF EXISTS content_version_likes()`.execute(db);
  } else {
    for (const op of ['insert', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS content_version_likes_${op}`).execute(db);
  }
  await db.schema.dropTable('reaction_limits').execute();
  await db.schema.dropTable('likes').execute();
}
