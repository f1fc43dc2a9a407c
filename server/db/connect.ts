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
  return new SqliteDialect({ database: withStatementCache(database) });
}

/** Distinct SQL texts kept prepared: the app issues a few hundred; imports and ad-hoc IN lists churn the rest. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew, and preparing (parsing and planning) cost
 * as much as running it on the comment write path (issue 9). Queries are built with bound
 * parameters, so one SQL text stands for all its uses: keep the prepared statement per text,
 * least recently used dropped first. SQLite re-prepares a kept statement itself when the
 * schema changes. A statement still being iterated (a streamed select) is busy and cannot
 * serve another query, so that one caller gets a fresh statement.
 */
export function withStatementCache(database: SQLite.Database, size = STATEMENT_CACHE_SIZE) {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SQLite.Statement {
      const kept = statements.get(sql);
      if (kept && !kept.busy) {
        // Map order is insertion order: moving it to the end marks it recently used.
        statements.delete(sql);
        statements.set(sql, kept);
        return kept;
      }
      const statement = database.prepare(sql);
      if (kept) return statement;
      statements.set(sql, statement);
      if (statements.size > size) statements.delete(statements.keys().next().value!);
      return statement;
    },
  };
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
