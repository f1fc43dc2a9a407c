import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { backupSqlite } from '../services/backup.js';
import { CliError, describeDatabase, print, type CliIo } from './support.js';

/**
 * `lectern backup <file>` (issue 7): a consistent copy of the SQLite database while the
 * server keeps running. Restoring is copying it back (docs/backup.md). PostgreSQL sites
 * use pg_dump.
 */
export function registerBackup(program: Command, io: CliIo): void {
  program
    .command('backup <file>')
    .description('Copy the SQLite database to <file> while the site keeps running (restore: docs/backup.md)')
    .option('--force', 'replace <file> if it exists')
    .action(async (file: string, options: { force?: boolean }) => {
      const config = loadConfig(io.env);
      if (!config.databaseUrl.startsWith('sqlite:')) {
        throw new CliError(
          `this site uses PostgreSQL (${describeDatabase(config.databaseUrl)}): back it up with pg_dump, e.g. pg_dump --format=custom --file=${file} "$DATABASE_URL"`,
        );
      }
      const source = config.databaseUrl.slice('sqlite:'.length);
      if (source === ':memory:') throw new CliError('an in-memory database cannot be backed up');
      const target = resolve(file);
      if (target === resolve(source)) throw new CliError('the backup file must not be the database itself');
      if (!existsSync(dirname(target)) || !statSync(dirname(target)).isDirectory()) throw new CliError(`cannot write ${file}: the folder ${dirname(target)} does not exist`);
      if (existsSync(target) && !options.force) throw new CliError(`${file} already exists; choose another name or add --force to replace it`);
      const stream = io.stderr as NodeJS.WriteStream;
      const tty = (stream as { isTTY?: boolean }).isTTY === true;
      const bar = new SingleBar({ format: 'Backing up [{bar}] {percentage}% | {value}/{total} pages', stream, hideCursor: true }, Presets.shades_classic);
      let started = false;
      try {
        const result = await backupSqlite(source, target, ({ totalPages, remainingPages }) => {
          if (!tty) return;
          if (!started) bar.start(totalPages, 0);
          started = true;
          bar.setTotal(totalPages);
          bar.update(totalPages - remainingPages);
        });
        if (started) bar.stop();
        const mb = (result.bytes / 1024 / 1024).toFixed(1);
        print(io.stdout, `Backed up ${source} to ${target} (${mb} MB, ${result.pages} pages, integrity check ok) in ${result.seconds.toFixed(1)} s`);
      } catch (err) {
        if (started) bar.stop();
        throw new CliError(`backup failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
}
