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
import { runUpkeep } from '../../server/services/scheduler.js';
import { writeSetting } from '../../server/data/settings.js';
import { createPostgresSchema, type TestDatabase } from '../helpers/database.js';

/**
 * Two Lectern instances on two ports over one PostgreSQL database, as behind a load
 * balancer: nothing that matters may live in one process's memory.
 */
interface Instance {
  app: FastifyInstance;
  db: Db;
  url: string;
}

const SECRET = 'shared-secret-for-all-instances-0123456789';
let database: TestDatabase;
let dataDir: string;
let a: Instance;
let b: Instance;

async function startInstance(url: string): Promise<Instance> {
  const config = { ...loadConfig({ DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'test', PORT: '0' }), passwordCost: 10 };
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const app = await buildApp({ config, db, secret: SECRET });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, db, url: address };
}

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}
const cookieHeader = (jar: Record<string, string>) => Object.entries(jar).map(([k, v]) => `${k}=${v}`).join('; ');

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lectern-scale-'));
  database = await createPostgresSchema();
  // Both start at once: the migrator's lock must let exactly one of them migrate.
  [a, b] = await Promise.all([startInstance(database.url), startInstance(database.url)]);
  await createUser(a.db.kysely, { username: 'mod', role: 'editor', password: 'correct horse battery', display_name: 'Mod' }, 10);
});

afterAll(async () => {
  await a?.app.close();
  await b?.app.close();
  await a?.db.close();
  await b?.db.close();
  await database?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('several instances over one PostgreSQL', () => {
  it('shares sessions and CSRF: sign in on one, act on the other, sign out on the other ends it everywhere', async () => {
    const loginPage = await fetch(`${a.url}/admin/login`);
    const jar = cookiesOf(loginPage);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const login = await fetch(`${a.url}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
      body: new URLSearchParams({ _csrf: csrf, username: 'mod', password: 'correct horse battery', next: '/admin' }),
    });
    expect(login.status).toBe(303);
    Object.assign(jar, cookiesOf(login));
    const onB = await fetch(`${b.url}/admin/posts`, { headers: { cookie: cookieHeader(jar) }, redirect: 'manual' });
    expect(onB.status).toBe(200);
    // A form rendered by A is accepted by B.
    const dashboard = await (await fetch(`${a.url}/admin`, { headers: { cookie: cookieHeader(jar) } })).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(dashboard)![1]!;
    const logout = await fetch(`${b.url}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
      body: new URLSearchParams({ _csrf: token }),
    });
    expect(logout.status).toBe(303);
    const afterLogout = await fetch(`${a.url}/admin/posts`, { headers: { cookie: cookieHeader(jar) }, redirect: 'manual' });
    expect(afterLogout.status).toBe(303);
    expect(afterLogout.headers.get('location')).toMatch(/^\/admin\/login/);
  });

  it('shows a comment approved through one instance on the other at once', async () => {
    const author = await createUser(a.db.kysely, { username: 'writer', role: 'author', password: 'correct horse battery' }, 10);
    await createPost(a.db.kysely, author, { title: 'Opening hours', body: 'We are open.', status: 'published' });
    const posted = await fetch(`${a.url}/api/v1/posts/opening-hours/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Ann', email: 'ann@example.org', body: 'Open on Sundays?' }),
    });
    const { comment } = (await posted.json()) as { comment: { id: number; status: string } };
    expect(comment.status).toBe('pending');
    const { createApiToken } = await import('../../server/services/api-tokens.js');
    const mod = await createUser(a.db.kysely, { username: 'mod2', role: 'editor', password: 'correct horse battery' }, 10);
    const { token } = await createApiToken(a.db.kysely, mod, 'test');
    const approve = await fetch(`${a.url}/api/v1/comments/${comment.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ status: 'approved' }),
    });
    expect(approve.status).toBe(200);
    const page = await (await fetch(`${b.url}/posts/opening-hours`)).text();
    expect(page).toContain('Open on Sundays?');
    expect(page).toContain('1 Response to');
    const api = (await (await fetch(`${b.url}/api/v1/posts/opening-hours`)).json()) as { comments: unknown[] };
    expect(api.comments).toHaveLength(1);
  });

  it('counts the per-IP rate limit across instances', async () => {
    await writeSetting(a.db.kysely, 'comment_rate_per_minute', 4);
    await writeSetting(a.db.kysely, 'moderation', 'none');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const target = i % 2 === 0 ? a : b;
      const res = await fetch(`${target.url}/api/v1/posts/opening-hours/comments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Burst', email: `burst${i}@example.org`, body: `Burst ${i}` }),
      });
      statuses.push(res.status);
    }
    // One comment from this address came before (the previous test).
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.slice(3)).toEqual([429, 429, 429]);
    await writeSetting(a.db.kysely, 'comment_rate_per_minute', 5);
  });

  it('publishes a scheduled post exactly once when both instances run their upkeep together', async () => {
    const author = await createUser(a.db.kysely, { username: 'scheduler', role: 'author', password: 'correct horse battery' }, 10);
    const soon = new Date(Date.now() + 60_000);
    await createPost(a.db.kysely, author, { title: 'Story time', body: 'Saturday at ten.', status: 'scheduled', published_at: soon.toISOString() });
    expect((await fetch(`${b.url}/posts/story-time`)).status).toBe(404);
    const later = new Date(soon.getTime() + 1000);
    const results = await Promise.all([runUpkeep(a.db.kysely, later), runUpkeep(b.db.kysely, later), runUpkeep(a.db.kysely, later), runUpkeep(b.db.kysely, later)]);
    expect(results.reduce((sum, r) => sum + r.published, 0)).toBe(1);
    const row = await b.db.kysely.selectFrom('posts').select('status').where('slug', '=', 'story-time').executeTakeFirstOrThrow();
    expect(row.status).toBe('published');
  });
});
