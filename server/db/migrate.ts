import { Migrator, sql, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { Db } from './connect.js';

async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db.kysely);
  return rows[0]?.schema ?? 'public';
}

export interface MigrateOutcome {
  applied: string[];
}

/** Brings the schema up to date. Kysely's Migrator takes a lock, so concurrent starts are safe. */
export async function migrateToLatest(db: Db): Promise<MigrateOutcome> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => migrations },
    // Migration files are numbered by area (0001 core, 0020 search, 0030 import, 0040 mail…),
    // so a new file can sort before one a site has already applied; run it all the same.
    allowUnorderedMigrations: true,
    // On PostgreSQL the migrator looks for its own tables across every schema; several sites
    // sharing one database (one schema each) must each keep theirs in their own schema.
    ...(db.dialect === 'postgres' ? { migrationTableSchema: await currentSchema(db) } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r: MigrationResult) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${reason}`.replace('  ', ' '));
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
