import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { openDatabase, type Db } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import { copySite } from '../services/copy-site.js';
import { CliError, describeDatabase, print, type CliIo } from './support.js';

async function open(url: string, label: string): Promise<Db> {
  // The same parser as DATABASE_URL, so the same forms (sqlite:path, postgres://…) work.
  const databaseUrl = loadConfig({ DATABASE_URL: url }).databaseUrl;
  try {
    const db = await openDatabase(databaseUrl);
    await migrateToLatest(db);
    return db;
  } catch (err) {
    throw new CliError(`cannot open ${label} ${describeDatabase(databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `lectern copy --from <url> --to <url>`: moves a whole site between SQLite and PostgreSQL. */
export function registerCopy(program: Command, io: CliIo): void {
  program
    .command('copy')
    .description('Copy a whole site into another, empty database (SQLite ⇄ PostgreSQL); row counts are checked at the end')
    .requiredOption('--from <url>', 'the site to copy: sqlite:<path> or postgres://…')
    .requiredOption('--to <url>', 'an empty database: sqlite:<path> or postgres://…')
    .action(async (options: { from: string; to: string }) => {
      const source = await open(options.from, 'the source');
      let target: Db | null = null;
      try {
        target = await open(options.to, 'the target');
        const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
        let bar: SingleBar | null = null;
        let current = '';
        const report = await copySite(source, target, ({ table, copied, total }) => {
          if (table !== current) {
            bar?.stop();
            current = table;
            bar = new SingleBar(
              { format: `${table.padEnd(16)} [{bar}] {value}/{total}`, stream: io.stderr as NodeJS.WriteStream, noTTYOutput: false, hideCursor: tty },
              Presets.shades_classic,
            );
            if (tty) bar.start(Math.max(total, 1), 0);
          }
          if (tty) bar?.update(copied);
        });
        (bar as SingleBar | null)?.stop();
        print(io.stdout, `Copied ${describeDatabase(options.from)} → ${describeDatabase(options.to)}`);
        print(io.stdout, `${'table'.padEnd(16)} ${'source'.padStart(8)} ${'copied'.padStart(8)}`);
        for (const row of report.tables) print(io.stdout, `${row.table.padEnd(16)} ${String(row.source).padStart(8)} ${String(row.target).padStart(8)}`);
        print(io.stdout, 'All row counts match.');
      } finally {
        await source.close();
        await target?.close();
      }
    });
}
