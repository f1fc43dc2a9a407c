/**
 * Accessibility in a real browser: axe-core (WCAG 2.0–2.2 A and AA, plus axe's best
 * practices) on the home page, a post with a five-level thread, the same post with a form
 * error, the sign-in page, the editor and the moderation queue; each in light and dark
 * colour schemes at 1280 px and light at 375 px. None may have a serious or critical
 * violation. Also: errors announced and linked to their fields, the deep thread readable
 * on a phone, and screenshots of the thread for people to look at.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  RICH_BODY,
  commentIdFromUrl,
  completeSetup,
  describeViolations,
  fillComment,
  horizontalOverflow,
  launchBrowser,
  openSession,
  publishPost,
  runAxe,
  screenshot,
  screenshotDir,
  sendComment,
  setDiscussion,
  startServer,
  type AxeSummary,
  type Server,
  type Session,
} from './support.js';

// The code page.evaluate runs in the browser sees these; the DOM lib is not loaded for the
// whole project (it would retype Node's globals), so they are declared here, in this module only.
declare const document: any;

type Variant = { name: string; width: 375 | 1280; scheme: 'light' | 'dark' };
const VARIANTS: Variant[] = [
  { name: 'light 1280', width: 1280, scheme: 'light' },
  { name: 'dark 1280', width: 1280, scheme: 'dark' },
  { name: 'light 375', width: 375, scheme: 'light' },
];
const HEIGHT = { 375: 812, 1280: 900 } as const;

const people = {
  alice: { name: 'Alice Patron', email: 'alice@patrons.example' },
  bob: { name: 'Bob Reader', email: 'bob@patrons.example' },
  carol: { name: 'Carol Ng', email: 'carol@patrons.example', url: 'https://carol.example.org' },
  dan: { name: 'Dan Student', email: 'dan@patrons.example' },
};

describe('accessibility and the deep thread', () => {
  let server: Server;
  let browser: Browser;
  let staff: Session;
  /** Alice's browser: she also has comments held for moderation, shown only to her. */
  let patron: Session;
  let visitor: Session;
  let postPath = '';
  const ids: Record<string, number> = {};
  const results: { page: string; variant: string; summary: AxeSummary }[] = [];

  async function comment(session: Session, who: { name: string; email: string; url?: string }, body: string, parent?: number): Promise<number> {
    const { page } = session;
    await page.goto(server.origin + postPath + (parent ? `?replytocom=${parent}#respond` : '#respond'));
    await fillComment(page, { ...who, body });
    await sendComment(page);
    return commentIdFromUrl(page.url());
  }

  /** axe on the page in each variant; collects the results and fails on serious or critical. */
  async function audit(name: string, page: Page): Promise<void> {
    const bad: string[] = [];
    for (const v of VARIANTS) {
      await page.setViewportSize({ width: v.width, height: HEIGHT[v.width] });
      await page.emulateMedia({ colorScheme: v.scheme });
      const summary = await runAxe(page);
      results.push({ page: name, variant: v.name, summary });
      const severe = summary.violations.filter((x) => x.impact === 'serious' || x.impact === 'critical');
      if (severe.length) bad.push(`${v.name}:\n${describeViolations(severe)}`);
      if (v.width === 375) expect(await horizontalOverflow(page), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: HEIGHT[1280] });
    await page.emulateMedia({ colorScheme: 'light' });
    expect(bad, `serious or critical axe violations on ${name}`).toEqual([]);
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    staff = await openSession(browser, server, { width: 1280 });
    patron = await openSession(browser, server, { width: 1280 });
    visitor = await openSession(browser, server, { width: 1280 });
    await completeSetup(staff.page, server);
    // Everyone's first comment goes straight in while the thread is built, then all are held.
    await setDiscussion(staff.page, server, { moderation: 'none', ratePerMinute: 1000 });
    postPath = await publishPost(staff.page, server, { title: 'What makes good customer service?', body: RICH_BODY, categories: 'Service', tags: 'people' });

    ids.c1 = await comment(patron, people.alice, 'Someone who **listens** first, then helps. What do others think?');
    ids.c2 = await comment(patron, people.bob, 'Agreed. And who follows up later, like the *reference desk* does.', ids.c1);
    ids.c3 = await comment(patron, people.alice, '> who follows up later\n\nYes! A phone call a week later made my day. Here is the [survey](https://library.example/survey).', ids.c2);
    ids.c4 = await comment(staff, { name: '', email: '' }, 'Thank you both: we will add follow-up calls to the desk routine.', ids.c3);
    ids.c5 = await comment(patron, people.carol, 'Five levels deep and still readable on my phone. A_very_long_unbroken_word_like_a_catalogue_reference_QA76.73.J38_2024 wraps too.', ids.c4);
    ids.c6 = await comment(patron, people.bob, 'A reply to the deepest comment sits beside it, at the same level.', ids.c5);
    ids.c7 = await comment(patron, people.dan, 'A second thread: `opening hours` on Sundays, please.');
    await setDiscussion(staff.page, server, { moderation: 'all' });
    ids.held1 = await comment(patron, people.alice, 'This reply waits for a moderator.', ids.c5);
    ids.held2 = await comment(patron, people.dan, 'Two links get held: [one](https://a.example) and [two](https://b.example).');
  });

  afterAll(async () => {
    if (results.length) {
      const rows = results.map((r) => ({ page: r.page, variant: r.variant, ...r.summary.counts, rules: r.summary.violations.map((v) => `${v.id}(${v.impact})`).join(' ') }));
      console.log('axe-core results (violations by impact):');
      console.table(rows);
      writeFileSync(join(screenshotDir, 'axe-summary.json'), JSON.stringify(rows, null, 2));
    }
    const foreign = [staff, patron, visitor].filter(Boolean).flatMap((s) => s.foreignRequests());
    for (const s of [staff, patron, visitor]) await s?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    expect(foreign, 'requests to other hosts').toEqual([]);
  });

  test('the thread nests five levels deep and a reply to the deepest sits beside it', async () => {
    const { page } = visitor;
    await page.goto(server.origin + postPath);
    const depthOf = (id: number) => page.locator(`#comment-${id}`).evaluate((el) => {
      let depth = 0;
      for (let n: any = el; n; n = n.parentElement) if (n.matches('li.comment')) depth++;
      return depth;
    });
    await expect(depthOf(ids.c1!)).resolves.toBe(1);
    await expect(depthOf(ids.c5!)).resolves.toBe(5);
    await expect(depthOf(ids.c6!)).resolves.toBe(5);
    await expect(page.locator(`#comment-${ids.c4} > ol.children > #comment-${ids.c6}`).count()).resolves.toBe(1);
    await expect(page.locator(`#comment-${ids.c4} .badge`).first().innerText()).resolves.toMatch(/staff/i);
    await expect(page.locator('#comments-title').innerText()).resolves.toContain('7 Responses');
    // Held comments are not shown to other people.
    await expect(page.locator('.comment--pending').count()).resolves.toBe(0);
  });

  test('at 375 px the fifth level keeps most of the screen, nothing scrolls sideways', async () => {
    const { page } = patron;
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(server.origin + postPath);
    const deepest = page.locator(`#comment-${ids.c5} > .comment__inner .comment__body`);
    const box = await deepest.boundingBox();
    expect(box, 'the depth-5 comment body is on screen').not.toBeNull();
    // 375 px less the page margins: a fifth-level comment still gets about two thirds of it.
    expect(box!.width).toBeGreaterThanOrEqual(240);
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    // Her held reply shows, marked, inside the deep thread.
    const held = page.locator(`#comment-${ids.held1}`);
    await expect(held.locator('.comment__pending-note').innerText()).resolves.toContain('awaiting moderation');
    await screenshot(page, 'post-deep-thread-375');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'post-deep-thread-375-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'post-deep-thread-1280');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'post-deep-thread-1280-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('axe: home page', async () => {
    await visitor.page.goto(server.origin + '/');
    await screenshot(visitor.page, 'home-1280-a11y');
    await audit('home', visitor.page);
  });

  test('axe: post with a deep thread and held comments', async () => {
    await patron.page.goto(server.origin + postPath);
    await audit('post (deep thread)', patron.page);
  });

  test('axe: post with a form error (JavaScript off, empty comment → 422)', async () => {
    const nojs = await openSession(browser, server, { width: 1280, js: false });
    try {
      const { page } = nojs;
      await page.goto(server.origin + postPath);
      await page.locator('#respond').getByLabel('Name *').fill(people.dan.name);
      const [response] = await Promise.all([page.waitForNavigation(), page.locator('#respond').getByRole('button', { name: 'Post Comment' }).click()]);
      expect(response?.status()).toBe(422);
      // Announced: the summary is an alert and has the focus (autofocus works without script).
      const summary = page.locator('#error-summary');
      await expect(summary.getAttribute('role')).resolves.toBe('alert');
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('error-summary');
      await expect(page.title()).resolves.toMatch(/^Error: /);
      // Linked: each summary entry points at its field; each field names its error.
      const links = await summary.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      expect(links).toEqual(['#email', '#body']);
      for (const field of ['email', 'body']) {
        const input = page.locator(`#respond #${field}`);
        await expect(input.getAttribute('aria-invalid')).resolves.toBe('true');
        await expect(input.getAttribute('aria-describedby')).resolves.toContain(`${field}-error`);
        await expect(page.locator(`#${field}-error`).innerText()).resolves.not.toBe('');
      }
      // Kept: what she typed is still there.
      await expect(page.locator('#respond #name').inputValue()).resolves.toBe(people.dan.name);
      await expect(page.locator('#respond #name').getAttribute('aria-invalid')).resolves.toBeNull();
      await screenshot(page, 'post-form-error-1280');
      const html = await page.content();
      const url = page.url();

      // axe needs script, so a scripted tab renders exactly the markup the script-less one got.
      const { page: audited } = visitor;
      await audited.route(url, (route) => route.fulfill({ status: 422, contentType: 'text/html; charset=utf-8', body: html }));
      await audited.goto(url);
      await expect(audited.locator('#error-summary').count()).resolves.toBe(1);
      await audit('post (form error, no JS)', audited);
      await audited.unroute(url);
    } finally {
      await nojs.close();
    }
  });

  test('axe: sign-in page', async () => {
    const { page } = visitor;
    await page.goto(server.origin + '/admin/login');
    await audit('sign in', page);
    // And with a failed attempt's message.
    await page.getByLabel('Username').fill('nobody');
    await page.getByLabel('Password').fill('wrong password here');
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    await expect(page.getByRole('alert').innerText()).resolves.toContain('do not match');
    await audit('sign in (error)', page);
  });

  test('axe: editor with its live preview', async () => {
    const { page } = staff;
    await page.goto(server.origin + '/admin/posts/new');
    await page.getByLabel('Title', { exact: true }).fill('Draft: Sunday opening');
    await page.getByLabel(/^Body/).fill(RICH_BODY);
    await page.locator('#preview-body table').waitFor();
    await audit('editor', page);
  });

  test('axe: moderation queue', async () => {
    const { page } = staff;
    await page.goto(server.origin + '/admin/comments?status=pending');
    await expect(page.locator('.queue__item').count()).resolves.toBe(2);
    await expect(page.locator(`#q-${ids.held2} .queue__reasons`).innerText()).resolves.toMatch(/2 links/);
    await page.keyboard.press('j');
    await screenshot(page, 'queue-1280-a11y');
    await audit('moderation queue', page);
  });
});
