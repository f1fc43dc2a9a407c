import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Which database the suite runs against: a temporary SQLite file (default), or a fresh
 * PostgreSQL schema per app when LECTERN_TEST_DATABASE=postgres (see vitest.config.ts).
 */
export const TEST_DIALECT: 'sqlite' | 'postgres' = process.env.LECTERN_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export const TEST_POSTGRES_URL = process.env.LECTERN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Runs one statement on the PostgreSQL test server with a short-lived client. */
export async function pgAdmin(statement: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A PostgreSQL schema of its own, reached through the URL's search_path. */
export async function createPostgresSchema(): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await pgAdmin(`create schema ${schema}`);
  const url = new URL(TEST_POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop: () => pgAdmin(`drop schema if exists ${schema} cascade`) };
}

export async function createTestDatabase(dir: string): Promise<TestDatabase> {
  if (TEST_DIALECT === 'postgres') return createPostgresSchema();
  return { url: `sqlite:${join(dir, 'test.db')}`, drop: async () => {} };
}
