import { sql, type Kysely } from 'kysely';
import { isPostgres, withId } from './_portable.js';

/**
 * Question posts, their official answer, and themes tallied from the answers (issue 11).
 *
 * - posts.is_question (0/1) marks a post that asks patrons something.
 * - posts.answer_comment_id is the staff reply pinned as the official answer. It has no
 *   foreign key on purpose: a site copy (services/copy-site.ts) writes posts before comments,
 *   which an immediate key would refuse. Triggers keep it honest instead: it becomes null when
 *   that comment is deleted or leaves 'approved', whoever changes it (moderation, privacy
 *   erase, a commenter deleting their own comment).
 * - themes are per post ("Friendly / smiles"); name_key is the trimmed, lower-cased name that
 *   makes them case-insensitively unique within the post.
 * - comment_themes tags a comment with a theme. Tallies are computed from approved comments
 *   at read time, so a tag on a comment that leaves 'approved' simply stops counting.
 *
 * Public pages show all of this, so writes to the two new tables bump content_version
 * (migration 0070); the posts columns are covered by the existing posts triggers.
 */
const TAG_TABLES = ['themes', 'comment_themes'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('posts').addColumn('is_question', 'integer', (col) => col.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('posts').addColumn('answer_comment_id', 'integer').execute();
  // The unpin triggers look posts up by their answer on every comment delete.
  await db.schema.createIndex('posts_answer_comment').on('posts').column('answer_comment_id').execute();

  await withId(db, db.schema.createTable('themes'))
    .addColumn('post_id', 'integer', (col) => col.notNull().references('posts.id').onDelete('cascade'))
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('name_key', 'text', (col) => col.notNull())
    .addColumn('created_by', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('themes_post_name').on('themes').columns(['post_id', 'name_key']).unique().execute();

  await db.schema
    .createTable('comment_themes')
    .addColumn('comment_id', 'integer', (col) => col.notNull().references('comments.id').onDelete('cascade'))
    .addColumn('theme_id', 'integer', (col) => col.notNull().references('themes.id').onDelete('cascade'))
    .addColumn('tagged_by', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('comment_themes_pk', ['comment_id', 'theme_id'])
    .execute();
  await db.schema.createIndex('comment_themes_theme').on('comment_themes').columns(['theme_id', 'comment_id']).execute();

  if (isPostgres(db)) {
    // Row triggers; the EXISTS keeps a plain comment delete from touching posts at all (a
    // statement trigger on posts would bump the page cache even for zero rows). The
    // content_version row is locked first, as every writer does (migration 0071), so the
    // lock order is the same everywhere and two transactions cannot deadlock.
    await sql`CREATE FUNCTION posts_answer_unpin() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM posts WHERE answer_comment_id = OLD.id) THEN
          PERFORM 1 FROM content_version WHERE id = 1 FOR UPDATE;
          UPDATE posts SET answer_comment_id = NULL WHERE answer_comment_id = OLD.id;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER posts_answer_unpin_update AFTER UPDATE OF status ON comments FOR EACH ROW
      WHEN (OLD.status = 'approved' AND NEW.status <> 'approved') EXECUTE FUNCTION posts_answer_unpin()`.execute(db);
    await sql`CREATE TRIGGER posts_answer_unpin_delete AFTER DELETE ON comments FOR EACH ROW EXECUTE FUNCTION posts_answer_unpin()`.execute(db);

    // Page cache: bump only when rows really changed (a cascade from deleting an untagged
    // spam comment runs a DELETE of no rows here, and must leave cached pages alone).
    await sql`CREATE FUNCTION content_version_themes() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        touched boolean;
      BEGIN
        IF TG_OP = 'DELETE' THEN
          touched := EXISTS (SELECT 1 FROM old_rows);
        ELSE
          touched := EXISTS (SELECT 1 FROM new_rows);
        END IF;
        IF touched THEN
          UPDATE content_version SET version = version + 1 WHERE id = 1;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    for (const table of TAG_TABLES) {
      await sql
        .raw(`CREATE TRIGGER content_version_${table}_insert AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION content_version_themes()`)
        .execute(db);
      await sql
        .raw(`CREATE TRIGGER content_version_${table}_update AFTER UPDATE ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION content_version_themes()`)
        .execute(db);
      await sql
        .raw(`CREATE TRIGGER content_version_${table}_delete AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION content_version_themes()`)
        .execute(db);
      await sql.raw(`CREATE TRIGGER content_version_${table}_truncate AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION content_version_bump()`).execute(db);
    }
    return;
  }

  const unpin = 'UPDATE posts SET answer_comment_id = NULL WHERE answer_comment_id = old.id;';
  await sql
    .raw(`CREATE TRIGGER posts_answer_unpin_update AFTER UPDATE OF status ON comments WHEN old.status = 'approved' AND new.status <> 'approved' BEGIN ${unpin} END`)
    .execute(db);
  await sql.raw(`CREATE TRIGGER posts_answer_unpin_delete AFTER DELETE ON comments BEGIN ${unpin} END`).execute(db);
  const bump = 'UPDATE content_version SET version = version + 1 WHERE id = 1;';
  for (const table of TAG_TABLES) {
    for (const op of ['insert', 'update', 'delete']) {
      await sql.raw(`CREATE TRIGGER content_version_${table}_${op} AFTER ${op.toUpperCase()} ON ${table} BEGIN ${bump} END`).execute(db);
    }
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const op of ['update', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS posts_answer_unpin_${op} ON comments`).execute(db);
    await sql`DROP FUNCTION IF EXISTS posts_answer_unpin()`.execute(db);
  } else {
    for (const op of ['update', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS posts_answer_unpin_${op}`).execute(db);
  }
  // Dropping the tables drops their triggers on both dialects.
  await db.schema.dropTable('comment_themes').execute();
  await db.schema.dropTable('themes').execute();
  if (isPostgres(db)) await sql`DROP FUNCTION IF EXISTS content_version_themes()`.execute(db);
  await db.schema.dropIndex('posts_answer_comment').execute();
  await db.schema.alterTable('posts').dropColumn('answer_comment_id').execute();
  await db.schema.alterTable('posts').dropColumn('is_question').execute();
}
