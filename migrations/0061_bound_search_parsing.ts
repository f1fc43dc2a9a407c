import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * PostgreSQL's text-search parser takes time that grows with the square (or worse) of
 * some inputs: an unclosed "<!--" repeated, or long runs like "a_a_a_…" and "/~/~…" that it
 * tries to read as file paths (issue 5). 200,000 characters of such a post body took minutes
 * inside the indexing trigger, holding the request and its locks; a 10,000-character
 * comment took seconds. lectern_search_text() gives the parser bounded work: complete tags
 * become spaces, stray angle brackets too, and no "word" runs past 64 characters. Ordinary
 * prose indexes exactly as before. The search's snippets (ts_headline) read through it too.
 * SQLite's FTS5 tokenizer is linear and needs none of this.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`CREATE OR REPLACE FUNCTION lectern_search_text(body text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT regexp_replace(translate(regexp_replace(body, '<[^<>]*>', ' ', 'g'), '<>', '  '), '(\\S{64})', '\\1 ', 'g')
    $$`.execute(db);
  // The triggers of migrations 0020 and 0021, the same but for the text they parse.
  await sql`CREATE OR REPLACE FUNCTION posts_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status IN ('published', 'scheduled') THEN
          INSERT INTO posts_search_index (post_id, vector)
          VALUES (NEW.id, setweight(to_tsvector('english', lectern_search_text(NEW.title)), 'A') || setweight(to_tsvector('english', lectern_search_text(NEW.body_md)), 'B'))
          ON CONFLICT (post_id) DO UPDATE SET vector = EXCLUDED.vector;
        ELSE
          DELETE FROM posts_search_index WHERE post_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
  await sql`CREATE OR REPLACE FUNCTION comments_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'approved' THEN
          INSERT INTO comments_search_index (comment_id, post_id, vector)
          VALUES (NEW.id, NEW.post_id, to_tsvector('english', lectern_search_text(NEW.body_md)))
          ON CONFLICT (comment_id) DO UPDATE SET post_id = EXCLUDED.post_id, vector = EXCLUDED.vector;
        ELSE
          DELETE FROM comments_search_index WHERE comment_id = NEW.id;
        END IF;
        RETURN NULL;
      END $$`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPostgres(db)) return;
  await sql`CREATE OR REPLACE FUNCTION posts_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
  await sql`CREATE OR REPLACE FUNCTION comments_search_index_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
  await sql`DROP FUNCTION IF EXISTS lectern_search_text(text)`.execute(db);
}
