import { sql } from 'kysely';
import type { TestApp } from '../helpers/app.js';

/** Mail queued to an address, oldest first. */
export const mailsTo = (t: TestApp, to: string) =>
  t.db.kysely.selectFrom('mail_queue').selectAll().where('to_address', '=', to).orderBy('id').execute();

/** The first absolute link in a text that contains `path`. */
export function linkIn(text: string, path: string): string {
  const match = new RegExp(`https?://[^\\s]*${path.replace(/[/]/g, '\\/')}[^\\s]*`).exec(text);
  if (!match) throw new Error(`no ${path} link in: ${text}`);
  return new URL(match[0]).pathname;
}

/** Where a value appears in the whole database: every table, every column, any case. */
export async function findEverywhere(t: TestApp, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const tables = await t.db.kysely.introspection.getTables({ withInternalKyselyTables: true });
  // On PostgreSQL each test app has a schema of its own; the catalogue lists them all.
  const current = t.db.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(t.db.kysely)).rows[0]!.s : undefined;
  for (const table of tables) {
    if (table.isView || (current !== undefined && table.schema !== current)) continue;
    for (const column of table.columns) {
      const { rows } = await sql<{ n: number }>`select count(*) as n from ${sql.table(table.name)} where lower(cast(${sql.ref(column.name)} as text)) like ${'%' + needle.toLowerCase() + '%'}`.execute(t.db.kysely);
      if (Number(rows[0]!.n) > 0) hits.push(`${table.name}.${column.name}`);
    }
  }
  return hits;
}

/** The value of the read-only input with that label (links and passwords shown once). */
export function shownValue(html: string, label: string): string {
  const match = new RegExp(`<input readonly value="([^"]+)" class="input--code" aria-label="${label}">`).exec(html);
  if (!match) throw new Error(`no "${label}" shown`);
  return match[1]!.replace(/&amp;/g, '&');
}
