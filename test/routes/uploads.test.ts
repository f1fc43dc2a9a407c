import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, getCsrf, makeUser, multipart, signIn, tinyPng, type Browser, type TestApp } from '../helpers/app.js';

let t: TestApp;
let author: Browser;

beforeAll(async () => {
  t = await buildTestApp();
  author = await signIn(t, 'author');
});
afterAll(() => t.close());

const uploadsRoot = () => join(t.config.dataDir, 'uploads');
/** Every file under the uploads folder. */
function storedFiles(dir = uploadsRoot()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? storedFiles(full) : [full];
  });
}
const uploadRows = () => t.db.kysely.selectFrom('uploads').selectAll().execute();

/** Uploads the way the editor's script does: CSRF in a header, JSON back. */
function upload(browser: Pick<Browser, 'cookies' | 'csrf'> | null, file: Parameters<typeof multipart>[0], extraHeaders: Record<string, string> = {}) {
  const body = multipart(file);
  return t.app.inject({
    method: 'POST',
    url: '/admin/uploads',
    cookies: browser?.cookies ?? {},
    headers: { ...body.headers, accept: 'application/json', ...(browser ? { 'x-csrf-token': browser.csrf } : {}), ...extraHeaders },
    payload: body.payload,
  });
}

const png = (data = tinyPng(), filename = 'Reading room.png') => ({ filename, contentType: 'image/png', data });

describe('POST /admin/uploads', () => {
  it('stores a real PNG under DATA_DIR/uploads and answers 201 with its URL and Markdown', async () => {
    const data = tinyPng();
    const res = await upload(author, png(data));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.any(Number),
      url: expect.stringMatching(/^\/uploads\/\d{4}\/\d{2}\/[0-9a-f]{16}\.png$/),
      markdown: expect.stringMatching(/^!\[Reading room\]\(\/uploads\/\d{4}\/\d{2}\/[0-9a-f]{16}\.png\)$/),
    });
    const onDisk = join(uploadsRoot(), body.url.slice('/uploads/'.length));
    expect(readFileSync(onDisk).equals(data)).toBe(true);
    const row = (await uploadRows()).find((r) => r.id === body.id);
    expect(row).toMatchObject({ user_id: author.user.id, original_name: 'Reading room.png', mime_type: 'image/png', size_bytes: data.length });

    const served = await t.app.inject(body.url);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/png');
    expect(served.rawPayload.equals(data)).toBe(true);
    const cache = String(served.headers['cache-control']);
    expect(cache).toContain('max-age=31536000');
    expect(cache).toContain('immutable');
  });

  it('judges the type by content: a PNG named .jpg is stored as .png', async () => {
    const res = await upload(author, png(tinyPng(), 'photo.jpg'));
    expect(res.statusCode).toBe(201);
    expect(res.json().url).toMatch(/\.png$/);
  });

  it('refuses a text file renamed .png with 415 and stores nothing', async () => {
    const files = storedFiles().length;
    const rows = (await uploadRows()).length;
    const res = await upload(author, { filename: 'evil.png', contentType: 'image/png', data: Buffer.from('<script>alert(1)</script> just text, honestly\n') });
    expect(res.statusCode).toBe(415);
    // The editor's script asked for JSON, so the error comes in the envelope it can show.
    expect(res.json()).toEqual({ error: { code: 'unsupported_media_type', message: expect.any(String), fields: { file: expect.any(String) } } });
    expect(storedFiles()).toHaveLength(files);
    expect(await uploadRows()).toHaveLength(rows);
  });

  it('answers a browser form (Accept: text/html) with an HTML error page', async () => {
    const body = multipart({ filename: 'notes.png', contentType: 'image/png', data: Buffer.from('plain text') });
    const res = await t.app.inject({
      method: 'POST',
      url: '/admin/uploads',
      cookies: author.cookies,
      headers: { ...body.headers, accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'x-csrf-token': author.csrf },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
  });

  it('refuses an SVG (it can carry script) with 415', async () => {
    const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const res = await upload(author, { filename: 'logo.svg', contentType: 'image/svg+xml', data: svg });
    expect(res.statusCode).toBe(415);
  });

  it('accepts an image over 1 MiB (the JSON body limit) and under 5 MB', async () => {
    const big = Buffer.concat([tinyPng(), Buffer.alloc(2 * 1024 * 1024)]);
    const res = await upload(author, png(big, 'big.png'));
    expect(res.statusCode).toBe(201);
  });

  it('refuses a file over 5 MB with 413 and stores nothing', async () => {
    const files = storedFiles().length;
    const rows = (await uploadRows()).length;
    const huge = Buffer.concat([tinyPng(), Buffer.alloc(5 * 1024 * 1024)]);
    const res = await upload(author, png(huge, 'huge.png'));
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    expect(storedFiles()).toHaveLength(files);
    expect(await uploadRows()).toHaveLength(rows);
  });

  it('refuses an empty file and a form without a file with 422', async () => {
    expect((await upload(author, png(Buffer.alloc(0), 'empty.png'))).statusCode).toBe(422);
    expect((await upload(author, null)).statusCode).toBe(422);
  });

  it('refuses a visitor with 401 and stores nothing', async () => {
    const rows = (await uploadRows()).length;
    const form = await getCsrf(t, '/admin/login');
    const res = await upload(form, png());
    expect(res.statusCode).toBe(401);
    expect(await uploadRows()).toHaveLength(rows);
  });

  it('refuses a patron with 403', async () => {
    const patron = await signIn(t, 'patron');
    expect((await upload(patron, png())).statusCode).toBe(403);
  });

  it('refuses an upload without a CSRF token, or with a wrong one, with 403', async () => {
    const rows = (await uploadRows()).length;
    expect((await upload({ cookies: author.cookies, csrf: '' }, png())).statusCode).toBe(403);
    expect((await upload({ cookies: author.cookies, csrf: 'forged-token' }, png())).statusCode).toBe(403);
    const other = await signIn(t, 'author');
    expect((await upload({ cookies: author.cookies, csrf: other.csrf }, png())).statusCode).toBe(403);
    expect(await uploadRows()).toHaveLength(rows);
  });

  it('works without JavaScript: the editor’s upload form, as rendered, gets a page with the Markdown', async () => {
    const editor = await t.app.inject({ url: '/admin/posts/new', cookies: author.cookies });
    const action = /<form method="post" action="([^"]+)" enctype="multipart\/form-data"/.exec(editor.body)?.[1];
    expect(action).toBeDefined();
    const body = multipart(png());
    const res = await t.app.inject({
      method: 'POST',
      url: action!.replace(/&amp;/g, '&'),
      cookies: author.cookies,
      headers: { ...body.headers, accept: 'text/html' },
      payload: body.payload,
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toMatch(/<input id="markdown" readonly value="!\[Reading room\]\(\/uploads\/\d{4}\/\d{2}\/[0-9a-f]{16}\.png\)"/);
  });
});

describe('GET /uploads/...', () => {
  it('404s an unknown file', async () => {
    expect((await t.app.inject('/uploads/2020/01/nothing.png')).statusCode).toBe(404);
  });

  it('never serves files outside the uploads folder', async () => {
    await makeUser(t, 'admin');
    for (const url of ['/uploads/../test.db', '/uploads/%2e%2e/test.db', '/uploads/..%2ftest.db', '/uploads/']) {
      const res = await t.app.inject(url);
      expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(res.body).not.toContain('SQLite format');
    }
  });
});
