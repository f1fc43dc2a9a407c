import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../server/cli/index.js';
import { openDatabase, type Db } from '../server/db/connect.js';
import { projectRoot } from '../server/paths.js';
import { resolveApiToken } from '../server/services/auth.js';
import { verifyPassword } from '../server/services/passwords.js';

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
  });
}

/** Runs `lectern <args>` in-process with captured streams, as a script would see it. */
async function lectern(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<RunResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const input = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  input.end(stdin);
  const code = await runCli(args, { stdout, stderr, stdin: input, env });
  stdout.end();
  stderr.end();
  return { code, stdout: await out, stderr: await err };
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');
const lastLine = (text: string) => lines(text).at(-1) ?? '';

/** A failure, as product.md asks: non-zero, one line on stderr, no stack trace. */
function expectOneLineFailure(result: RunResult, pattern: RegExp): void {
  expect(result.code).not.toBe(0);
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^lectern: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lectern-cli-'));
  env = { DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'x.db')}` };
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDatabase(env.DATABASE_URL!);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

const findUser = (username: string) =>
  withDb((db) => db.kysely.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst());

describe('lectern user create', () => {
  it('creates a user with the password read from stdin, less one trailing newline', async () => {
    const result = await lectern(
      ['user', 'create', '--username', 'Carol', '--role', 'editor', '--email', 'carol@example.org', '--display-name', 'Carol King', '--password-stdin'],
      env,
      'a good long password\n',
    );
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Created editor "carol"');
    expect(result.stdout).not.toContain('a good long password');

    const row = await findUser('carol');
    expect(row).toMatchObject({ role: 'editor', email: 'carol@example.org', display_name: 'Carol King', disabled_at: null });
    expect(await verifyPassword('a good long password', row!.password_hash!)).toBe(true);
    expect(await verifyPassword('a good long password\n', row!.password_hash!)).toBe(false);
  });

  it('generates a password when none is piped in and prints it alone on the last line', async () => {
    const result = await lectern(['user', 'create', '--username', 'alice', '--role', 'admin'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const password = lastLine(result.stdout);
    expect(password).toMatch(/^\S{20,}$/);

    const row = await findUser('alice');
    expect(row).toMatchObject({ role: 'admin', display_name: 'alice', email: null });
    expect(await verifyPassword(password, row!.password_hash!)).toBe(true);
  });

  it('refuses a username that is taken, and leaves the first account alone', async () => {
    await lectern(['user', 'create', '--username', 'alice', '--role', 'admin'], env);
    const before = await findUser('alice');
    const result = await lectern(['user', 'create', '--username', 'ALICE', '--role', 'author', '--password-stdin'], env, 'another long password');
    expectOneLineFailure(result, /--username: .*taken/);
    expect(await findUser('alice')).toEqual(before);
  });

  it('refuses a short password and creates nothing', async () => {
    const result = await lectern(['user', 'create', '--username', 'bob', '--role', 'editor', '--password-stdin'], env, 'short\n');
    expectOneLineFailure(result, /password: .*10 characters/);
    expect(await findUser('bob')).toBeUndefined();
  });

  it.each([
    ['an unknown role', ['user', 'create', '--username', 'bob', '--role', 'boss'], /--role.*boss.*admin, editor, author, patron/],
    ['a missing --username', ['user', 'create', '--role', 'admin'], /--username/],
    ['a malformed username', ['user', 'create', '--username', 'b b', '--role', 'admin'], /--username: /],
    ['a malformed email', ['user', 'create', '--username', 'bob', '--role', 'admin', '--email', 'nope'], /--email: /],
    ['an unknown option', ['user', 'create', '--username', 'bob', '--role', 'admin', '--emial', 'a@b.org'], /unknown option '--emial'/],
  ])('fails on %s with one line', async (_label, args, pattern) => {
    expectOneLineFailure(await lectern(args, env), pattern);
  });
});

describe('lectern token create', () => {
  it('prints the token alone on the last line, and the token authenticates its user', async () => {
    await lectern(['user', 'create', '--username', 'alice', '--role', 'admin'], env);
    const result = await lectern(['token', 'create', '--username', 'alice', '--name', 'deploy'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const token = lastLine(result.stdout);
    expect(token).toMatch(/^lct_[A-Za-z0-9_-]+$/);

    await withDb(async (db) => {
      expect(await resolveApiToken(db.kysely, token)).toMatchObject({ username: 'alice', role: 'admin' });
      const row = await db.kysely.selectFrom('api_tokens').selectAll().executeTakeFirstOrThrow();
      expect(row.name).toBe('deploy');
      expect(row.token_hash).not.toContain(token);
    });
  });

  it('fails with one line for an unknown user', async () => {
    expectOneLineFailure(await lectern(['token', 'create', '--username', 'nobody'], env), /nobody.*not found/i);
  });

  it('fails with one line without --username', async () => {
    expectOneLineFailure(await lectern(['token', 'create'], env), /--username/);
  });

  it('refuses a token for a patron account', async () => {
    await lectern(['user', 'create', '--username', 'pat', '--role', 'patron'], env);
    expectOneLineFailure(await lectern(['token', 'create', '--username', 'pat'], env), /staff/);
  });
});

describe('lectern migrate', () => {
  it('applies every migration on a fresh database, then says it is up to date', async () => {
    const first = await lectern(['migrate'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/Applied \d+ migrations/);
    expect(first.stdout).toContain('0001_create_users');

    const second = await lectern(['migrate'], env);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toContain('Database is up to date');
    expect(second.stdout).not.toContain('0001_create_users');
  });

  it('fails with one line for a bad DATABASE_URL', async () => {
    expectOneLineFailure(await lectern(['migrate'], { ...env, DATABASE_URL: 'mysql://db/lectern' }), /DATABASE_URL/);
  });

  it('fails with one line when the database cannot be opened', async () => {
    expectOneLineFailure(await lectern(['migrate'], { ...env, DATABASE_URL: `sqlite:${dir}` }), /cannot open the database/);
  });
});

describe('lectern --help', () => {
  it.each([[[]], [['serve']], [['migrate']], [['user', 'create']], [['token', 'create']]])('explains %j', async (command) => {
    const result = await lectern([...command, '--help'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: ${['lectern', ...command].join(' ')}`);
  });

  it('names the options of user create', async () => {
    const { stdout } = await lectern(['user', 'create', '--help'], env);
    for (const option of ['--username', '--role', '--email', '--display-name', '--password-stdin']) expect(stdout).toContain(option);
  });

  it('fails with one line for an unknown command', async () => {
    expectOneLineFailure(await lectern(['usr', 'create'], env), /unknown command 'usr'.*user/);
  });
});

