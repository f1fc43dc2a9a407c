import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../helpers/app.js';

/** Readers of test/reactions: each call from its own address unless one is given. */
let lastOctet = 0;
export const freshAddress = () => `10.77.${Math.floor(++lastOctet / 250)}.${(lastOctet % 250) + 1}`;

export interface ReaderBrowser {
  cookies: Record<string, string>;
  ip: string;
}

export const newReader = (): ReaderBrowser => ({ cookies: {}, ip: freshAddress() });

/** Keeps what the server sets, as a browser would. */
export function keepCookies(browser: ReaderBrowser, res: LightMyRequestResponse): void {
  for (const c of res.cookies as { name: string; value: string }[]) browser.cookies[c.name] = c.value;
}

/** A no-JS form post from an anonymous reader. */
export async function readerForm(t: TestApp, browser: ReaderBrowser, url: string, fields: Record<string, string> = {}) {
  const res = await t.app.inject({
    method: 'POST',
    url,
    remoteAddress: browser.ip,
    cookies: browser.cookies,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
  keepCookies(browser, res);
  return res;
}

/** The JSON API as a browser script calls it (the reader cookie travels along). */
export async function readerApi(t: TestApp, browser: ReaderBrowser, method: 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) {
  const res = await t.app.inject({ method, url, remoteAddress: browser.ip, cookies: browser.cookies, ...(payload ? { payload } : {}) });
  keepCookies(browser, res);
  return res;
}

export const get = (t: TestApp, url: string, cookies: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, cookies });

/** An approved comment from a patron (moderation is off in these tests); answers its id. */
export async function approvedComment(t: TestApp, slug: string, body: string, name = 'Pat Reader'): Promise<number> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/posts/${slug}/comments`,
    remoteAddress: freshAddress(),
    payload: { name, email: `${name.toLowerCase().replace(/\W+/g, '.')}@example.org`, body },
  });
  expect(res.statusCode).toBe(201);
  expect(res.json().comment.status).toBe('approved');
  return res.json().comment.id as number;
}

/** The count text printed next to a like button (views/partials/like.eta). */
export function likeText(html: string, formId: string): string {
  const match = new RegExp(`id="${formId}-count"[^>]*>([^<]*)<`).exec(html);
  if (!match) throw new Error(`no like count ${formId} on the page`);
  return match[1]!;
}
