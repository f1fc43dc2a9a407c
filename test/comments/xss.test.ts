import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { findExecutable, loadXssPayloads } from '../helpers/xss.js';

const payloads = loadXssPayloads();
let t: TestApp;
let slug: string;

beforeAll(async () => {
  t = await buildTestApp();
  slug = (await publishPost(t)).slug;
  await setSettings(t, { moderation: 'none', hold_links: 0, comment_rate_per_minute: 100_000 });
});
afterAll(async () => {
  await t.close();
});

describe('hostile comments', () => {
  it('the detector itself finds script in a page (so the checks below can fail)', () => {
    expect(findExecutable('<p><img src=x onerror=alert(1)></p>')).toEqual(['onerror= on <img>']);
    expect(findExecutable('<a href=" jav&#x09;ascript:alert(1)">x</a>')).toHaveLength(1);
    expect(findExecutable('<svg><script>alert(1)</script></svg>').length).toBeGreaterThan(0);
    expect(findExecutable('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>')).toEqual([]);
  });

  it(`has a corpus of at least 140 payloads (${payloads.length})`, () => {
    expect(payloads.length).toBeGreaterThanOrEqual(140);
  });

  it('no payload in a body, name or website puts executable markup on the post page or in the API', async () => {
    const failures: string[] = [];
    for (const [index, payload] of payloads.entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/posts/${slug}/comments`,
        remoteAddress: '10.3.3.3',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ name: payload.slice(0, 100), email: `p${index}@example.org`, url: payload, body: payload }).toString(),
      });
      // A hostile website is refused (422) with the form re-rendered: that page must be clean too.
      const pages = [res.body];
      if (res.statusCode === 422) {
        const again = await t.app.inject({
          method: 'POST',
          url: `/posts/${slug}/comments`,
          remoteAddress: '10.3.3.3',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({ name: payload.slice(0, 100), email: `p${index}@example.org`, body: payload }).toString(),
        });
        expect([303, 422]).toContain(again.statusCode);
      } else {
        expect(res.statusCode).toBe(303);
      }
      const problems = findExecutable(pages[0]!);
      if (problems.length) failures.push(`#${index + 1} (form page): ${problems.join(', ')}`);
    }
    const page = await t.app.inject(`/posts/${slug}`);
    const pageProblems = findExecutable(page.body);
    const api = (await t.app.inject(`/api/v1/posts/${slug}`)).json() as { comments: { html: string; author_name: string }[] };
    const apiProblems = api.comments.flatMap((c) => findExecutable(c.html));
    expect(api.comments.length).toBeGreaterThan(100);
    expect([...failures, ...pageProblems, ...apiProblems]).toEqual([]);
  });
});
