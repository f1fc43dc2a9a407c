import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { openDatabase, type Db } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { createUser } from '../../server/services/users.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * An unknown name must take as long to refuse as a wrong password, or the clock tells
 * which accounts exist. Measured at a realistic scrypt cost (2^12; tests elsewhere use
 * 2^10 to stay fast), where the hash dominates the answer, so skipping it would show.
 * A file of its own: the decoy hash is made once per process, at the app's cost.
 */
const COST = 12;
const PASSWORD = 'correct horse battery';

let dir: string;
let database: TestDatabase;
let db: Db;
let app: FastifyInstance;
let csrf: { token: string; cookies: Record<string, string> };
const usernames: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lectern-timing-'));
  database = await createTestDatabase(dir);
  const config = { ...loadConfig({ DATA_DIR: dir, DATABASE_URL: database.url, LOG_LEVEL: 'warn', NODE_ENV: 'test' }), passwordCost: COST };
  db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  for (let i = 0; i < 16; i++) usernames.push((await createUser(db.kysely, { username: `timed${i}`, role: 'author', password: PASSWORD }, COST)).username);
  app = await buildApp({ config, db, secret: 'timing-test-secret-0123456789-abcdefghij' });
  await app.ready();
  const page = await app.inject('/admin/login');
  csrf = {
    token: /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!,
    cookies: Object.fromEntries(page.cookies.map((c) => [c.name, c.value])),
  };
}, 120_000);
afterAll(async () => {
  await app.close();
  await db.close();
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

let ip = 0;
async function timeLogin(username: string): Promise<number> {
  const start = process.hrtime.bigint();
  const res = await app.inject({
    method: 'POST',
    url: '/admin/login',
    // A fresh address each time: this is about the clock, not the throttle.
    remoteAddress: `10.9.${(++ip >> 8) & 255}.${ip & 255}`,
    cookies: csrf.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf.token, username, password: 'a wrong password' }).toString(),
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  expect(res.statusCode).toBe(401);
  return ms;
}

describe('sign-in timing', () => {
  it('refuses an unknown name about as slowly as a wrong password', { timeout: 120_000 }, async () => {
    const known: number[] = [];
    const unknown: number[] = [];
    // Interleaved, so a busy moment of the machine slows both alike.
    for (const [i, name] of usernames.entries()) {
      known.push(await timeLogin(name));
      unknown.push(await timeLogin(`nobody${i}`));
    }
    // The lower quartile: what the work itself costs, with the least of the machine's noise.
    const quartile = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 4)]!;
    const [k, u] = [quartile(known), quartile(unknown)];
    const detail = `unknown ${u.toFixed(1)} ms, wrong password ${k.toFixed(1)} ms`;
    // Without the decoy hash an unknown name would answer in a fraction of the time.
    expect(u / k, detail).toBeGreaterThan(0.6);
    expect(u / k, detail).toBeLessThan(1.6);
  });
});
