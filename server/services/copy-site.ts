import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/connect.js';

/**
 * Moves a whole site between databases (SQLite ⇄ PostgreSQL), ids and all. Tables go in
 * foreign-key order; a table the list does not know stops the copy rather than being left
 * behind (a test checks the list against the schema).
 */
export const COPY_ORDER = [
  'users',
  'sessions',
  'api_tokens',
  'posts',
  'terms',
  'post_terms',
  'uploads',
  'settings',
  'comments',
  'moderation_log',
  'mail_queue',
  'subscriptions',
  'subscription_requests',
  'mail_optouts',
  'invitations',
  'password_resets',
  'privacy_log',
  'jobs',
  'wordpress_users',
  'wordpress_posts',
  'wordpress_comments',
  'import_journal',
  // Sign-in throttling (issue 5).
  'login_attempts',
  // Question themes (issue 11): after posts and comments, which they point at.
  'themes',
  'comment_themes',
  // Moderation workspace and blocks (issue 11): after users and comments.
  'comment_claims',
  'comment_notes',
  'comment_snapshots',
  'commenter_blocks',
  // Likes and reports (issue 11): after posts and comments.
  'likes',
  'reaction_limits',
  'comment_reports',
] as const;

/** Tables that are derived from others (search indexes) or belong to the migrator. */
export function isDerivedTable(name: string): boolean {
  // content_version and comment_counts: kept by triggers (migrations 0070, 0071).
  return name.startsWith('kysely_') || name.startsWith('sqlite_') || /_fts(_|$)/.test(name) || name.includes('search_index') || name === 'content_version' || name === 'comment_counts';
}

export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyReport {
  tables: { table: string; source: number; target: number }[];
}

const BATCH = 500;

async function countRows(db: Kysely<any>, table: string): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A stable order to page through a table: its id, or all its columns when it has none. */
function orderColumns(columns: string[]): string[] {
  return columns.includes('id') ? ['id'] : columns;
}

/** The site's own tables and their columns (on PostgreSQL, of the current schema only). */
export async function describeTables(db: Db): Promise<Map<string, string[]>> {
  let schema: string | undefined;
  if (db.dialect === 'postgres') {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely);
    schema = rows[0]?.schema;
  }
  const tables = await db.kysely.introspection.getTables();
  const out = new Map<string, string[]>();
  // Views hold no rows of their own.
  for (const t of tables) {
    if (t.isView || isDerivedTable(t.name) || (schema !== undefined && t.schema !== schema)) continue;
    out.set(t.name, t.columns.map((c) => c.name));
  }
  return out;
}

export async function listUserTables(db: Db): Promise<string[]> {
  return [...(await describeTables(db)).keys()];
}

export async function copySite(source: Db, target: Db, onProgress: (p: CopyProgress) => void = () => {}): Promise<CopyReport> {
  const known = new Set<string>(COPY_ORDER);
  const columns = await describeTables(source);
  const unknown = [...columns.keys()].filter((t) => !known.has(t));
  if (unknown.length) throw new Error(`Do not know how to copy table(s): ${unknown.join(', ')}`);
  for (const table of COPY_ORDER) {
    if ((await countRows(target.kysely as Kysely<any>, table)) > 0) {
      throw new Error(`The target database is not empty (table ${table} has rows); copy into a new, empty database`);
    }
  }

  const from = source.kysely as Kysely<any>;
  const to = target.kysely as Kysely<any>;
  const report: CopyReport = { tables: [] };
  await to.transaction().execute(async (trx) => {
    for (const table of COPY_ORDER) {
      const total = await countRows(from, table);
      let copied = 0;
      onProgress({ table, copied, total });
      const order = orderColumns(columns.get(table) ?? []);
      while (copied < total) {
        let query = from.selectFrom(table).selectAll();
        for (const column of order) query = query.orderBy(column);
        const rows = await query.limit(BATCH).offset(copied).execute();
        if (rows.length === 0) break;
        await trx.insertInto(table).values(rows).execute();
        copied += rows.length;
        onProgress({ table, copied, total });
      }
    }
    // PostgreSQL hands out ids from sequences, which must move past the copied ids.
    if (target.dialect === 'postgres') {
      for (const table of COPY_ORDER) {
        if (!(columns.get(table) ?? []).includes('id')) continue;
        const { rows } = await sql<{ seq: string | null }>`select pg_get_serial_sequence(${table}, 'id') as seq`.execute(trx);
        const sequence = rows[0]?.seq;
        if (!sequence) continue; // a text id (sessions) has no sequence
        await sql`select setval(${sequence}, coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(trx);
      }
    }
  });
  for (const table of COPY_ORDER) {
    report.tables.push({ table, source: await countRows(from, table), target: await countRows(to, table) });
  }
  const mismatch = report.tables.filter((t) => t.source !== t.target);
  if (mismatch.length) throw new Error(`Row counts differ after the copy: ${mismatch.map((m) => `${m.table} ${m.source}≠${m.target}`).join(', ')}`);
  return report;
}
