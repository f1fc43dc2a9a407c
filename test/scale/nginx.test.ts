import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
import { projectRoot } from '../../server/paths.js';
import { createPostgresSchema, type TestDatabase } from '../helpers/database.js';

/** The README's deployment, run for real: deploy/nginx/lectern.conf in front of three instances. */
const nginxInstalled = spawnSync('nginx', ['-v']).status === 0;
if (!nginxInstalled && process.env.LECTERN_REQUIRE_NGINX) throw new Error('nginx is required (CI installs it) but is not installed');

const SECRET = 'nginx-test-secret-0123456789-abcdefghij';
let database: TestDatabase;
let dir: string;
let nginx: ChildProcess | undefined;
let base: string;
const instances: { app: FastifyInstance; db: Db; served: number }[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer`);
}

describe.skipIf(!nginxInstalled)('three instances behind nginx with the sample configuration', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lectern-nginx-'));
    database = await createPostgresSchema();
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) {
      const config = { ...loadConfig({ DATABASE_URL: database.url, DATA_DIR: dir, LOG_LEVEL: 'warn', NODE_ENV: 'test', TRUST_PROXY: '127.0.0.1' }), passwordCost: 10 };
      const db = await openDatabase(config.databaseUrl);
      await migrateToLatest(db);
      const app = await buildApp({ config, db, secret: SECRET });
      const instance = { app, db, served: 0 };
      app.addHook('onResponse', async () => {
        instance.served += 1;
      });
      await app.listen({ port, host: '127.0.0.1' });
      instances.push(instance);
    }
    const author = await createUser(instances[0]!.db.kysely, { username: 'staff', role: 'editor', password: 'correct horse battery' }, 10);
    await createPost(instances[0]!.db.kysely, author, { title: 'Welcome', body: 'Hello.', status: 'published' });

    const listen = await freePort();
    const sample = readFileSync(join(projectRoot, 'deploy/nginx/lectern.conf'), 'utf8')
      .replace('listen 80;', `listen 127.0.0.1:${listen};`)
      .replace('127.0.0.1:3001', `127.0.0.1:${ports[0]}`)
      .replace('127.0.0.1:3002', `127.0.0.1:${ports[1]}`)
      .replace('127.0.0.1:3003', `127.0.0.1:${ports[2]}`);
    writeFileSync(join(dir, 'lectern.conf'), sample);
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;\nevents { worker_connections 256; }\n` +
        `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  include ${dir}/lectern.conf;\n}\n`,
    );
    nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    base = `http://127.0.0.1:${listen}`;
    await waitFor(`${base}/healthz`);
  });

  afterAll(async () => {
    nginx?.kill('SIGTERM');
    for (const { app, db } of instances) {
      await app.close();
      await db.close();
    }
    await database?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('spreads readers over all three instances, and every one serves the same site', async () => {
    for (const i of instances) i.served = 0;
    for (let n = 0; n < 12; n++) {
      const res = await fetch(`${base}/posts/welcome`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('Hello.');
    }
    expect(instances.map((i) => i.served).every((n) => n >= 2)).toBe(true);
  });

  it('keeps a login made through nginx whichever instance answers next', async () => {
    const loginPage = await fetch(`${base}/admin/login`);
    const cookies = loginPage.headers.getSetCookie().map((c) => c.split(';')[0]!);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const login = await fetch(`${base}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
      body: new URLSearchParams({ _csrf: csrf, username: 'staff', password: 'correct horse battery', next: '/admin/posts' }),
    });
    expect(login.status).toBe(303);
    cookies.push(...login.headers.getSetCookie().map((c) => c.split(';')[0]!));
    for (let n = 0; n < 6; n++) {
      const res = await fetch(`${base}/admin/posts`, { headers: { cookie: cookies.join('; ') }, redirect: 'manual' });
      expect(res.status).toBe(200);
    }
  });

  it('passes the client address through, so per-IP limits see the visitor and not nginx', async () => {
    const res = await fetch(`${base}/api/v1/posts/welcome/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body: JSON.stringify({ name: 'Visitor', email: 'v@example.org', body: 'Through the proxy' }),
    });
    expect(res.status).toBe(201);
    const direct = await fetch(`${base}/api/v1/posts/welcome/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Local', email: 'l@example.org', body: 'Without a forwarded address' }),
    });
    expect(direct.status).toBe(201);
    const rows = await instances[0]!.db.kysely.selectFrom('comments').select('ip_hash').orderBy('id').execute();
    // nginx appends the peer to X-Forwarded-For; with TRUST_PROXY the instance takes the visitor's.
    expect(rows[0]!.ip_hash).not.toBe(rows[1]!.ip_hash);
  });
});
