import type { Dialect } from 'kysely';
import { PostgresDialect } from 'kysely';

/** Loaded only when DATABASE_URL asks for PostgreSQL, so SQLite sites never need `pg`. */
export async function postgresDialect(databaseUrl: string): Promise<Dialect> {
  let pg: typeof import('pg');
  try {
    pg = (await import('pg')).default as unknown as typeof import('pg');
  } catch {
    throw new Error('PostgreSQL support needs the "pg" package: npm install pg');
  }
  // COUNT(*) and BIGINT come back as strings by default; our counts fit in a JS number.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  return new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl, max: 10 }) });
}
