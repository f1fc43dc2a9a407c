import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { loadOrCreateSecret } from '../services/secrets.js';
import { DEFAULT_BATCH_SIZE, importWordPress, type ImportPhase } from '../services/wordpress/import.js';
import { formatSummary } from '../services/wordpress/summary.js';
import { WxrError } from '../services/wordpress/wxr-parse.js';
import { CliError, describeDatabase, print, withDatabase, type CliIo } from './support.js';

const PHASES: Record<ImportPhase, string> = { check: 'Checking ', import: 'Importing' };
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** A progress bar over the bytes of the file, on stderr, and only on a terminal. */
export function byteProgressBar(io: CliIo) {
  const stream = io.stderr as NodeJS.WriteStream;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  let bar: SingleBar | null = null;
  let phase: ImportPhase | null = null;
  return {
    update(next: ImportPhase, bytes: number, total: number) {
      if (!tty) return;
      if (next !== phase) {
        bar?.stop();
        phase = next;
        bar = new SingleBar(
          {
            format: `${PHASES[next]} [{bar}] {percentage}% | {done}/{size} MB | {eta_formatted} left`,
            stream,
            hideCursor: true,
            etaBuffer: 50,
          },
          Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), 0, { done: mb(0), size: mb(total) });
      }
      bar?.update(bytes, { done: mb(bytes), size: mb(total) });
    },
    stop() {
      bar?.stop();
      bar = null;
    },
  };
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000) throw new InvalidArgumentError('give a whole number from 1 to 10000');
  return n;
}

/**
 * `lectern import wordpress <file>` (issue 7): a WordPress export (Tools → Export → All
 * content) into this site. Safe to run again: what was imported before is matched by its
 * WordPress id and not duplicated.
 */
export function registerImportWordPress(program: Command, io: CliIo): void {
  const group = program.command('import').description('Import content from another blog');
  group
    .command('wordpress <file>')
    .description('Import a WordPress export file (WXR 1.0–1.2): authors, categories, tags, posts, pages and comments')
    .option('--batch-size <n>', 'items written per transaction', positiveInt, DEFAULT_BATCH_SIZE)
    .addHelpText(
      'after',
      '\nThe file is checked completely before anything is written; if the import fails part-way,\n' +
        'everything it wrote is undone. Running it again imports only what is new.\n\nExample:\n  $ lectern import wordpress ~/Downloads/millbrook.WordPress.2026-11-23.xml',
    )
    .action(async (file: string, options: { batchSize: number }) => {
      const path = resolve(file);
      let size: number;
      try {
        const info = statSync(path);
        if (!info.isFile()) throw new CliError(`${file} is not a file`);
        size = info.size;
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
      }
      if (size === 0) throw new CliError(`${file} is empty: it is not a WordPress export`);
      await withDatabase(io.env, async ({ db, config }) => {
        const secret = loadOrCreateSecret(config.dataDir, config.secretKey);
        const bar = byteProgressBar(io);
        try {
          const summary = await importWordPress(db.kysely, path, {
            secret,
            batchSize: options.batchSize,
            onProgress: ({ phase, bytes, total }) => bar.update(phase, bytes, total),
          });
          bar.stop();
          print(io.stdout, `Imported "${summary.siteTitle}" (${summary.source}) from ${summary.file} into ${describeDatabase(config.databaseUrl)} in ${summary.seconds} s`);
          print(io.stdout);
          for (const line of formatSummary(summary)) print(io.stdout, line);
        } catch (err) {
          bar.stop();
          if (err instanceof WxrError) throw new CliError(`${err.message} (nothing was imported)`);
          throw err;
        }
      });
    });
}
