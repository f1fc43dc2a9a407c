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
] as const;

/** Tables that are derived from others (search indexes) or belong to the migrator. */
export function isDerivedTable(name: string): boolean {
  return name.startsWith('kysely_') || name.startsWith('sqlite_') || /_fts(_|$)/.test(name) || name.includes('search_index');
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

/** Tables whose keys are not serial ids (a session id is a hash; settings are keyed by name). */
const NATURAL_KEYS = new Set(['sessions', 'settings', 'post_terms']);

/** The primary-key columns to page through a table in a stable order. */
function orderColumns(table: string): string[] {
  if (table === 'post_terms') return ['post_id', 'term_id'];
  if (table === 'settings') return ['key'];
  return ['id'];
}

export async function listUserTables(db: Db): Promise<string[]> {
  const tables = await db.kysely.introspection.getTables();
  // Views hold no rows of their own.
  return tables.filter((t) => !t.isView).map((t) => t.name).filter((name) => !isDerivedTable(name));
}

export async function copySite(source: Db, target: Db, onProgress: (p: CopyProgress) => void = () => {}): Promise<CopyReport> {
  const known = new Set<string>(COPY_ORDER);
  const unknown = (await listUserTables(source)).filter((t) => !known.has(t));
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
      const order = orderColumns(table);
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
        if (NATURAL_KEYS.has(table)) continue;
        await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(trx);
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
