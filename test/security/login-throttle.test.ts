import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, getCsrf, makeUser, PASSWORD, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { enterLogin, leaveLogin, LOGIN_THROTTLE, lockMs } from '../../server/services/login-throttle.js';
import { collectRoutes } from './routes.js';

/**
 * Sign-in throttling (server/services/login-throttle.ts): per account and per client IP,
 * growing locks, kept in the database, the same answer whether the account exists.
 */

let t: TestApp;
let csrf: { csrf: string; cookies: Record<string, string> };
let ipCounter = 0;
/** A fresh client address, so a test about the account is not also about the IP. */
const freshIp = () => `10.${(++ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;

function login(username: string, password: string, ip = freshIp(), url = '/admin/login', app = t) {
  const fields: Record<string, string> = url === '/account/login' ? { login: username, password } : { username, password };
  return app.app.inject({
    method: 'POST',
    url,
    remoteAddress: ip,
    cookies: csrf.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf.csrf, ...fields }).toString(),
  });
}

const sessionSet = (res: LightMyRequestResponse) => res.cookies.some((c) => c.name === 'lectern_session');
const FREE = LOGIN_THROTTLE.account.free;

beforeAll(async () => {
  t = await buildTestApp();
  await makeUser(t, 'admin');
  csrf = await getCsrf(t, '/admin/login');
});
afterAll(() => t.close());
afterEach(async () => {
  await t.db.kysely.deleteFrom('login_attempts').execute();
});

/** "Time passes": every lock ends now. */
const unlockAll = () => t.db.kysely.updateTable('login_attempts').set({ locked_until: new Date(Date.now() - 1000).toISOString() }).execute();

describe('per account', () => {
  it(`allows ${FREE} wrong passwords, then answers 429 with Retry-After — even to the right password`, async () => {
    const user = await makeUser(t, 'editor');
    for (let i = 0; i < FREE; i++) expect((await login(user.username, `wrong ${i} password`)).statusCode).toBe(401);
    const locked = await login(user.username, PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(locked.body).toContain('Too many failed sign-ins');
    expect(sessionSet(locked)).toBe(false);
  });

  it('locks for longer after each further failure, up to the cap', async () => {
    const user = await makeUser(t, 'author');
    for (let i = 0; i < FREE; i++) await login(user.username, 'wrong password');
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await login(user.username, 'wrong password');
      expect(res.statusCode).toBe(429);
      waits.push(Number(res.headers['retry-after']));
      await unlockAll();
      expect((await login(user.username, 'wrong password')).statusCode).toBe(401);
    }
    for (let i = 1; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
    expect(lockMs(FREE, LOGIN_THROTTLE.account)).toBe(LOGIN_THROTTLE.account.baseMs);
    expect(lockMs(FREE + 1, LOGIN_THROTTLE.account)).toBe(2 * LOGIN_THROTTLE.account.baseMs);
    expect(lockMs(FREE + 100, LOGIN_THROTTLE.account)).toBe(LOGIN_THROTTLE.account.maxMs);
    expect(lockMs(FREE - 1, LOGIN_THROTTLE.account)).toBe(0);
  });

  it('makes brute force of one account impractical: at most a few guesses an hour once capped', () => {
    let guessesInADay = 0;
    let clock = 0;
    for (let failures = 1; clock < 24 * 3600_000; failures++) {
      guessesInADay++;
      clock += Math.max(lockMs(failures, LOGIN_THROTTLE.account), 1);
    }
    expect(guessesInADay).toBeLessThan(120);
  });

  it('clears the account’s count on a successful sign-in', async () => {
    const user = await makeUser(t, 'author');
    for (let i = 0; i < FREE - 1; i++) expect((await login(user.username, 'wrong password')).statusCode).toBe(401);
    expect((await login(user.username, PASSWORD)).statusCode).toBe(303);
    for (let i = 0; i < FREE; i++) expect((await login(user.username, 'wrong password')).statusCode).toBe(401);
    expect((await login(user.username, 'wrong password')).statusCode).toBe(429);
  });

  it('counts the name however it is typed (case, spaces)', async () => {
    const user = await makeUser(t, 'author');
    const spellings = [user.username, user.username.toUpperCase(), ` ${user.username} `];
    for (let i = 0; i < FREE; i++) await login(spellings[i % spellings.length]!, 'wrong password');
    expect((await login(user.username.toUpperCase(), PASSWORD)).statusCode).toBe(429);
  });

  it('holds against a burst of parallel guesses: no more than the free ones are checked', async () => {
    const user = await makeUser(t, 'author');
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => login(user.username, `guess ${i} wrong`)));
    const checked = results.filter((r) => r.statusCode === 401).length;
    expect(checked).toBeLessThanOrEqual(FREE);
    expect(results.every((r) => r.statusCode === 401 || r.statusCode === 429)).toBe(true);
  });

  it('keeps no typed name or address in the table, only keyed hashes', async () => {
    await login('someone-typed-this', 'wrong password', '192.0.2.77');
    const rows = await t.db.kysely.selectFrom('login_attempts').selectAll().execute();
    expect(rows.length).toBe(2);
    const text = JSON.stringify(rows);
    expect(text).not.toContain('someone-typed-this');
    expect(text).not.toContain('192.0.2.77');
    expect(rows.map((r) => r.key.split(':')[0]).sort()).toEqual(['account', 'ip']);
  });
});

describe('per IP', () => {
  it(`stops an address after ${LOGIN_THROTTLE.ip.free} failures across any accounts; other addresses go on`, async () => {
    const ip = '198.51.100.1';
    for (let i = 0; i < LOGIN_THROTTLE.ip.free; i++) expect((await login(`spray-${i}`, 'wrong password', ip)).statusCode).toBe(401);
    const user = await makeUser(t, 'author');
    const blocked = await login(user.username, PASSWORD, ip);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers['retry-after']).toBeDefined();
    expect((await login(user.username, PASSWORD, '198.51.100.2')).statusCode).toBe(303);
  });

  it('does not count a success from an address as a failure', async () => {
    const ip = '198.51.100.3';
    const user = await makeUser(t, 'author');
    for (let i = 0; i < LOGIN_THROTTLE.ip.free + 5; i++) expect((await login(user.username, PASSWORD, ip)).statusCode).toBe(303);
  });
});

describe('the same answer whether the account exists', () => {
  const strip = (body: string, name: string) => body.replaceAll(name, 'NAME').replace(/name="_csrf" value="[^"]+"/g, '');

  // Timing: login-timing.test.ts, in a process of its own at a realistic scrypt cost.
  it('gives the same status and page for a wrong password and an unknown name, throttled or not', async () => {
    const user = await makeUser(t, 'author');
    const unknown = 'no-such-person';
    const ip = freshIp();
    for (let i = 0; i <= FREE; i++) {
      const a = await login(user.username, 'wrong password', ip);
      const b = await login(unknown, 'wrong password', ip);
      expect(a.statusCode).toBe(b.statusCode);
      expect(a.statusCode).toBe(i < FREE ? 401 : 429);
      expect(strip(a.body, user.username)).toBe(strip(b.body, unknown));
      expect(a.headers['retry-after']).toBe(b.headers['retry-after']);
      await t.db.kysely.deleteFrom('login_attempts').where('key', 'like', 'ip:%').execute();
    }
  });

});

describe('every sign-in form', () => {
  it('is throttled, found from the router: any POST whose page asks for a name and a password', { timeout: 60_000 }, async () => {
    await setSettings(t, { patron_registration: true });
    const forms: string[] = [];
    for (const route of collectRoutes(t.app).filter((r) => r.method === 'POST' && !r.url.includes(':') && !r.url.startsWith('/api/'))) {
      const page = await t.app.inject(route.url);
      if (page.statusCode !== 200 || !/type="password"/.test(page.body) || !/name="(username|login)"/.test(page.body)) continue;
      if (/name="password_confirm"/.test(page.body)) continue; // creating an account, not signing in
      forms.push(route.url);
    }
    expect(forms.sort()).toEqual(['/account/login', '/admin/login']);
    for (const url of forms) {
      const user = await makeUser(t, 'patron', { email: `throttled-${url.replace(/\W/g, '')}@example.org` });
      for (let i = 0; i < FREE; i++) expect((await login(user.email!, 'wrong password', freshIp(), url)).statusCode, url).toBe(401);
      const res = await login(user.email!, PASSWORD, freshIp(), url);
      expect(res.statusCode, url).toBe(429);
      expect(res.headers['retry-after'], url).toBeDefined();
    }
  });

  it('shares one count per account across the staff and the patron sign-in pages', async () => {
    const user = await makeUser(t, 'author');
    for (let i = 0; i < FREE; i++) await login(user.username, 'wrong password', freshIp(), i % 2 ? '/account/login' : '/admin/login');
    expect((await login(user.username, PASSWORD, freshIp(), '/account/login')).statusCode).toBe(429);
    expect((await login(user.username, PASSWORD, freshIp(), '/admin/login')).statusCode).toBe(429);
  });
});

describe('kept in the database', () => {
  it('holds across instances over one database', async () => {
    const other = await buildTestApp({ DATABASE_URL: t.config.databaseUrl });
    try {
      const user = await makeUser(t, 'author');
      for (let i = 0; i < FREE; i++) {
        const app = i % 2 ? other : t;
        expect((await login(user.username, 'wrong password', freshIp(), '/admin/login', app)).statusCode).toBe(401);
      }
      expect((await login(user.username, PASSWORD, freshIp(), '/admin/login', other)).statusCode).toBe(429);
      expect((await login(user.username, PASSWORD, freshIp(), '/admin/login', t)).statusCode).toBe(429);
    } finally {
      await other.app.close();
      await other.db.close();
    }
  });

  it('forgets an account’s failures after a quiet day, and purges rows that lock nothing', async () => {
    const source = { login: 'forgetful', ip: '192.0.2.1' };
    const secret = 'throttle-test-secret';
    const start = new Date('2030-01-01T00:00:00Z');
    for (let i = 0; i < FREE; i++) {
      const gate = await enterLogin(t.db.kysely, secret, source, new Date(start.getTime() + i));
      expect(gate.allowed).toBe(true);
      if (gate.allowed) await leaveLogin(t.db.kysely, gate, false);
    }
    expect((await enterLogin(t.db.kysely, secret, source, new Date(start.getTime() + 10))).allowed).toBe(false);
    const nextDay = new Date(start.getTime() + LOGIN_THROTTLE.windowMs + 60_000);
    const gate = await enterLogin(t.db.kysely, secret, source, nextDay);
    expect(gate.allowed).toBe(true);
    const rows = await t.db.kysely.selectFrom('login_attempts').selectAll().execute();
    expect(rows.map((r) => r.failures)).toEqual([1, 1]);
  });
});
