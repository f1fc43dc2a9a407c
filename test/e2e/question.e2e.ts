/**
 * Issue 11, tried as a new user would, in a real browser: a librarian asks "What makes good
 * customer service?" in a question post; five patrons answer through the comment form; the
 * librarian approves them in the queue, replies as staff and pins the reply as the official
 * answer, tags the answers with two themes on the themes page; then a reader sees "What you
 * told us" on the post, the summary page, and downloads the CSV. With JavaScript on, at
 * 1280 px (the reader's pages also at 375 px).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  commentIdFromUrl,
  completeSetup,
  describeViolations,
  fillComment,
  horizontalOverflow,
  launchBrowser,
  openSession,
  runAxe,
  screenshot,
  sendComment,
  startServer,
  type Server,
  type Session,
} from './support.js';

const TITLE = 'What makes good customer service?';
const BODY = 'We are planning staff training for the new year. **What makes good customer service** at a library, for you? Tell us below.';
const PATRONS = [
  { name: 'Alice Patron', email: 'alice@patrons.example', body: 'Staff who smile and say hello when I come in.', theme: 'Friendly / smiles' },
  { name: 'Bob Reader', email: 'bob@patrons.example', body: 'Being friendly, even on a busy Saturday morning.', theme: 'Friendly / smiles' },
  { name: 'Chen Wei', email: 'chen@patrons.example', body: 'A warm welcome at the desk makes my day.', theme: 'Friendly / smiles' },
  { name: 'Dana Okafor', email: 'dana@patrons.example', body: 'Someone who listens to the whole question before answering.', theme: 'Listening' },
  { name: 'Eli Novak', email: 'eli@patrons.example', body: 'Listening first, then helping me find the book.', theme: 'Listening' },
];
const REPLY = 'Thank you all! We heard you: a friendly welcome and real listening. Both are now part of our training.';

describe('a question post, from asking to reporting back', () => {
  let server: Server;
  let browser: Browser;
  let staff: Session;
  const others: Session[] = [];
  let postPath = '';
  let postId = 0;
  const answerIds: number[] = [];
  let replyId = 0;

  // Each step builds on the one before: after a failure the rest are skipped, not timed out.
  let broken = '';
  const step = (name: string, fn: () => Promise<void> | void) =>
    test(name, async (ctx) => {
      if (broken) ctx.skip(`an earlier step failed: ${broken}`);
      try {
        await fn();
      } catch (err) {
        broken = name;
        throw err;
      }
    });
  const url = (path: string) => server.origin + path;
  const noSeriousViolations = async (page: Page, label: string) => {
    const axe = await runAxe(page);
    const bad = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad, `${label}:\n${describeViolations(bad)}`).toEqual([]);
  };

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    staff = await openSession(browser, server, { width: 1280 });
  });

  afterAll(async () => {
    for (const s of [staff, ...others].filter(Boolean)) await s.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  step('the librarian sets up the site and writes the question, ticking “This post is a question”', async () => {
    const { page } = staff;
    await completeSetup(page, server);
    await page.goto(url('/admin/posts/new'));
    await page.getByLabel('Title', { exact: true }).fill(TITLE);
    await page.getByLabel(/^Body/).fill(BODY);
    await page.getByLabel('This post is a question').check();
    await Promise.all([page.waitForURL(/\/admin\/posts\/\d+\/edit\?saved=published$/), page.getByRole('button', { name: 'Publish now' }).click()]);
    postId = Number(/\/admin\/posts\/(\d+)\/edit/.exec(page.url())![1]);
    await expect(page.getByLabel('This post is a question').isChecked()).resolves.toBe(true);
    await screenshot(page, 'question-editor-1280');
    await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'View it' }).click()]);
    postPath = new URL(page.url()).pathname;
    expect(postPath).toBe('/posts/what-makes-good-customer-service');
    await expect(page.locator('.question-intro').innerText()).resolves.toMatch(/Question\s+We would like to hear from you: leave your answer below\./i);
    // No staff reply yet: the question waits in the admin filter.
    await page.goto(url('/admin/posts?awaiting=1'));
    await expect(page.locator('.tabs a[aria-current="page"]').innerText()).resolves.toMatch(/Questions awaiting a staff reply\s*\(1\)/);
    await expect(page.locator('tbody tr').first().innerText()).resolves.toContain(TITLE);
  });

  step('five patrons answer through the comment form; each answer is held for moderation', async () => {
    for (const patron of PATRONS) {
      const session = await openSession(browser, server, { width: 1280 });
      others.push(session);
      const { page } = session;
      await page.goto(url(postPath));
      await page.getByRole('link', { name: 'leave your answer below' }).click();
      await fillComment(page, patron);
      await sendComment(page);
      expect(page.url()).toContain('?held=');
      const id = commentIdFromUrl(page.url());
      answerIds.push(id);
      await expect(page.locator(`#comment-${id} .comment__pending-note`).innerText()).resolves.toContain('awaiting moderation');
      await session.close();
    }
    expect(answerIds).toHaveLength(5);
  });

  step('the librarian approves all five in the queue at once', async () => {
    const { page } = staff;
    await page.goto(url('/admin/comments?status=pending'));
    await expect(page.locator('.queue__item').count()).resolves.toBe(5);
    for (const patron of PATRONS) await page.getByLabel(`Select comment by ${patron.name}`).check();
    await page.locator('#bulk_action').selectOption('approved');
    await Promise.all([page.waitForNavigation(), page.locator('#bulk-form').getByRole('button', { name: 'Apply' }).click()]);
    await expect(page.locator('.queue__item').count()).resolves.toBe(0);
    await page.goto(url(postPath));
    await expect(page.locator('#comments-title').innerText()).resolves.toBe(`5 Responses to “${TITLE}”`);
  });

  step('she replies as staff (badged “Library staff”) and pins the reply as the official answer', async () => {
    const { page } = staff;
    await page.goto(url(postPath));
    await page.locator('#respond').getByLabel('Comment *').fill(REPLY);
    await sendComment(page);
    replyId = commentIdFromUrl(page.url());
    const reply = page.locator(`#comment-${replyId}`);
    await expect(reply.locator('.badge--staff').innerText()).resolves.toMatch(/library staff/i);
    // Patrons' answers carry no pin button; the staff reply does.
    await expect(page.locator(`#comment-${answerIds[0]}`).getByRole('button', { name: 'Pin as the official answer' }).count()).resolves.toBe(0);
    await Promise.all([page.waitForNavigation(), reply.getByRole('button', { name: 'Pin as the official answer' }).click()]);
    expect(page.url()).toContain(`${postPath}#comment-${replyId}`);
    const answerBox = page.locator('.official-answer');
    await expect(answerBox.innerText()).resolves.toContain(REPLY);
    await expect(answerBox.locator('.badge--staff').innerText()).resolves.toMatch(/library staff/i);
    await expect(reply.locator('.badge--answer').innerText()).resolves.toMatch(/official answer/i);
    // Answered: the admin filter is empty now.
    await page.goto(url('/admin/posts?awaiting=1'));
    await expect(page.locator('.empty').innerText()).resolves.toContain('No question is waiting');
  });

  step('she tags the answers with two themes on the themes page: three “Friendly / smiles”, two “Listening”', async () => {
    const { page } = staff;
    await page.goto(url(postPath));
    await Promise.all([page.waitForURL(`**/admin/posts/${postId}/themes`), page.getByRole('link', { name: /tag answers with themes/ }).click()]);
    await expect(page.locator('h2', { hasText: 'Approved answers' }).innerText()).resolves.toContain('(6)');
    const created = new Set<string>();
    for (const [i, patron] of PATRONS.entries()) {
      const item = page.locator(`#c-${answerIds[i]}`);
      if (created.has(patron.theme)) {
        await item.getByLabel(patron.theme, { exact: true }).check();
      } else {
        await item.getByLabel(/new theme/i).fill(patron.theme);
        created.add(patron.theme);
      }
      await Promise.all([page.waitForNavigation(), item.getByRole('button', { name: `Add themes to the answer by ${patron.name}` }).click()]);
      await expect(page.locator('.notice').innerText()).resolves.toBe('Themes saved.');
      await expect(page.locator(`#c-${answerIds[i]} .theme-chip`).innerText()).resolves.toContain(patron.theme);
    }
    // An empty tag is refused next to its field, nothing lost.
    const last = page.locator(`#c-${replyId}`);
    await Promise.all([page.waitForNavigation(), last.getByRole('button', { name: /^Add themes to the answer by/ }).click()]);
    await expect(page.locator(`#new-theme-${replyId}-error`).innerText()).resolves.toBe('Choose a theme or write a new one');
    await page.goto(url(`/admin/posts/${postId}/themes`));
    const rows = await page.locator('.themes-table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual(['Friendly / smiles 3 Delete the theme “Friendly / smiles”', 'Listening 2 Delete the theme “Listening”']);
    await noSeriousViolations(page, 'themes page');
    await screenshot(page, 'question-themes-1280');
  });

  for (const width of [1280, 375] as const) {
    step(`a reader sees the official answer and “What you told us” on the post (${width} px)`, async () => {
      const reader = await openSession(browser, server, { width });
      others.push(reader);
      const { page } = reader;
      await page.goto(url(postPath));
      await expect(page.locator('.official-answer').innerText()).resolves.toContain(REPLY);
      const summary = page.locator('.themes-summary');
      await expect(summary.locator('h2').innerText()).resolves.toBe('What you told us');
      const themes = await summary.locator('.theme__name').allInnerTexts();
      expect(themes).toEqual(['Friendly / smiles — 3 mentions', 'Listening — 2 mentions']);
      await expect(summary.locator('.theme').first().locator('.theme__quotes a').allInnerTexts()).resolves.toEqual(PATRONS.slice(0, 3).map((p) => `“${p.body}”`));
      // A quote leads to its comment in the thread.
      await summary.locator(`a[href="#comment-${answerIds[3]}"]`).click();
      expect(page.url()).toContain(`#comment-${answerIds[3]}`);
      if (width === 375) expect(await horizontalOverflow(page), 'the post scrolls sideways at 375 px').toBeLessThanOrEqual(0);
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, `question-post-${width}`);
      if (width === 1280) await noSeriousViolations(page, 'question post');
    });
  }

  step('the summary page lists the themes, and the CSV downloads with the right rows', async () => {
    const reader = await openSession(browser, server, { width: 1280 });
    others.push(reader);
    const { page } = reader;
    await page.goto(url(postPath));
    await Promise.all([page.waitForURL(`**${postPath}/summary`), page.getByRole('link', { name: 'The full summary' }).click()]);
    await expect(page.locator('h1').innerText()).resolves.toBe('What you told us');
    const rows = await page.locator('.theme-table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.replace(/\s+/g, ' ').trim())).toEqual(['Friendly / smiles 3', 'Listening 2']);
    await noSeriousViolations(page, 'summary page');
    await screenshot(page, 'question-summary-1280');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download as a spreadsheet/ }).click()]);
    expect(download.suggestedFilename()).toBe('what-makes-good-customer-service-summary.csv');
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.replace(/^\uFEFF/, '').split('\r\n')).toEqual([
      'Theme,Mentions,Quote 1,Quote 2,Quote 3',
      `Friendly / smiles,3,${PATRONS[0]!.body},"${PATRONS[1]!.body}",${PATRONS[2]!.body}`,
      `Listening,2,${PATRONS[3]!.body},"${PATRONS[4]!.body}"`,
      '',
    ]);
  });

  step('a reader likes an answer: with script the count changes in place, once per browser; without, the form does it', async () => {
    const reader = await openSession(browser, server, { width: 1280 });
    others.push(reader);
    const { page } = reader;
    await page.goto(url(postPath));
    const like = page.locator(`#likes-${answerIds[0]}`);
    const button = like.locator('.like__button');
    await expect(button.getAttribute('aria-pressed')).resolves.toBe('false');
    await button.click();
    await expect.poll(() => like.locator('.like__count').innerText()).toBe('1 person likes this');
    await expect(button.getAttribute('aria-pressed')).resolves.toBe('true');
    expect(new URL(page.url()).pathname, 'the script answered: no page load').toBe(postPath);
    // The page is cached alike for everyone; this browser remembers it pressed the button.
    await page.reload();
    await expect(like.locator('.like__count').innerText()).resolves.toBe('1 person likes this');
    await expect(button.getAttribute('aria-pressed')).resolves.toBe('true');

    const noScript = await openSession(browser, server, { width: 1280, js: false });
    others.push(noScript);
    await noScript.page.goto(url(postPath));
    const other = noScript.page.locator(`#likes-${answerIds[0]}`);
    await Promise.all([noScript.page.waitForNavigation(), other.locator('.like__button').click()]);
    await expect(noScript.page.locator(`#likes-${answerIds[0]} .like__count`).innerText()).resolves.toBe('2 people like this');
    await expect(noScript.page.locator(`#likes-${answerIds[0]} .like__button`).getAttribute('aria-pressed')).resolves.toBe('true');
  });

  step('no page asked any host but the server for anything', () => {
    const foreign = [staff, ...others].flatMap((s) => s.foreignRequests());
    expect(foreign).toEqual([]);
  });
});
