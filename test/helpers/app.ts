import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig, type Config } from '../../server/config.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { createUser } from '../../server/services/users.js';
import { startSession } from '../../server/services/auth.js';
import { createApiToken } from '../../server/services/api-tokens.js';
import type { Role, User } from '../../server/db/schema.js';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  config: Config;
  /** Everything the app logged, as text. */
  logs: () => string;
  close: () => Promise<void>;
}

/** The real app over a fresh temporary SQLite database (or the given DATABASE_URL). */
export async function buildTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-test-'));
  const base = loadConfig({ DATA_DIR: dir, DATABASE_URL: `sqlite:${join(dir, 'test.db')}`, LOG_LEVEL: 'info', NODE_ENV: 'test', ...env });
  const config: Config = { ...base, passwordCost: 10 };
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  let logText = '';
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => (logText += chunk.toString()));
  const app = await buildApp({ config, db, secret: 'test-secret-that-is-long-enough-0123456789', logStream });
  await app.ready();
  return {
    app,
    db,
    config,
    logs: () => logText,
    close: async () => {
      await app.close();
      await db.close();
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
