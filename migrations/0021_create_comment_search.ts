import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * Full-text search over comments (issue 6). Only approved comments are ever indexed: the
 * triggers follow every moderation move (approve, unapprove, spam, restore, delete, and the
 * cascade when a post is deleted), so a comment leaves the results the moment it leaves
 * "approved". PostgreSQL: a side table of approved comments' tsvectors (with the post, so
 * the search reads no comment row to check its post), a GIN index, and a trigger.
 */
const TOKENIZER = "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'";

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`CREATE TABLE comments_search_index (
      comment_id integer PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
      post_id integer NOT NULL,
      vector tsvector NOT NULL
    )`.execute(db);
    await sql`CREATE INDEX comments_search_index_vector ON comments_search_index USING gin (vector)`.execute(db);
    await sql`CREATE FUNCTION comments_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'approved' THEN
          INSERT INTO comments_search_index (comment_id, post_id, vector)
          VALUES (NEW.id, NEW.post_id, to_tsvector('english', NEW.body_md))
          ON CONFLICT (comment_id) DO UPDATE SET post_id = EXCLUDED.post_id, vector = EXCLUDED.vector;
        ELSE
          DELETE FROM comments_search_index WHERE comment_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER comments_search_index_sync AFTER INSERT OR UPDATE OF body_md, status, post_id ON comments
      FOR EACH ROW EXECUTE FUNCTION comments_search_index_sync()`.execute(db);
    await sql`INSERT INTO comments_search_index (comment_id, post_id, vector)
      SELECT id, post_id, to_tsvector('english', body_md) FROM comments WHERE status = 'approved'`.execute(db);
    return;
  }
  // The index mirrors exactly this view, so FTS5's 'rebuild' and 'integrity-check' work as documented.
  await sql.raw(`CREATE VIEW comments_search_source AS SELECT id, body_md FROM comments WHERE status = 'approved'`).execute(db);
  await sql
    .raw(`CREATE VIRTUAL TABLE comments_fts USING fts5(body_md, content = 'comments_search_source', content_rowid = 'id', ${TOKENIZER})`)
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER comments_fts_insert AFTER INSERT ON comments WHEN new.status = 'approved' BEGIN
         INSERT INTO comments_fts (rowid, body_md) VALUES (new.id, new.body_md);
       END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER comments_fts_delete AFTER DELETE ON comments WHEN old.status = 'approved' BEGIN
         INSERT INTO comments_fts (comments_fts, rowid, body_md) VALUES ('delete', old.id, old.body_md);
       END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER comments_fts_update AFTER UPDATE OF body_md, status ON comments BEGIN
         INSERT INTO comments_fts (comments_fts, rowid, body_md) SELECT 'delete', old.id, old.body_md WHERE old.status = 'approved';
         INSERT INTO comments_fts (rowid, body_md) SELECT new.id, new.body_md WHERE new.status = 'approved';
       END`,
    )
    .execute(db);
  await sql.raw(`INSERT INTO comments_fts (comments_fts) VALUES ('rebuild')`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`DROP TRIGGER IF EXISTS comments_search_index_sync ON comments`.execute(db);
    await sql`DROP FUNCTION IF EXISTS comments_search_index_sync()`.execute(db);
    await sql`DROP TABLE IF EXISTS comments_search_index`.execute(db);
    return;
  }
  for (const trigger of ['comments_fts_insert', 'comments_fts_delete', 'comments_fts_update']) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${trigger}`).execute(db);
  }
  await sql`DROP TABLE IF EXISTS comments_fts`.execute(db);
  await sql`DROP VIEW IF EXISTS comments_search_source`.execute(db);
}
