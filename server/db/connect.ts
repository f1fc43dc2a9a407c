import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type Dialect } from 'kysely';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface Db {
  kysely: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

/**
 * The one seam between dialects: everything above it speaks Kysely only.
 * SQLite gets WAL (readers never block the writer), a busy timeout (a second process
 * waits instead of failing) and foreign keys, which SQLite leaves off by default.
 */
function sqliteDialect(file: string): Dialect {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // NORMAL is durable in WAL mode against a process crash (kill -9); only a power loss
  // can drop the last transactions.
  database.pragma('synchronous = NORMAL');
  return new SqliteDialect({ database });
}

export async function openDatabase(databaseUrl: string): Promise<Db> {
  if (databaseUrl.startsWith('sqlite:')) {
    const kysely = new Kysely<Database>({ dialect: sqliteDialect(databaseUrl.slice('sqlite:'.length)) });
    return { kysely, dialect: 'sqlite', close: () => kysely.destroy() };
  }
  if (databaseUrl.startsWith('postgres://') || databaseUrl.startsWith('postgresql://')) {
    const { postgresDialect } = await import('./postgres.js');
    const kysely = new Kysely<Database>({ dialect: await postgresDialect(databaseUrl) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  throw new Error(`Unsupported DATABASE_URL: ${databaseUrl}`);
}