describe('bin/lectern.js', () => {
  const entry = join(projectRoot, 'dist', 'server', 'cli', 'index.js');

  beforeAll(() => {
    // The bin runs the compiled code; build it as `npm run build` does (incremental, so quick
    // after `npm ci`). A type error elsewhere still emits JavaScript; typecheck reports it.
    try {
      execFileSync(process.execPath, [join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
        cwd: projectRoot,
        stdio: 'pipe',
      });
    } catch (err) {
      if (!existsSync(entry)) throw err;
    }
  }, 120_000);

  it('creates a user and a token end to end, and fails with one line', () => {
    const run = (args: string[], input = '') =>
      spawnSync(process.execPath, [join(projectRoot, 'bin', 'lectern.js'), ...args], {
        cwd: dir,
        // Not process.env: vitest puts vite's BASE_URL ("/") there, which Lectern would read.
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        input,
        encoding: 'utf8',
        timeout: 30_000,
      });

    const created = run(['user', 'create', '--username', 'dana', '--role', 'author', '--password-stdin'], 'a password from a pipe\n');
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    expect(created.stdout).toContain('Created author "dana"');

    const token = run(['token', 'create', '--username', 'dana']);
    expect(token.status).toBe(0);
    expect(lastLine(token.stdout)).toMatch(/^lct_[A-Za-z0-9_-]+$/);

    const again = run(['user', 'create', '--username', 'dana', '--role', 'author']);
    expect(again.status).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/^lectern: --username: .*taken\n$/);
  });
});
