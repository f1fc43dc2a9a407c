import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, multipart, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { FIXTURE, writeTemp } from './helpers.js';
import { readWxr } from '../../server/services/wordpress/wxr-parse.js';

/** /admin/import-export: the same import and export, for administrators, in the browser. */

let t: TestApp;
let admin: Browser;

beforeAll(async () => {
  t = await buildTestApp();
  admin = await signIn(t, 'admin');
});

afterAll(async () => {
  await t?.close();
});

function upload(browser: Browser, filename: string, data: Buffer, csrf = browser.csrf) {
  const body = multipart({ filename, contentType: 'text/xml', data });
  return t.app.inject({
    method: 'POST',
    url: `/admin/import-export/import?_csrf=${encodeURIComponent(csrf)}`,
    cookies: browser.cookies,
    headers: body.headers,
    payload: body.payload,
  });
}

/** Follows the page as a browser would (it refreshes itself) until the job has finished. */
async function followJob(location: string): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const res = await t.app.inject({ url: location, cookies: admin.cookies });
    expect(res.statusCode).toBe(200);
    if (!res.body.includes('http-equiv="refresh"')) return res.body;
    expect(res.body).toMatch(/<progress max="100" value="\d+">/);
    expect(res.body).toContain(`<a href="${location}">Refresh</a>`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the import did not finish');
}

describe('the import and export page', () => {
  it('is for administrators only', async () => {
    const editor = await signIn(t, 'editor');
    expect((await t.app.inject({ url: '/admin/import-export', cookies: editor.cookies })).statusCode).toBe(403);
    expect((await t.app.inject({ url: '/admin/import-export/export/json', cookies: editor.cookies })).statusCode).toBe(403);
    const visitor = await t.app.inject('/admin/import-export');
    expect(visitor.statusCode).toBe(303);
    expect(visitor.headers.location).toMatch(/^\/admin\/login\?next=/);
    const res = await t.app.inject({ url: '/admin/import-export', cookies: admin.cookies });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('enctype="multipart/form-data"');
    expect(res.body).toContain('href="/admin/import-export/export/wordpress"');
    expect(res.body).toContain('href="/admin/import-export"');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('refuses an upload without the form’s token', async () => {
    const res = await upload(admin, 'library-blog.xml', readFileSync(FIXTURE), 'forged');
    expect(res.statusCode).toBe(403);
    expect(await t.db.kysely.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('imports an uploaded export in the background and shows its progress and summary', async () => {
    const res = await upload(admin, 'library-blog.xml', readFileSync(FIXTURE));
    expect(res.statusCode).toBe(303);
    const location = res.headers.location as string;
    expect(location).toMatch(/^\/admin\/import-export\?job=\d+$/);
    const page = await followJob(location);
    expect(page).toContain('Imported “Millbrook Library News” (blog.millbrook-library.example)');
    expect(page).toMatch(/<tr><th scope="row">Posts<\/th><td>15<\/td><td>0<\/td><td>0<\/td><\/tr>/);
    expect(page).toMatch(/<tr><th scope="row">Comments<\/th><td>65<\/td><td>0<\/td><td>2<\/td><\/tr>/);
    expect(page).toContain('2 skipped: pingbacks and trackbacks');
    const posts = await t.db.kysely.selectFrom('posts').select('id').execute();
    expect(posts).toHaveLength(17);
    // The upload is gone once imported.
    const job = await t.db.kysely.selectFrom('jobs').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'done', label: 'library-blog.xml', created_by: admin.user.id });
    expect(readdirSync(join(t.config.dataDir, 'tmp'))).toEqual([]);
  });

  it('shows a damaged file’s error, with its line, and keeps nothing', async () => {
    const before = await t.db.kysely.selectFrom('posts').select('id').execute();
    const res = await upload(admin, 'broken.xml', readFileSync(FIXTURE).subarray(0, 50_000));
    expect(res.statusCode).toBe(303);
    const page = await followJob(res.headers.location as string);
    expect(page).toContain('broken.xml: line 875, column');
    expect(page).toContain('unclosed tag: content:encoded');
    expect(page).toContain('Nothing from this file was kept');
    expect(await t.db.kysely.selectFrom('posts').select('id').execute()).toEqual(before);
  });

  it('takes export files bigger than the 5 MB image limit', async () => {
    const padded = Buffer.from(readFileSync(FIXTURE, 'utf8').replace('</channel>', `${' '.repeat(6 * 1024 * 1024)}</channel>`));
    const res = await upload(admin, 'padded.xml', padded);
    expect(res.statusCode).toBe(303);
    const page = await followJob(res.headers.location as string);
    expect(page).toMatch(/<tr><th scope="row">Posts<\/th><td>0<\/td><td>0<\/td><td>15<\/td><\/tr>/);
  });

  it('asks for a file when none is sent', async () => {
    const body = multipart(null, {});
    const res = await t.app.inject({
      method: 'POST',
      url: `/admin/import-export/import?_csrf=${encodeURIComponent(admin.csrf)}`,
      cookies: admin.cookies,
      headers: body.headers,
      payload: body.payload,
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Choose a WordPress export file');
  });

  it('downloads the site as WXR and as JSON', async () => {
    const wxr = await t.app.inject({ url: '/admin/import-export/export/wordpress', cookies: admin.cookies });
    expect(wxr.statusCode).toBe(200);
    expect(wxr.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(wxr.headers['content-disposition']).toMatch(/^attachment; filename="127\.0\.0\.1-3000\.wordpress\.\d{4}-\d{2}-\d{2}\.xml"$/);
    let items = 0;
    for await (const event of readWxr(writeTemp('download.xml', wxr.body), { label: 'download.xml' })) if (event.type === 'item') items += 1;
    expect(items).toBe(17);
    const json = await t.app.inject({ url: '/admin/import-export/export/json', cookies: admin.cookies });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-disposition']).toMatch(/\.lectern\.\d{4}-\d{2}-\d{2}\.json"$/);
    const doc = JSON.parse(json.body) as { posts: unknown[]; users: { username: string }[] };
    expect(doc.posts).toHaveLength(17);
    expect(json.body).not.toContain('password_hash');
  });
});
