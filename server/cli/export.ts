import { createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { jsonExport, type JsonExportCounts } from '../services/export-json.js';
import { wordpressExport, type ExportCounts } from '../services/wordpress/export.js';
import { CliError, print, withDatabase, type CliIo } from './support.js';

/** Writes the pieces with back-pressure, to a temporary file renamed into place at the end. */
async function writeOut(pieces: AsyncIterable<string>, out: string, io: CliIo): Promise<number> {
  if (out === '-') {
    let bytes = 0;
    for await (const piece of pieces) {
      bytes += Buffer.byteLength(piece);
      if (!io.stdout.write(piece)) await once(io.stdout, 'drain');
    }
    return bytes;
  }
  const path = resolve(out);
  try {
    if (!statSync(dirname(path)).isDirectory()) throw new Error();
  } catch {
    throw new CliError(`cannot write ${out}: the folder ${dirname(path)} does not exist`);
  }
  const partial = `${path}.partial-${process.pid}`;
  const stream = createWriteStream(partial);
  try {
    for await (const piece of pieces) {
      if (!stream.write(piece)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    renameSync(partial, path);
  } catch (err) {
    stream.destroy();
    rmSync(partial, { force: true });
    throw err;
  }
  return statSync(path).size;
}

const size = (bytes: number) => (bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/** `lectern export wordpress <file>` and `lectern export json <file>` (issue 7). `-` writes to stdout. */
export function registerExport(program: Command, io: CliIo): void {
  const group = program.command('export').description('Export the whole site to a file');
  group
    .command('wordpress <file>')
    .description('Write a WordPress export (WXR 1.2) that WordPress can import (Tools → Import → WordPress)')
    .action(async (file: string) => {
      await withDatabase(io.env, async ({ db, config }) => {
        const counts: ExportCounts = { authors: 0, terms: 0, posts: 0, pages: 0, comments: 0, attachments: 0 };
        const bytes = await writeOut(wordpressExport(db.kysely, { baseUrl: config.baseUrl }, counts), file, io);
        // With `-` the file is stdout: the report goes to stderr.
        print(file === '-' ? io.stderr : io.stdout,
          `Exported ${counts.posts} posts, ${counts.pages} pages, ${counts.comments} comments, ${counts.terms} categories and tags, ${counts.authors} authors and ${counts.attachments} images to ${file === '-' ? 'standard output' : file} (${size(bytes)})`);
      });
    });
  group
    .command('json <file>')
    .description('Write everything the site holds as JSON (format: docs/export-json.md); no passwords or hashes')
    .action(async (file: string) => {
      await withDatabase(io.env, async ({ db, config }) => {
        const counts: JsonExportCounts = {};
        const bytes = await writeOut(jsonExport(db.kysely, { baseUrl: config.baseUrl }, counts), file, io);
        const listed = Object.entries(counts).map(([table, n]) => `${n} ${table}`).join(', ');
        print(file === '-' ? io.stderr : io.stdout, `Exported ${listed} to ${file === '-' ? 'standard output' : file} (${size(bytes)})`);
      });
    });
}
