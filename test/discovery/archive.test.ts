import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { setSettings } from '../helpers/content.js';
import { monthRange, parseArchiveMonth } from '../../server/services/archive.js';
import type { User } from '../../server/db/schema.js';
import { BASE, author, writePost } from './helpers.js';

let t: TestApp;
let staff: User;
const slugs: Record<string, string> = {};

beforeAll(async () => {
  t = await buildTestApp({ BASE_URL: BASE });
  staff = await author(t);
  const add = async (key: string, title: string, published_at: string, extra = {}) => {
    slugs[key] = (await writePost(t, staff, { title, published_at, ...extra })).slug;
  };
  await add('jan', 'January notes', '2023-01-15T12:00:00.000Z');
  await add('mar1', 'March one', '2024-03-05T09:00:00.000Z');
  await add('mar2', 'March two', '2024-03-20T09:00:00.000Z');
  // 02:00 UTC on 1 April is still the evening of 31 March in Chicago.
  await add('edge', 'Late on the last of March', '2024-04-01T02:00:00.000Z');
  await add('may', 'May news', '2024-05-02T10:00:00.000Z');
  // Two posts at the same instant: the id breaks the tie, so none is skipped by prev/next.
  await add('twinA', 'Twin A', '2024-06-01T10:00:00.000Z');
  await add('twinB', 'Twin B', '2024-06-01T10:00:00.000Z');
  await add('draft', 'A draft in March', '2024-03-10T09:00:00.000Z', { status: 'draft' });
  await add('future', 'Future post', '2099-03-10T09:00:00.000Z', { status: 'scheduled' });
  await add('page', 'Opening hours', '2024-03-11T09:00:00.000Z', { kind: 'page' });
  await setSettings(t, { timezone: 'America/Chicago' });
});
afterAll(async () => {
  await t.close();
});

const get = (url: string) => t.app.inject({ method: 'GET', url });
const listedTitles = (html: string) => [...html.matchAll(/<h2 class="post-summary__title"><a [^>]+>([^<]+)<\/a>/g)].map((m) => m[1]);

describe('GET /archive', () => {
  it('lists the months with posts, newest first, with counts, in the site’s time zone', async () => {
    const res = await get('/archive');
    expect(res.statusCode).toBe(200);
    const months = [...res.body.matchAll(/<li><a href="([^"]+)">([^<]+)<\/a> <span class="archive-count">\((\d+)\)<\/span><\/li>/g)].map((m) => [m[1], m[2], Number(m[3])]);
    expect(months).toEqual([
      ['/2024/06', 'June 2024', 2],
      ['/2024/05', 'May 2024', 1],
      ['/2024/03', 'March 2024', 3],
      ['/2023/01', 'January 2023', 1],
    ]);
    expect(res.body).toContain('2024 <span class="archive-count">(6 posts)</span>');
    expect(res.body).toContain('2023 <span class="archive-count">(1 post)</span>');
    expect(res.body).toContain(`<link rel="canonical" href="${BASE}/archive">`);
  });

  it('groups by UTC months when the site runs on UTC', async () => {
    await setSettings(t, { timezone: 'UTC' });
    const body = (await get('/archive')).body;
    await setSettings(t, { timezone: 'America/Chicago' });
    expect(body).toContain('<a href="/2024/04">April 2024</a> <span class="archive-count">(1)</span>');
    expect(body).toContain('<a href="/2024/03">March 2024</a> <span class="archive-count">(2)</span>');
  });
});

describe('GET /:year/:month', () => {
  it('lists that month’s published posts, newest first, without drafts, pages or future posts', async () => {
    const res = await get('/2024/03');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h1>Posts from March 2024</h1>');
    expect(res.body).toContain('<title>March 2024 – Lectern</title>');
    expect(listedTitles(res.body)).toEqual(['Late on the last of March', 'March two', 'March one']);
    expect(res.body).toContain(`<link rel="canonical" href="${BASE}/2024/03">`);
  });

  it('pages through a month', async () => {
    await setSettings(t, { posts_per_page: 2 });
    const first = await get('/2024/03');
    const second = await get('/2024/03?page=2');
    const past = await get('/2024/03?page=3');
    await setSettings(t, { posts_per_page: 10 });
    expect(listedTitles(first.body)).toEqual(['Late on the last of March', 'March two']);
    expect(first.body).toContain('href="/2024/03?page=2"');
    expect(listedTitles(second.body)).toEqual(['March one']);
    expect(second.body).toContain(`<link rel="canonical" href="${BASE}/2024/03?page=2">`);
    expect(past.statusCode).toBe(404);
  });

  it.each(['/2024/04', '/2024/02', '/2099/03', '/2024/3', '/24/03', '/02024/03', '/2024/13', '/2024/00', '/abcd/03', '/2024/ab', '/0999/03', '/2024/03/01'])(
    '%s is a 404 page',
    async (url) => {
      const res = await get(url);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('text/html');
    },
  );

  it('leaves other two-segment addresses alone (the API still answers JSON)', async () => {
    const res = await get('/api/nothing');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'No such endpoint', fields: {} } });
    expect((await get('/admin/login')).statusCode).toBe(200);
  });

  it('parses only four-digit years and two-digit months', () => {
    expect(parseArchiveMonth('2024', '03')).toEqual({ year: 2024, month: 3 });
    expect(parseArchiveMonth('2024', '3')).toBeNull();
    expect(parseArchiveMonth('2024', '12')).toEqual({ year: 2024, month: 12 });
    expect(parseArchiveMonth('9999', '12')).toBeNull();
    expect(monthRange(2024, 12, 'UTC')).toEqual({ from: '2024-12-01T00:00:00.000Z', before: '2025-01-01T00:00:00.000Z' });
    expect(monthRange(2024, 3, 'America/Chicago')).toEqual({ from: '2024-03-01T06:00:00.000Z', before: '2024-04-01T05:00:00.000Z' });
  });
});

describe('previous and next post links', () => {
  const nav = async (key: string) => {
    const html = (await get(`/posts/${slugs[key]}`)).body;
    const prev = /<p class="post-nav__prev">Previous post: <a href="\/posts\/([^"]+)" rel="prev">/.exec(html)?.[1] ?? null;
    const next = /<p class="post-nav__next">Next post: <a href="\/posts\/([^"]+)" rel="next">/.exec(html)?.[1] ?? null;
    return { prev, next };
  };

  it('link the older and newer published posts, skipping drafts, pages and future posts', async () => {
    expect(await nav('jan')).toEqual({ prev: null, next: slugs.mar1 });
    expect(await nav('mar1')).toEqual({ prev: slugs.jan, next: slugs.mar2 });
    expect(await nav('mar2')).toEqual({ prev: slugs.mar1, next: slugs.edge });
    expect(await nav('may')).toEqual({ prev: slugs.edge, next: slugs.twinA });
  });

  it('walk through posts with the same date one by one', async () => {
    expect(await nav('twinA')).toEqual({ prev: slugs.may, next: slugs.twinB });
    expect(await nav('twinB')).toEqual({ prev: slugs.twinA, next: null });
  });

  it('show the titles, escaped', async () => {
    const html = (await get(`/posts/${slugs.mar2}`)).body;
    expect(html).toContain(`<a href="/posts/${slugs.mar1}" rel="prev">← March one</a>`);
    expect(html).toContain(`<a href="/posts/${slugs.edge}" rel="next">Late on the last of March →</a>`);
  });
});
