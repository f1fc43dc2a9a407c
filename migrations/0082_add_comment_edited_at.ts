import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * comments.edited_at (issue 11): when the commenter last edited their own comment; pages show
 * "edited". An edit also rewrites body_html, which already bumps content_version (migration
 * 0070), but the marker is shown on its own, so it bumps the counter too when an approved
 * comment's marker changes: a cached page never shows new text without it, or the reverse.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('comments').addColumn('edited_at', 'text').execute();
  const when = "(old.status = 'approved' OR new.status = 'approved') AND old.edited_at IS DISTINCT FROM new.edited_at";
  if (isPostgres(db)) {
    // A row trigger on the one column: content_version_bump() (migration 0070) returns NULL,
    // which an AFTER row trigger ignores.
    await sql
      .raw(`CREATE TRIGGER content_version_comments_edited AFTER UPDATE OF edited_at ON comments FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION content_version_bump()`)
      .execute(db);
    return;
  }
  await sql
    .raw(
      `CREATE TRIGGER content_version_comments_edited AFTER UPDATE OF edited_at ON comments WHEN ${when.replace('IS DISTINCT FROM', 'IS NOT')}
       BEGIN UPDATE content_version SET version = version + 1 WHERE id = 1; END`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) await sql`DROP TRIGGER IF EXISTS content_version_comments_edited ON comments`.execute(db);
  else await sql`DROP TRIGGER IF EXISTS content_version_comments_edited`.execute(db);
  await db.schema.alterTable('comments').dropColumn('edited_at').execute();
}
