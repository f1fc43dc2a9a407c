import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { deflateSync } from 'node:zlib';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { createUser } from '../../server/services/users.js';
import { startSession } from '../../server/services/auth.js';
import { createApiToken } from '../../server/services/api-tokens.js';
import { createPost, type PostInput } from '../../server/services/posts.js';
import type { Role, User } from '../../server/db/schema.js';
import { createTestDatabase } from './database.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  /** Everything the app logged, as text. */
  logs: () => string;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Runs after the app is built and before it is ready: a test may add its own routes here. */
  beforeReady?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * The real app over a fresh database of its own: a temporary SQLite file, or a new
 * PostgreSQL schema when the suite runs against PostgreSQL (test/helpers/database.ts).
 * A DATABASE_URL in `env` overrides both (to reopen a database across a restart).
 */
export async function buildTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-test-'));
  const database = env.DATABASE_URL ? { url: env.DATABASE_URL, drop: async () => {} } : await createTestDatabase(dir);
  const base = loadConfig({ DATA_DIR: dir, DATABASE_URL: database.url, LOG_LEVEL: 'info', NODE_ENV: 'test', ...env });
  const config: Config = { ...base, passwordCost: 10 };
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  let logText = '';
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const app = await buildApp({ config, db, secret: 'test-secret-that-is-long-enough-0123456789', logStream });
  await options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    db,
    config,
    logs: () => logText,
    close: async () => {
      await app.close();
      await db.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct horse battery';

let counter = 0;
export async function makeUser(t: TestApp, role: Role, overrides: Partial<{ username: string; display_name: string; email: string }> = {}): Promise<User> {
  counter += 1;
  return createUser(
    t.db.kysely,
    { username: overrides.username ?? `${role}${counter}`, role, password: PASSWORD, display_name: overrides.display_name ?? `${role} ${counter}`, email: overrides.email ?? null },
    t.config.passwordCost,
  );
}

/** A signed-in browser: session cookie plus a CSRF cookie and token, as a real form would carry. */
export interface Browser {
  user: User;
  cookies: Record<string, string>;
  csrf: string;
}

export function parseSetCookies(res: LightMyRequestResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of res.cookies as { name: string; value: string }[]) out[c.name] = c.value;
  return out;
}

/** Reads a CSRF token the way a browser gets one: from a rendered form. */
export async function getCsrf(t: TestApp, url: string, cookies: Record<string, string> = {}): Promise<{ csrf: string; cookies: Record<string, string> }> {
  const res = await t.app.inject({ method: 'GET', url, cookies });
  const match = /name="_csrf" value="([^"]+)"/.exec(res.body);
  if (!match) throw new Error(`no CSRF field on ${url} (status ${res.statusCode})`);
  return { csrf: match[1]!, cookies: { ...cookies, ...parseSetCookies(res) } };
}

export async function signIn(t: TestApp, role: Role): Promise<Browser> {
  const user = await makeUser(t, role);
  const session = await startSession(t.db.kysely, user.id);
  const cookies = { lectern_session: session };
  const form = await getCsrf(t, '/admin/login?next=/', {});
  return { user, cookies: { ...cookies, ...form.cookies }, csrf: form.csrf };
}

/** Posts a urlencoded form as the browser would, CSRF token included. */
export function postForm(t: TestApp, browser: Pick<Browser, 'cookies' | 'csrf'> | null, url: string, fields: Record<string, string | string[]>) {
  const params = new URLSearchParams();
  if (browser) params.append('_csrf', browser.csrf);
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  return t.app.inject({
    method: 'POST',
    url,
    cookies: browser?.cookies ?? {},
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: params.toString(),
  });
}

export async function apiToken(t: TestApp, role: Role): Promise<{ user: User; token: string; headers: Record<string, string> }> {
  const user = await makeUser(t, role);
  const { token } = await createApiToken(t.db.kysely, user, 'test');
  return { user, token, headers: { authorization: `Bearer ${token}` } };
}

/** Writes a post through the service, as the editor would; published now unless told otherwise. */
export async function addPost(t: TestApp, author: Pick<User, 'id' | 'role'>, input: PostInput = {}, now?: Date): Promise<number> {
  counter += 1;
  return createPost(
    t.db.kysely,
    author,
    { title: `Post ${counter}`, body: `Body of post ${counter}.`, status: 'published', ...input },
    now,
  );
}

/** The stored row of a post, for assertions. */
export const postRow = (t: TestApp, id: number) => t.db.kysely.selectFrom('posts').selectAll().where('id', '=', id).executeTakeFirst();

/** Signs in through the real login form; returns the browser as it stands afterwards. */
export async function logIn(t: TestApp, username: string, password = PASSWORD, start: Record<string, string> = {}) {
  const form = await getCsrf(t, '/admin/login', start);
  const res = await postForm(t, { cookies: form.cookies, csrf: form.csrf }, '/admin/login', { username, password });
  return { res, cookies: { ...form.cookies, ...parseSetCookies(res) }, csrf: form.csrf };
}

/** A multipart/form-data body built by hand, one file part plus plain fields. */
export function multipart(
  file: { field?: string; filename: string; contentType: string; data: Buffer } | null,
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = '----lectern-test-' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.filename}"\r\n` +
          `Content-Type: ${file.contentType}\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A valid 1×1 PNG, built from its chunks (signature, IHDR, IDAT, IEND) with real CRCs. */
export function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  // IDAT: zlib stream of one filter byte and four pixel bytes.
  const idat = deflateSync(Buffer.from([0, 0x33, 0x66, 0x99, 0xff]));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
