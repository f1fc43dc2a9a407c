import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/index.js';
import { openDatabase } from '../../server/db/connect.js';
import { projectRoot } from '../../server/paths.js';
import { readWxr } from '../../server/services/wordpress/wxr-parse.js';
import { createPostgresSchema, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';
import { FIXTURE } from './helpers.js';

/** `lectern import wordpress`, `export wordpress|json` and `backup`, run in-process as test/cli.test.ts does. */

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
  });
}

async function lectern(args: string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(args, { stdout, stderr, stdin, env });
  stdout.end();
  stderr.end();
  return { code, stdout: await out, stderr: await err };
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

function expectOneLineFailure(result: RunResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^lectern: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

let dir: string;
let env: NodeJS.ProcessEnv;
let pg: TestDatabase | null = null;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lectern-wp-cli-'));
  pg = TEST_DIALECT === 'postgres' ? await createPostgresSchema() : null;
  env = { DATA_DIR: dir, DATABASE_URL: pg ? pg.url : `sqlite:${join(dir, 'site.db')}` };
});

afterAll(async () => {
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('lectern import wordpress', () => {
  it('imports the file and ends with the summary table', async () => {
    const result = await lectern(['import', 'wordpress', FIXTURE], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Imported "Millbrook Library News" \(blog\.millbrook-library\.example\) from library-blog\.xml into .* in [\d.]+ s$/m);
    expect(result.stdout).toMatch(/^ +created +updated +skipped$/m);
    for (const row of [/^Authors +3 +0 +0$/m, /^Categories +5 +0 +0$/m, /^Tags +10 +0 +0$/m, /^Posts +15 +0 +0$/m, /^Pages +2 +0 +0$/m, /^Comments +65 +0 +2$/m, /^Other items +0 +0 +6$/m]) {
      expect(result.stdout).toMatch(row);
    }
    expect(result.stdout).toContain('comments: 2 pingbacks and trackbacks (Lectern has no pings)');
    expect(result.stdout).toContain('lectern user create');
  });

  it('a second run creates nothing', async () => {
    const result = await lectern(['import', 'wordpress', FIXTURE], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Posts +0 +0 +15$/m);
    expect(result.stdout).toMatch(/^Comments +0 +0 +67$/m);
    expect(result.stdout).toContain('posts: 15 already imported, unchanged');
  });

  it('refuses a damaged file with one line naming the line and column', async () => {
    const file = join(dir, 'truncated.xml');
    writeFileSync(file, readFileSync(FIXTURE).subarray(0, 50_000));
    expectOneLineFailure(
      await lectern(['import', 'wordpress', file], env),
      /^lectern: truncated\.xml: line 875, column \d+: not well-formed XML: unclosed tag: content:encoded \(nothing was imported\)\n$/,
    );
  });

  it.each([
    ['a missing file', ['import', 'wordpress', 'nope.xml'], /cannot read nope\.xml: no such file/],
    ['a folder', ['import', 'wordpress', '.'], /is not a file/],
    ['a bad batch size', ['import', 'wordpress', FIXTURE, '--batch-size', '0'], /--batch-size/],
    ['no file', ['import', 'wordpress'], /missing required argument 'file'/],
  ])('fails on %s with one line', async (_label, args, pattern) => {
    expectOneLineFailure(await lectern(args, env), pattern);
  });
});

describe('lectern export', () => {
  it('writes a WXR file that reads back', async () => {
    const out = join(dir, 'out.xml');
    const result = await lectern(['export', 'wordpress', out], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Exported 15 posts, 2 pages, 65 comments, 15 categories and tags, 3 authors and 0 images to .*out\.xml \([\d.]+ KB\)$/m);
    let items = 0;
    for await (const event of readWxr(out, { label: 'out.xml' })) if (event.type === 'item') items += 1;
    expect(items).toBe(17);
    expect(existsSync(`${out}.partial-${process.pid}`)).toBe(false);
  });

  it('writes the JSON dump', async () => {
    const out = join(dir, 'out.json');
    const result = await lectern(['export', 'json', out], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Exported \d+ users, 15 terms, 17 posts, 65 comments, .* to .*out\.json/m);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { format: string; posts: unknown[] };
    expect(doc.format).toBe('lectern-export');
    expect(doc.posts).toHaveLength(17);
  });

  it('writes to standard output with -, the report on stderr', async () => {
    const result = await lectern(['export', 'wordpress', '-'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^<\?xml/);
    expect(result.stdout.trimEnd()).toMatch(/<\/rss>$/);
    expect(result.stderr).toMatch(/^Exported 15 posts/);
  });

  it('fails with one line when the folder does not exist', async () => {
    expectOneLineFailure(await lectern(['export', 'json', join(dir, 'no', 'such', 'x.json')], env), /the folder .* does not exist/);
  });
});

describe.skipIf(TEST_DIALECT !== 'sqlite')('lectern backup (SQLite)', () => {
  let writer: ChildProcess | null = null;

  afterAll(() => {
    writer?.kill();
  });

  it('copies the live database while the server writes, and the copy is whole', async () => {
    const file = join(dir, 'site.db');
    // Another process writes a comment every millisecond or so, as a busy server would.
    const code = `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(file)});
      db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 5000');
      const insert = db.prepare("insert into comments (post_id, depth, author_name, author_email, author_url, avatar_key, is_staff, body_md, body_html, status, reasons, created_at, updated_at) values ((select min(id) from posts), 0, 'W', 'w@example.org', '', 'k', 0, 'busy', '<p>busy</p>', 'approved', '[]', 'now', 'now')");
      let n = 0;
      setInterval(() => { for (let i = 0; i < 5; i++) insert.run(); n += 5; if (n % 100 === 0) process.stdout.write('.'); }, 1);
    `;
    writer = spawn(process.execPath, ['-e', code], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => writer!.stdout!.once('data', () => resolve()));
    const count = () => {
      const db = new SQLite(file, { readonly: true });
      try {
        return (db.prepare('select count(*) as n from comments').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    const before = count();
    const target = join(dir, 'backup.db');
    const result = await lectern(['backup', target], env);
    const after = count();
    writer.kill();
    writer = null;
    expect(result.stderr).toBe('');
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(/^Backed up .*site\.db to .*backup\.db \([\d.]+ MB, \d+ pages, integrity check ok\) in [\d.]+ s$/m);

    const copy = new SQLite(target, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      // Self-contained: no -wal file needed to read it.
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      const n = (copy.prepare('select count(*) as n from comments').get() as { n: number }).n;
      expect(n).toBeGreaterThanOrEqual(before);
      expect(n).toBeLessThanOrEqual(after);
      expect((copy.prepare('select count(*) as n from posts').get() as { n: number }).n).toBe(17);
    } finally {
      copy.close();
    }
    // The copy opens as a site.
    const db = await openDatabase(`sqlite:${target}`);
    expect((await db.kysely.selectFrom('users').select('username').orderBy('username').execute()).map((u) => u.username)).toEqual(['mhollis', 'tadeyemi', 'zofia.wojcik']);
    await db.close();
  });

  it('does not overwrite a file unless told to', async () => {
    const target = join(dir, 'backup.db');
    expectOneLineFailure(await lectern(['backup', target], env), /backup\.db already exists; choose another name or add --force/);
    expect((await lectern(['backup', target, '--force'], env)).code).toBe(0);
  });

  it('fails with one line when there is no database', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lectern-wp-empty-'));
    expectOneLineFailure(await lectern(['backup', join(empty, 'b.db')], { DATA_DIR: empty, DATABASE_URL: `sqlite:${join(empty, 'none.db')}` }), /backup failed: there is no database at/);
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('lectern backup (PostgreSQL)', () => {
  it('points to pg_dump in one line', async () => {
    const result = await lectern(['backup', 'site.dump'], { DATA_DIR: dir, DATABASE_URL: 'postgres://lectern:secret@db.example:5432/lectern' });
    expectOneLineFailure(result, /uses PostgreSQL \(postgres:\/\/lectern:\*\*\*@db\.example:5432\/lectern\): back it up with pg_dump/);
    expect(result.stderr).not.toContain('secret');
  });
});
