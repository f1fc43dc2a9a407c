import { sql, type Kysely } from 'kysely';
import { isPostgres } from './_portable.js';

/**
 * How many comments have each status, kept by triggers (issue 9). The moderation queue shows
 * these on every view ("Pending (50,000)", "Approved (950,000)"); counting them is a scan of
 * the whole comments index, which grows with the site. With this table it is a read of four
 * rows, however large the site. Derived data: site copies skip it (services/copy-site.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('comment_counts')
    .addColumn('status', 'text', (col) => col.primaryKey())
    .addColumn('n', 'bigint', (col) => col.notNull())
    .execute();
  await sql`INSERT INTO comment_counts (status, n) SELECT status, count(*) FROM comments GROUP BY status`.execute(db);

  if (isPostgres(db)) {
    // Once per statement, from the transition tables. The content_version row is locked
    // first, as every writer of a public page does (migration 0070), so two transactions
    // always take these rows in the same order and cannot deadlock on them.
    const apply = (rows: string, sign: '+' | '-') => `
          INSERT INTO comment_counts (status, n) SELECT status, ${sign}count(*) FROM ${rows} GROUP BY status
          ON CONFLICT (status) DO UPDATE SET n = comment_counts.n + EXCLUDED.n;`;
    await sql
      .raw(
        `CREATE FUNCTION comment_counts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM 1 FROM content_version WHERE id = 1 FOR UPDATE;
        IF TG_OP = 'INSERT' THEN ${apply('new_rows', '+')}
        ELSIF TG_OP = 'DELETE' THEN ${apply('old_rows', '-')}
        ELSE
          ${apply('(SELECT o.status FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status) AS moved', '-')}
          ${apply('(SELECT n.status FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.status <> n.status) AS moved', '+')}
        END IF;
        RETURN NULL;
      END $$`,
      )
      .execute(db);
    await sql`CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments REFERENCING NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_sync()`.execute(db);
    await sql`CREATE TRIGGER comment_counts_update AFTER UPDATE ON comments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
      FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_sync()`.execute(db);
    await sql`CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments REFERENCING OLD TABLE AS old_rows
      FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_sync()`.execute(db);
    await sql`CREATE FUNCTION comment_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM comment_counts;
        RETURN NULL;
      END $$`.execute(db);
    await sql`CREATE TRIGGER comment_counts_truncate AFTER TRUNCATE ON comments FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_truncate()`.execute(db);
    return;
  }

  const add = (status: string, delta: number) =>
    `INSERT INTO comment_counts (status, n) VALUES (${status}, ${delta}) ON CONFLICT (status) DO UPDATE SET n = n + ${delta};`;
  await sql.raw(`CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments BEGIN ${add('new.status', 1)} END`).execute(db);
  await sql.raw(`CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments BEGIN ${add('old.status', -1)} END`).execute(db);
  await sql
    .raw(`CREATE TRIGGER comment_counts_update AFTER UPDATE OF status ON comments WHEN old.status <> new.status BEGIN ${add('old.status', -1)} ${add('new.status', 1)} END`)
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    for (const trigger of ['insert', 'update', 'delete', 'truncate']) await sql.raw(`DROP TRIGGER IF EXISTS comment_counts_${trigger} ON comments`).execute(db);
    await sql`DROP FUNCTION IF EXISTS comment_counts_sync()`.execute(db);
    await sql`DROP FUNCTION IF EXISTS comment_counts_truncate()`.execute(db);
  } else {
    for (const trigger of ['insert', 'update', 'delete']) await sql.raw(`DROP TRIGGER IF EXISTS comment_counts_${trigger}`).execute(db);
  }
  await db.schema.dropTable('comment_counts').execute();
}
