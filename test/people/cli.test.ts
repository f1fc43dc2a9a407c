import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/cli/index.js';
import { openDatabase, type Db } from '../../server/db/connect.js';

/** The people and privacy tools from a terminal (issue 12: "in the admin area and the CLI"). */
let dir: string;
let env: NodeJS.ProcessEnv;
let db: Db;

async function run(args: string[], stdin = '') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const input = new PassThrough();
  input.end(stdin);
  const code = await runCli(args, { stdout, stderr, stdin: input, env });
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lectern-cli-people-'));
  env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'site.db')}` };
  expect((await run(['user', 'create', '--username', 'head', '--role', 'admin'])).code).toBe(0);
  expect((await run(['user', 'create', '--username', 'pat', '--role', 'patron', '--email', 'pat@example.org'])).code).toBe(0);
  db = await openDatabase(env.DATABASE_URL!);
});

afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('lectern user role|disable|enable', () => {
  it('changes a role, and never demotes the last admin', async () => {
    expect((await run(['user', 'role', '--username', 'pat', '--role', 'author'])).out).toContain('"pat" is now author.');
    const last = await run(['user', 'role', '--username', 'head', '--role', 'editor']);
    expect(last.code).not.toBe(0);
    expect(last.err.trim().split('\n')).toHaveLength(1);
    expect(last.err).toMatch(/^lectern: .*admin/i);
    const row = await db.kysely.selectFrom('users').select('role').where('username', '=', 'head').executeTakeFirstOrThrow();
    expect(row.role).toBe('admin');
  });

  it('disables a user, ending their sessions, and enables them again', async () => {
    const pat = await db.kysely.selectFrom('users').select('id').where('username', '=', 'pat').executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await db.kysely.insertInto('sessions').values({ id: 'x'.repeat(64), user_id: pat.id, created_at: now, last_seen_at: now, expires_at: now.replace(/^\d{4}/, '2999') }).execute();
    expect((await run(['user', 'disable', '--username', 'pat'])).code).toBe(0);
    expect(await db.kysely.selectFrom('sessions').selectAll().where('user_id', '=', pat.id).execute()).toEqual([]);
    expect((await db.kysely.selectFrom('users').select('disabled_at').where('id', '=', pat.id).executeTakeFirstOrThrow()).disabled_at).not.toBeNull();
    expect((await run(['user', 'enable', '--username', 'pat'])).code).toBe(0);
    expect((await db.kysely.selectFrom('users').select('disabled_at').where('id', '=', pat.id).executeTakeFirstOrThrow()).disabled_at).toBeNull();
    const unknown = await run(['user', 'disable', '--username', 'nobody']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toBe('lectern: no user named "nobody"\n');
  });
});

describe('lectern privacy export|erase', () => {
  it('exports what is stored for an address, and erases it without a trace in the audit log', async () => {
    await run(['user', 'role', '--username', 'pat', '--role', 'patron']);
    const file = join(dir, 'pat.json');
    const exported = await run(['privacy', 'export', '--email', 'PAT@example.org', file]);
    expect(exported.code).toBe(0);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(data.accounts.map((a: { username: string }) => a.username)).toEqual(['pat']);
    const erased = await run(['privacy', 'erase', '--email', 'pat@example.org', '--mode', 'anonymise']);
    expect(erased.code).toBe(0);
    expect(erased.out).toContain('1 account(s)');
    expect(await db.kysely.selectFrom('users').select('id').where('username', '=', 'pat').execute()).toEqual([]);
    const log = await db.kysely.selectFrom('privacy_log').selectAll().execute();
    expect(log.map((r) => r.action)).toEqual(['export', 'erase']);
    expect(JSON.stringify(log)).not.toContain('pat@example.org');
    const badMode = await run(['privacy', 'erase', '--email', 'x@example.org', '--mode', 'shred']);
    expect(badMode.code).not.toBe(0);
    expect(badMode.err.trim().split('\n')).toHaveLength(1);
  });
});
