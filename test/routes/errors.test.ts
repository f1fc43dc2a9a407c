import { afterEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, getCsrf, makeUser, PASSWORD, postForm, type TestApp } from '../helpers/app.js';

let t: TestApp | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

describe('GET /healthz', () => {
  it('answers 200 {"status":"ok"} when the database answers', async () => {
    t = await buildTestApp();
    const res = await t.app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('answers 503 when the database does not, and pages fail with a 5xx without a stack', async () => {
    t = await buildTestApp();
    await t.db.close();
    const health = await t.app.inject('/healthz');
    expect(health.statusCode).toBe(503);
    expect(health.json()).toEqual({ status: 'unavailable' });

    const page = await t.app.inject('/');
    expect(page.statusCode).toBeGreaterThanOrEqual(500);
    expect(page.body).not.toMatch(/\n\s+at /);
    expect(page.body).not.toMatch(/destroyed|kysely|sqlite/i);
    expect(page.body).toContain('Something went wrong');
  });
});

describe('unknown routes', () => {
  it('get a real HTML 404 page', async () => {
    t = await buildTestApp();
    const res = await t.app.inject('/no/such/page');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<!doctype html>');
    expect(res.body).toContain('<h1>Page not found</h1>');
    expect(res.body).toContain('<a href="/">Go to the home page</a>');
  });

  it('get the JSON error envelope under /api', async () => {
    t = await buildTestApp();
    const res = await t.app.inject('/api/v1/nothing-here');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String), fields: {} } });
  });
});

describe('a server fault', () => {
  const boom = (app: TestApp['app']) => {
    app.get('/boom', async () => {
      throw new Error('secret internal detail at /srv/db');
    });
    app.get('/api/v1/boom', async () => {
      throw new Error('secret internal detail at /srv/db');
    });
  };

  it('gives a 500 HTML page with no stack and no internal message, and logs the error', async () => {
    t = await buildTestApp({}, { beforeReady: boom });
    const res = await t.app.inject('/boom');
    expect(res.statusCode).toBe(500);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('<h1>Something went wrong</h1>');
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toMatch(/\n\s+at /);
    const logged = t.logs().split('\n').filter((line) => line.includes('secret internal detail'));
    expect(logged.length).toBeGreaterThan(0);
    const entry = JSON.parse(logged[0]!);
    expect(entry.level).toBe(50);
    expect(entry.reqId).toBeDefined();
    expect(entry.err.stack).toContain('secret internal detail');
  });

  it('gives the API envelope with no internal message', async () => {
    t = await buildTestApp({}, { beforeReady: boom });
    const res = await t.app.inject('/api/v1/boom');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal_error', message: expect.any(String), fields: {} } });
    expect(res.body).not.toContain('secret internal detail');
  });
});

describe('logs', () => {
  it('never contain a password, a session cookie or an API token', async () => {
    t = await buildTestApp();
    const user = await makeUser(t, 'editor');
    const form = await getCsrf(t, '/admin/login');
    const login = await postForm(t, form, '/admin/login', { username: user.username, password: PASSWORD });
    expect(login.statusCode).toBe(303);
    const session = login.cookies.find((c) => c.name === 'lectern_session')!.value;
    await t.app.inject({ url: '/admin', cookies: { lectern_session: session } });
    const wrong = await postForm(t, form, '/admin/login', { username: user.username, password: 'wrong password 123' });
    expect(wrong.statusCode).toBe(401);

    const { token, headers } = await apiToken(t, 'author');
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/posts', headers, payload: { title: 'Logged', body: 'x', status: 'draft' } });
    expect(created.statusCode).toBe(201);
    await t.app.inject({ method: 'GET', url: '/api/v1/posts', headers: { authorization: 'Bearer lct_not_a_real_token' } });

    const logs = t.logs();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [PASSWORD, 'wrong password 123', session, token, 'lct_not_a_real_token', form.csrf]) {
      expect(logs).not.toContain(secret);
    }
  });
});
