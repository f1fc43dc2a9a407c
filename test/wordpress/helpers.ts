import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Db } from '../../server/db/connect.js';
import { listUserTables } from '../../server/services/copy-site.js';
import { importWordPress, type ImportOptions } from '../../server/services/wordpress/import.js';

/** The real WordPress 6.1 export (shared/fixtures/wordpress/README.md describes it). */
export const FIXTURE = join(import.meta.dirname, '../../../shared/fixtures/wordpress/library-blog.xml');
export const SECRET = 'wordpress-test-secret-0123456789-abcdefgh';

export const fixtureText = () => readFileSync(FIXTURE, 'utf8');

/** A variant of the fixture (or any text) as a file of its own. */
export function writeTemp(name: string, content: string | Buffer): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-wp-'));
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

export const importFile = (db: Db, file = FIXTURE, options: Partial<ImportOptions> = {}) =>
  importWordPress(db.kysely, file, { secret: SECRET, ...options });

/**
 * Every row of every table, in key order: "the database is as it was" is this, equal.
 * `except` leaves out tables whose change is expected (the jobs log of a failed import).
 */
export async function snapshot(db: Db, except: string[] = []): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const any = db.kysely as Kysely<any>;
  const tables = new Map((await db.kysely.introspection.getTables()).map((t) => [t.name, t.columns.map((c) => c.name)]));
  for (const table of (await listUserTables(db)).sort()) {
    if (except.includes(table)) continue;
    let query = any.selectFrom(table).selectAll();
    // By id where there is one, else by every column: a stable order either way.
    const columns = tables.get(table) ?? [];
    for (const column of columns.includes('id') ? ['id'] : columns) query = query.orderBy(column);
    out[table] = await query.execute();
  }
  return out;
}

/** Rows per table, for a quick look at what changed. */
export async function counts(db: Db): Promise<Record<string, number>> {
  const any = db.kysely as Kysely<any>;
  const out: Record<string, number> = {};
  for (const table of (await listUserTables(db)).sort()) {
    const row = await any.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** The Lectern row a WordPress post or comment became. */
export async function postByWpId(db: Db, wpId: number) {
  return db.kysely
    .selectFrom('wordpress_posts')
    .innerJoin('posts', 'posts.id', 'wordpress_posts.post_id')
    .selectAll('posts')
    .where('wordpress_posts.wp_id', '=', wpId)
    .executeTakeFirstOrThrow();
}

export async function commentByWpId(db: Db, wpId: number) {
  return db.kysely
    .selectFrom('wordpress_comments')
    .innerJoin('comments', 'comments.id', 'wordpress_comments.comment_id')
    .selectAll('comments')
    .where('wordpress_comments.wp_id', '=', wpId)
    .executeTakeFirst();
}

export async function termSlugs(db: Db, postId: number, kind: 'category' | 'tag'): Promise<string[]> {
  const rows = await db.kysely
    .selectFrom('post_terms')
    .innerJoin('terms', 'terms.id', 'post_terms.term_id')
    .select('terms.slug')
    .where('post_terms.post_id', '=', postId)
    .where('terms.kind', '=', kind)
    .orderBy('terms.slug')
    .execute();
  return rows.map((r) => r.slug);
}
