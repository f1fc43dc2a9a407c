import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * Full-text search over posts (issue 6). SQLite: an external-content FTS5 table kept in step
 * by triggers, so every write (editor, API, scheduler, import, a raw UPDATE) updates it with
 * no application hook. Drafts never enter it; a scheduled post is indexed but only returned
 * once its time has come (filtered at query time, like every public listing).
 * PostgreSQL: the same design with its own tools: a side table holding each live post's
 * weighted tsvector (stored, so ranking never re-parses a body), a GIN index on it, and a
 * trigger keeping it in step. The table is derived data: copies and exports skip it.
 */
const TOKENIZER = "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3'";
const LIVE = (row: 'new' | 'old') => `${row}.status IN ('published', 'scheduled')`;

export async function up(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`CREATE TABLE posts_search_index (
      post_id integer PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
      vector tsvector NOT NULL
    )`.execute(db);
    await sql`CREATE INDEX posts_search_index_vector ON posts_search_index USING gin (vector)`.execute(db);
    await sql`CREATE FUNCTION posts_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ('published', 'scheduled') THEN
          INSERT INTO posts_search_index (post_id, vector)
          VALUES (NEW.id, setweight(to_tsvector('english', NEW.title), 'A') || setweight(to_tsvector('english', NEW.body_md), 'B'))
          ON CONFLICT (post_id) DO UPDATE SET vector = EXCLUDED.vector;
        ELSE
          DELETE FROM posts_search_index WHERE post_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
    // A deleted post leaves by the foreign key's cascade.
    await sql`CREATE TRIGGER posts_search_index_sync AFTER INSERT OR UPDATE OF title, body_md, status ON posts
      FOR EACH ROW EXECUTE FUNCTION posts_search_index_sync()`.execute(db);
    await sql`INSERT INTO posts_search_index (post_id, vector)
      SELECT id, setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body_md), 'B')
        FROM posts WHERE status IN ('published', 'scheduled')`.execute(db);
    return;
  }
  // The index mirrors exactly this view, so FTS5's 'rebuild' and 'integrity-check' work as documented.
  await sql.raw(`CREATE VIEW posts_search_source AS SELECT id, title, body_md FROM posts WHERE status IN ('published', 'scheduled')`).execute(db);
  await sql
    .raw(`CREATE VIRTUAL TABLE posts_fts USING fts5(title, body_md, content = 'posts_search_source', content_rowid = 'id', ${TOKENIZER})`)
    .execute(db);
  // An external-content index must be told the exact old values to forget, so each trigger
  // removes only what it (or the initial rebuild below) once added.
  await sql
    .raw(
      `CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts WHEN ${LIVE('new')} BEGIN
         INSERT INTO posts_fts (rowid, title, body_md) VALUES (new.id, new.title, new.body_md);
       END`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts WHEN ${LIVE('old')} BEGIN
         INSERT INTO posts_fts (posts_fts, rowid, title, body_md) VALUES ('delete', old.id, old.title, old.body_md);
       END`,
    )
    .execute(db);
  // Only the indexed columns: comment_count changes on every moderation move and must not churn the index.
  await sql
    .raw(
      `CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body_md, status ON posts BEGIN
         INSERT INTO posts_fts (posts_fts, rowid, title, body_md) SELECT 'delete', old.id, old.title, old.body_md WHERE ${LIVE('old')};
         INSERT INTO posts_fts (rowid, title, body_md) SELECT new.id, new.title, new.body_md WHERE ${LIVE('new')};
       END`,
    )
    .execute(db);
  await sql.raw(`INSERT INTO posts_fts (posts_fts) VALUES ('rebuild')`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`DROP TRIGGER IF EXISTS posts_search_index_sync ON posts`.execute(db);
    await sql`DROP FUNCTION IF EXISTS posts_search_index_sync()`.execute(db);
    await sql`DROP TABLE IF EXISTS posts_search_index`.execute(db);
    return;
  }
  for (const trigger of ['posts_fts_insert', 'posts_fts_delete', 'posts_fts_update']) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${trigger}`).execute(db);
  }
  await sql`DROP TABLE IF EXISTS posts_fts`.execute(db);
  await sql`DROP VIEW IF EXISTS posts_search_source`.execute(db);
}
