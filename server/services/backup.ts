import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import SQLite from 'better-sqlite3';

/**
 * `lectern backup`: a consistent copy of a live SQLite site, with SQLite's online backup API
 * (through better-sqlite3). It opens the database read-only beside the running server;
 * readers never block the server's writes in WAL mode. The copy is written to a temporary
 * file, made self-contained (rollback journal, no -wal file needed), checked with
 * `PRAGMA integrity_check`, and only then renamed into place.
 */

export interface BackupProgress {
  totalPages: number;
  remainingPages: number;
}

export interface BackupResult {
  bytes: number;
  pages: number;
  seconds: number;
}

export class BackupError extends Error {}

export async function backupSqlite(source: string, target: string, onProgress?: (p: BackupProgress) => void): Promise<BackupResult> {
  if (!existsSync(source)) throw new BackupError(`there is no database at ${source}`);
  const started = Date.now();
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { force: true });
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  let pages = 0;
  try {
    db.pragma('busy_timeout = 5000');
    let lastRemaining = Number.POSITIVE_INFINITY;
    let allAtOnce = false;
    await db.backup(partial, {
      progress: ({ totalPages, remainingPages }) => {
        pages = totalPages;
        onProgress?.({ totalPages, remainingPages });
        // A write by the server restarts an online backup; once that happens, copy the rest in
        // one step so a busy site cannot keep the backup from ever finishing.
        if (remainingPages > lastRemaining) allAtOnce = true;
        lastRemaining = remainingPages;
        return allAtOnce ? Math.max(totalPages, 1) : 2048;
      },
    });
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    db.close();
  }
  try {
    const copy = new SQLite(partial);
    try {
      copy.pragma('journal_mode = DELETE');
      const result = copy.pragma('integrity_check', { simple: true });
      if (result !== 'ok') throw new BackupError(`the copy failed its integrity check: ${String(result)}`);
    } finally {
      copy.close();
    }
    renameSync(partial, target);
  } catch (err) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-wal`, { force: true });
    rmSync(`${partial}-shm`, { force: true });
    throw err;
  }
  return { bytes: statSync(target).size, pages, seconds: (Date.now() - started) / 1000 };
}
