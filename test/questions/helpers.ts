import { expect } from 'vitest';
import { apiToken, postForm, signIn, type Browser, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';

/** A published question post, with comments approved at once unless the test says otherwise. */
export async function questionPost(t: TestApp, input: Record<string, unknown> = {}): Promise<{ id: number; slug: string }> {
  await setSettings(t, { moderation: 'none', comment_rate_per_minute: 10_000, hold_links: 0 });
  return publishPost(t, { is_question: true, ...input });
}

let patrons = 0;

/** A patron's answer through the public API; returns its id. */
export async function answer(t: TestApp, slug: string, body: string, name?: string): Promise<number> {
  patrons += 1;
  const res = await t.app.inject({
    method: 'POST',
    url: `/api/v1/posts/${slug}/comments`,
    payload: { name: name ?? `Patron ${patrons}`, email: `patron${patrons}@example.org`, body },
  });
  expect(res.statusCode, res.body).toBe(201);
  return (res.json() as { comment: { id: number } }).comment.id;
}

/** A staff reply through the post's own form, signed in; returns its id. */
export async function staffReply(t: TestApp, browser: Browser, slug: string, body: string, parentId?: number): Promise<number> {
  const res = await postForm(t, browser, `/posts/${slug}/comments`, { body, ...(parentId ? { parent_id: String(parentId) } : {}) });
  expect(res.statusCode, res.body).toBe(303);
  const match = /#comment-(\d+)$/.exec(String(res.headers.location));
  expect(match).not.toBeNull();
  return Number(match![1]);
}

export const moderatorTools = async (t: TestApp) => ({ editor: await signIn(t, 'editor'), api: await apiToken(t, 'editor') });

/** The text of an HTML fragment, tags dropped and spaces folded, for readable assertions. */
export const textOf = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ').replace(/ ([.,;:!?)])/g, '$1').trim();

/** The part of a page between two markers (inclusive of the first). */
export function section(html: string, start: string, end: string): string {
  const from = html.indexOf(start);
  if (from < 0) return '';
  const to = html.indexOf(end, from + start.length);
  return html.slice(from, to < 0 ? undefined : to);
}
