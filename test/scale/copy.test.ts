import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { createUser } from '../../server/services/users.js';
import { createPost } from '../../server/services/posts.js';
import { submitComment } from '../../server/services/comments.js';
import { setStatus } from '../../server/services/moderation.js';
import { DEFAULT_SETTINGS } from '../../server/services/settings.js';
import { writeSetting } from '../../server/data/settings.js';
import { COPY_ORDER, copySite, listUserTables } from '../../server/services/copy-site.js';
import { createPostgresSchema, type TestDatabase } from '../helpers/database.js';

const SECRET = 'copy-test-secret-0123456789-abcdefghij';
let dir: string;
let sqlite: Db;
let postgres: Db;
let pgSchema: TestDatabase;
let back: Db;

async function seed(db: Db) {
  const admin = await createUser(db.kysely, { username: 'head', role: 'admin', password: 'correct horse battery', display_name: 'Head Librarian' }, 10);
  const author = await createUser(db.kysely, { username: 'ann', role: 'author', password: 'correct horse battery', display_name: 'Ann Author' }, 10);
  await writeSetting(db.kysely, 'site_name', 'Springfield Library');
  for (let i = 1; i <= 12; i++) {
    await createPost(db.kysely, i % 2 ? author : admin, {
      title: `Post number ${i}`,
      body: `## Heading ${i}\n\nBody with a [link](https://example.org/${i}).`,
      status: 'published',
      published_at: new Date(Date.UTC(2026, 0, i)).toISOString(),
      tags: ['Events', `Tag ${i % 3}`],
      categories: ['News'],
    });
  }
  await createPost(db.kysely, admin, { title: 'About us', body: 'Who we are.', status: 'published', kind: 'page' });
  await createPost(db.kysely, author, { title: 'Unfinished', body: 'Draft.', status: 'draft' });
  const settings = { ...DEFAULT_SETTINGS, moderation: 'none' as const, comment_rate_per_minute: 1000 };
  const commenter = { user: null, ipHash: 'f'.repeat(32) };
  const root = await submitComment(db.kysely, 'post-number-12', { name: 'Pat', email: 'pat@example.org', body: 'First!' }, commenter, settings, SECRET);
  const child = await submitComment(db.kysely, 'post-number-12', { name: 'Sam', email: 'sam@example.org', body: 'A reply', parent_id: root.id }, commenter, settings, SECRET);
  await submitComment(db.kysely, 'post-number-12', { name: 'Pat', email: 'pat@example.org', body: 'A reply to the reply', parent_id: child.id }, commenter, settings, SECRET);
  const held = await submitComment(db.kysely, 'post-number-12', { name: 'Lee', email: 'lee@example.org', body: 'Held one' }, commenter, { ...settings, moderation: 'all' }, SECRET);
  await setStatus(db.kysely, { id: admin.id, role: 'admin', display_name: admin.display_name }, held.id, 'spam');
}

async function appOver(db: Db): Promise<FastifyInstance> {
  const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'unused.db')}`, DATA_DIR: dir, LOG_LEVEL: 'warn', NODE_ENV: 'test' });
  const app = await buildApp({ config, db, secret: SECRET });
  await app.ready();
  return app;
}

/** Everything a reader or an API client sees of the site. */
async function snapshot(db: Db): Promise<string[]> {
  const app = await appOver(db);
  const urls = ['/', '/?page=2', '/posts/post-number-12', '/posts/post-number-3', '/pages/about-us', '/tag/events', '/category/news', '/author/ann', '/api/v1/posts', '/api/v1/posts?page=2', '/api/v1/posts/post-number-12'];
  const out: string[] = [];
  for (const url of urls) {
    const res = await app.inject(url);
    out.push(`${url} ${res.statusCode}\n${res.body}`);
  }
  await app.close();
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lectern-copy-'));
  sqlite = await openDatabase(`sqlite:${join(dir, 'site.db')}`);
  await migrateToLatest(sqlite);
  await seed(sqlite);
  pgSchema = await createPostgresSchema();
  postgres = await openDatabase(pgSchema.url);
  await migrateToLatest(postgres);
  back = await openDatabase(`sqlite:${join(dir, 'back.db')}`);
  await migrateToLatest(back);
});

afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await back?.close();
  await pgSchema?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('copying a site between SQLite and PostgreSQL', () => {
  it('knows every table of the schema (a new table cannot be forgotten)', async () => {
    expect((await listUserTables(sqlite)).sort()).toEqual([...COPY_ORDER].sort());
  });

  it('copies SQLite → PostgreSQL so that pages and API read back identically, with counts checked', async () => {
    const progress: string[] = [];
    const report = await copySite(sqlite, postgres, (p) => progress.push(`${p.table}:${p.copied}/${p.total}`));
    expect(report.tables.find((t) => t.table === 'posts')).toEqual({ table: 'posts', source: 14, target: 14 });
    expect(report.tables.find((t) => t.table === 'comments')).toEqual({ table: 'comments', source: 4, target: 4 });
    expect(progress).toContain('comments:4/4');
    expect(await snapshot(postgres)).toEqual(await snapshot(sqlite));
  });

  it('keeps handing out fresh ids on PostgreSQL after the copy', async () => {
    const user = await createUser(postgres.kysely, { username: 'newcomer', role: 'author', password: 'correct horse battery' }, 10);
    expect(user.id).toBe(3);
  });

  it('copies back PostgreSQL → SQLite, and refuses a target that is not empty', async () => {
    await copySite(postgres, back);
    const a = await back.kysely.selectFrom('comments').selectAll().orderBy('id').execute();
    const b = await sqlite.kysely.selectFrom('comments').selectAll().orderBy('id').execute();
    expect(a).toEqual(b);
    await expect(copySite(sqlite, back)).rejects.toThrow(/not empty/);
  });
});

describe('lectern copy', () => {
  it('copies through the CLI with a summary, and fails with one line on a non-empty target', async () => {
    const { PassThrough } = await import('node:stream');
    const { runCli } = await import('../../server/cli/index.js');
    const run = async (args: string[]) => {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (c) => (out += c));
      stderr.on('data', (c) => (err += c));
      const code = await runCli(args, { stdout, stderr, stdin: new PassThrough(), env: { DATA_DIR: dir } });
      return { code, out, err };
    };
    const target = await createPostgresSchema();
    try {
      const ok = await run(['copy', '--from', `sqlite:${join(dir, 'site.db')}`, '--to', target.url]);
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/comments\s+4\s+4/);
      expect(ok.out).toContain('All row counts match.');
      const again = await run(['copy', '--from', `sqlite:${join(dir, 'site.db')}`, '--to', target.url]);
      expect(again.code).not.toBe(0);
      expect(again.err.trim().split('\n')).toHaveLength(1);
      expect(again.err).toMatch(/^lectern: .*not empty/);
      const bad = await run(['copy', '--from', 'mysql://x', '--to', target.url]);
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/^lectern: DATABASE_URL must start with sqlite: or postgres:\/\//);
    } finally {
      await target.drop();
    }
  });
});
