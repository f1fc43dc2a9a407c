import { loadConfig, type Config } from '../config.js';
import { openDatabase, type Db } from '../db/connect.js';
import { migrateToLatest, type MigrateOutcome } from '../db/migrate.js';

/** Where a command reads and writes: the real process streams in bin/, PassThroughs in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
}

/** A failure the command explains in its own words; printed as `lectern: <message>`. */
export class CliError extends Error {}

export function print(stream: NodeJS.WritableStream, line = ''): void {
  stream.write(line + '\n');
}

/**
 * Opens the configured database, brings its schema up to date (so every command works on
 * a fresh data directory) and closes it again whatever `work` does.
 */
export async function withDatabase<T>(
  env: NodeJS.ProcessEnv,
  work: (ctx: { db: Db; config: Config; migrations: MigrateOutcome }) => Promise<T>,
): Promise<T> {
  const config = loadConfig(env);
  let db: Db;
  try {
    db = await openDatabase(config.databaseUrl);
  } catch (err) {
    throw new CliError(`cannot open the database at ${describeDatabase(config.databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const migrations = await migrateToLatest(db);
    return await work({ db, config, migrations });
  } finally {
    await db.close();
  }
}

/** The database a URL points at, for messages: a file path, or a postgres URL without its password. */
export function describeDatabase(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return databaseUrl.slice('sqlite:'.length);
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'the database';
  }
}

/** All of a stream, as UTF-8 text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
