import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * One counter that moves whenever anything a public page shows changes (issue 9): posts,
 * approved comments, terms, post_terms, authors, settings. Triggers bump it inside the
 * writing transaction, so every writer is covered (services, the CLI, imports, a raw UPDATE)
 * and every instance sharing the database sees the new value on its next read. The page
 * cache (server/plugins/page-cache.ts) serves a stored page only while the counter still
 * has the value the page was rendered at.
 *
 * Comments count only when an approved one is involved, so held comments and spam floods
 * leave cached pages alone; and only the columns pages show, so purging IP hashes does not
 * empty the cache. The table is derived state: site copies skip it (services/copy-site.ts).
 */
const COMMENT_COLUMNS = ['post_id', 'parent_id', 'depth', 'author_name', 'author_url', 'avatar_key', 'is_staff', 'body_html', 'status', 'created_at'];
const USER_COLUMNS = ['username', 'display_name', 'role', 'bio_html'];
const PLAIN_TABLES = ['posts', 'terms', 'post_terms', 'settings'];

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('content_version')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('version', 'bigint', (col) => col.notNull())
    .execute();
  await db.insertInto('content_version').values({ id: 1, version: 1 }).execute();

  if (isPostgres(db)) {
    await sql`CREATE FUNCTION content_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE content_version SET version = version + 1 WHERE id = 1;
        RETURN NULL;
      END $$`.execute(db);
    // Once per statement, however many rows it touches: a bulk import bumps once.
    for (const table of PLAIN_TABLES) {
      await sql
        .raw(`CREATE TRIGGER content_version_${table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION content_version_bump()`)
        .execute(db);
    }
    await sql
      .raw(`CREATE TRIGGER content_version_users AFTER INSERT OR DELETE OR UPDATE OF ${USER_COLUMNS.join(', ')} ON users FOR EACH STATEMENT EXECUTE FUNCTION content_version_bump()`)
      .execute(db);
    // Comments: the statement's transition tables tell whether an approved comment was involved.
    const changed = COMMENT_COLUMNS.map((c) => `o.${c} IS DISTINCT FROM n.${c}`).join(' OR ');
    await sql
      .raw(
        `CREATE FUNCTION content_version_comments() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        touched boolean;
      BEGIN
        -- One branch per event: a branch names only the transition tables its event has.
        IF TG_OP = 'INSERT' THEN
          touched := EXISTS (SELECT 1 FROM new_rows WHERE status = 'approved');
        ELSIF TG_OP = 'DELETE' THEN
          touched := EXISTS (SELECT 1 FROM old_rows WHERE status = 'approved');
        ELSE
          touched := EXISTS (
            SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.status = 'approved' OR n.status = 'approved') AND (${changed}));
        END IF;
        IF touched THEN
          UPDATE content_version SET version = version + 1 WHERE id = 1;
        END IF;
        RETURN NULL;
      END $$`,
      )
      .execute(db);
    await sql`CREATE TRIGGER content_version_comments_insert AFTER INSERT ON comments REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_comments()`.execute(db);
    await sql`CREATE TRIGGER content_version_comments_update AFTER UPDATE ON comments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_comments()`.execute(db);
    await sql`CREATE TRIGGER content_version_comments_delete AFTER DELETE ON comments REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION content_version_comments()`.execute(db);
    return;
  }

  // SQLite has row triggers only; the bump is one UPDATE of a one-row table by its key.
  const bump = 'UPDATE content_version SET version = version + 1 WHERE id = 1;';
  const create = (name: string, event: string, when = '') =>
    sql.raw(`CREATE TRIGGER ${name} AFTER ${event}${when ? ` WHEN ${when}` : ''} BEGIN ${bump} END`).execute(db);
  for (const table of PLAIN_TABLES) {
    await create(`content_version_${table}_insert`, `INSERT ON ${table}`);
    await create(`content_version_${table}_update`, `UPDATE ON ${table}`);
    await create(`content_version_${table}_delete`, `DELETE ON ${table}`);
  }
  await create('content_version_users_insert', 'INSERT ON users');
  await create('content_version_users_update', `UPDATE OF ${USER_COLUMNS.join(', ')} ON users`);
  await create('content_version_users_delete', 'DELETE ON users');
  await create('content_version_comments_insert', 'INSERT ON comments', "new.status = 'approved'");
  await create('content_version_comments_update', `UPDATE OF ${COMMENT_COLUMNS.join(', ')} ON comments`, "old.status = 'approved' OR new.status = 'approved'");
  await create('content_version_comments_delete', 'DELETE ON comments', "old.status = 'approved'");
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const table of [...PLAIN_TABLES, 'users']) await sql.raw(`DROP TRIGGER IF EXISTS content_version_${table} ON ${table}`).execute(db);
    for (const op of ['insert', 'update', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS content_version_comments_${op} ON comments`).execute(db);
    await sql`DROP FUNCTION IF EXISTS content_version_comments()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS content_version_bump()`.execute(db);
  } else {
    for (const table of [...PLAIN_TABLES, 'users', 'comments']) {
      for (const op of ['insert', 'update', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS content_version_${table}_${op}`).execute(db);
    }
  }
  await db.schema.dropTable('content_version').execute();
}
