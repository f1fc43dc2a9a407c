/**
 * The whole life of a post, as the people who use Lectern go through it, in a real browser:
 * first-run setup, writing and publishing a post, a patron commenting and being held, the
 * held comment visible to its author only, a moderator approving it from the queue by
 * keyboard alone, the thread appearing, and replies. journey.e2e.ts runs it with
 * JavaScript on, journey-nojs.e2e.ts with JavaScript off; each at 375 and 1280 px wide.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  ADMIN,
  RICH_BODY,
  WIDTHS,
  commentIdFromUrl,
  completeSetup,
  fillComment,
  horizontalOverflow,
  launchBrowser,
  openSession,
  screenshot,
  screenshotDir,
  sendComment,
  startServer,
  type Server,
  type Session,
  type Width,
} from './support.js';

// The code page.evaluate runs in the browser sees these; the DOM lib is not loaded for the
// whole project (it would retype Node's globals), so they are declared here, in this module only.
declare const document: any, getComputedStyle: any;

const TITLE = 'The reading room reopens';
const ALICE = { name: 'Alice Patron', email: 'alice@patrons.example', body: 'Will the **group rooms** be free to book?' };
const BOB = { name: 'Bob Reader', email: 'bob@patrons.example', body: 'I would like to know that too.' };
const ALICE_AGAIN = { ...ALICE, body: 'Found it: they are free. Thanks!' };

export function journey(js: boolean): void {
  const mode = js ? 'js' : 'nojs';

  describe.each(WIDTHS)(`with JavaScript ${js ? 'on' : 'off'} at %i px`, (width: Width) => {
    let server: Server;
    let browser: Browser;
    /** The librarian: setup, editor, moderation. */
    let staff: Session;
    /** Alice, a patron who comments without an account. */
    let alice: Session;
    /** Bob, another patron in another browser: he must not see Alice's held comment. */
    let bob: Session;
    let postPath = '';
    let aliceCommentId = 0;
    let bobReplyId = 0;

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

    const sessions = () => [staff, alice, bob].filter(Boolean);
    const url = (path: string) => server.origin + path;
    const expectFits = async (page: Page) => {
      if (width === 375) expect(await horizontalOverflow(page), `${page.url()} scrolls sideways at 375 px`).toBeLessThanOrEqual(0);
    };

    beforeAll(async () => {
      [server, browser] = await Promise.all([startServer(), launchBrowser()]);
      staff = await openSession(browser, server, { width, js });
      alice = await openSession(browser, server, { width, js });
      bob = await openSession(browser, server, { width, js });
    });

    afterAll(async () => {
      for (const s of sessions()) await s.close().catch(() => {});
      await browser?.close();
      await server?.stop();
    });

    step('first-run setup in the browser creates the administrator and signs them in', async () => {
      const { page } = staff;
      await page.goto(url('/'));
      await expect(page.locator('.empty').innerText()).resolves.toContain('Nothing has been published yet');
      await completeSetup(page, server);
      await expect(page.locator('h1').innerText()).resolves.toBe('Dashboard');
      await expect(page.locator('.notice').innerText()).resolves.toContain('Your account is ready');
      await expect(page.locator('.admin-logout').innerText()).resolves.toContain(`${ADMIN.displayName} (admin)`);
      // Setup happens once: afterwards /admin/setup is gone.
      const again = await page.goto(url('/admin/setup'));
      expect(again?.status()).toBe(404);
    });

    step('writing and publishing a post through the editor, with its preview', async () => {
      const { page } = staff;
      await page.goto(url('/admin'));
      await Promise.all([page.waitForURL('**/admin/posts/new'), page.getByRole('link', { name: 'Write a post' }).click()]);
      await page.getByLabel('Title', { exact: true }).fill(TITLE);
      const body = page.getByLabel(/^Body/);
      await body.fill(RICH_BODY);
      const preview = page.locator('#preview');
      if (js) {
        // editor.js renders the preview as the body changes, without leaving the page.
        await preview.waitFor({ state: 'visible' });
        await page.locator('#preview-body table').waitFor();
      } else {
        // Without script the Preview button re-renders the page with the preview and keeps the text.
        await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Preview' }).click()]);
        await preview.waitFor({ state: 'visible' });
        await expect(body.inputValue()).resolves.toBe(RICH_BODY);
        await expect(page.getByLabel('Title', { exact: true }).inputValue()).resolves.toBe(TITLE);
      }
      await expect(preview.locator('h2', { hasText: 'What changes' }).count()).resolves.toBe(1);
      await expect(preview.locator('#preview-body li').count()).resolves.toBe(3);
      await expect(preview.locator('#preview-body pre code').innerText()).resolves.toContain('Reading room: second floor');
      await expectFits(page);

      await page.getByLabel(/^Categories/).fill('News');
      await page.getByLabel(/^Tags/).fill('reading room, opening hours');
      await Promise.all([page.waitForURL(/\/admin\/posts\/\d+\/edit\?saved=published$/), page.getByRole('button', { name: 'Publish now' }).click()]);
      await expect(page.locator('.notice').innerText()).resolves.toContain('Saved: published');

      await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'View it' }).click()]);
      postPath = new URL(page.url()).pathname;
      expect(postPath).toBe('/posts/the-reading-room-reopens');
      const post = page.locator('article.post');
      await expect(post.locator('h1').innerText()).resolves.toBe(TITLE);
      await expect(post.locator('.post__body h2').innerText()).resolves.toBe('What changes');
      await expect(post.locator('.post__body ul > li').allInnerTexts()).resolves.toEqual(['Quiet study from 8 am', 'Group rooms by booking', 'Free wifi guide at the desk']);
      await expect(post.locator('.post__body a', { hasText: 'wifi guide' }).getAttribute('href')).resolves.toBe('/pages/wifi');
      await expect(post.locator('.post__body table th').allInnerTexts()).resolves.toEqual(['Day', 'Opens', 'Closes']);
      await expect(post.locator('.post__body table td').first().innerText()).resolves.toBe('Monday');
      await expect(post.locator('.post__body pre code').innerText()).resolves.toContain('Reading room: second floor, east wing');
      await expect(post.locator('.post-terms a[rel~="category"]').innerText()).resolves.toBe('News');
      await expectFits(page);
    });

    step('a patron comments; the held comment is marked and visible to its author only', async () => {
      const { page } = alice;
      await page.goto(url('/'));
      await expectFits(page);
      if (js) await screenshot(page, `home-${width}`);
      await Promise.all([page.waitForURL(`**${postPath}`), page.locator('.post-summary__title a', { hasText: TITLE }).click()]);
      await expect(page.locator('#comments-title').innerText()).resolves.toContain('0 Responses');
      await fillComment(page, ALICE);
      await sendComment(page);
      expect(page.url()).toMatch(new RegExp(`${postPath}\\?held=\\d+#comment-\\d+$`));
      aliceCommentId = commentIdFromUrl(page.url());
      const mine = page.locator(`#comment-${aliceCommentId}`);
      await expect(mine.getAttribute('class')).resolves.toContain('comment--pending');
      await expect(mine.locator('.comment__pending-note').innerText()).resolves.toContain('Your comment is awaiting moderation');
      await expect(mine.locator('.comment__body strong').innerText()).resolves.toBe('group rooms');
      // The "awaiting moderation" state is visible, not only announced: a dashed outline.
      await expect(mine.evaluate((el) => getComputedStyle(el).outlineStyle)).resolves.toBe('dashed');
      // A held comment offers no Reply link, and still counts for nothing.
      await expect(mine.locator('.comment__reply').count()).resolves.toBe(0);
      await expect(page.locator('#comments-title').innerText()).resolves.toContain('0 Responses');
      await expectFits(page);

      // Another browser, another person: nothing there.
      await bob.page.goto(url(postPath));
      await expect(bob.page.locator(`#comment-${aliceCommentId}`).count()).resolves.toBe(0);
      await expect(bob.page.locator('.comment').count()).resolves.toBe(0);
      await expect(bob.page.getByText('awaiting moderation').count()).resolves.toBe(0);
      // Alice sees it again on her next visit (her browser remembers it).
      await page.goto(url(postPath));
      await expect(page.locator(`#comment-${aliceCommentId} .comment__pending-note`).count()).resolves.toBe(1);
    });

    step('a moderator approves it from the queue by keyboard alone', async () => {
      const { page } = staff;
      await page.goto(url('/admin'));
      await Promise.all([page.waitForURL('**/admin/comments?status=pending'), page.getByRole('link', { name: /1 comment awaiting moderation/ }).click()]);
      const item = page.locator(`#q-${aliceCommentId}`);
      await expect(item.locator('.queue__who').innerText()).resolves.toContain(ALICE.name);
      await expect(item.locator('.queue__reasons').innerText()).resolves.toContain('first-time');
      await expect(item.locator('.queue__where').innerText()).resolves.toContain(TITLE);
      await expectFits(page);
      if (js) await screenshot(page, `queue-${width}`);

      // Start from the page itself, as after the skip link, so nothing is focused yet.
      await page.locator('body').focus().catch(() => {});
      if (js) {
        // moderation.js: j moves to the next comment, a approves it.
        await page.keyboard.press('j');
        await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe(`q-${aliceCommentId}`);
        await expect(item.getAttribute('class')).resolves.toContain('queue__item--current');
        await Promise.all([page.waitForNavigation(), page.keyboard.press('a')]);
      } else {
        // Without script: Tab to the comment's Approve button and press Enter.
        const approve = item.getByRole('button', { name: /^Approve comment by/ });
        let reached = false;
        for (let i = 0; i < 80 && !reached; i++) {
          await page.keyboard.press('Tab');
          reached = await approve.evaluate((el) => el === document.activeElement);
        }
        expect(reached, 'the Approve button can be reached with Tab').toBe(true);
        await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
      }
      // Back on the same tab, told what happened, with the action offered for undo.
      const after = new URL(page.url()).searchParams;
      expect(after.get('status')).toBe('pending');
      expect(after.get('undo')).toMatch(/^[0-9a-f-]{36}$/);
      await expect(page.locator('.queue__undo').innerText()).resolves.toMatch(/Approved[\s\S]*Undo/);
      await expect(page.locator('.queue__item').count()).resolves.toBe(0);
      await expect(page.locator('.empty').innerText()).resolves.toContain('Nothing is waiting');
      await expect(page.locator('.tabs a', { hasText: 'Approved' }).innerText()).resolves.toContain('(1)');
    });

    step('the approved comment appears in the thread for everyone', async () => {
      for (const { page } of [bob, alice]) {
        await page.goto(url(postPath));
        const comment = page.locator(`#comment-${aliceCommentId}`);
        await expect(comment.locator('.comment__author').innerText()).resolves.toContain(ALICE.name);
        await expect(comment.getAttribute('class')).resolves.not.toContain('comment--pending');
        await expect(comment.locator('.comment__pending-note').count()).resolves.toBe(0);
        await expect(page.locator('#comments-title').innerText()).resolves.toBe(`1 Response to “${TITLE}”`);
      }
      await alice.page.goto(url('/'));
      await expect(alice.page.locator('.post-summary__more').innerText()).resolves.toContain('1 Response');
    });

    step(`another patron replies (${js ? 'the form moves under the comment' : '?replytocom'}); his held reply shows to him only`, async () => {
      const { page } = bob;
      await page.goto(url(postPath));
      const reply = page.locator(`#comment-${aliceCommentId} .comment__reply a`);
      await expect(reply.getAttribute('aria-label')).resolves.toBe(`Reply to ${ALICE.name}`);
      if (js) {
        // comments.js: Reply opens the form right under the comment, without a page load.
        const before = page.url();
        await reply.click();
        expect(page.url()).toBe(before);
        await expect(page.locator(`#comment-${aliceCommentId} > #respond`).count()).resolves.toBe(1);
        await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('body');
        await expectFits(page);
        await page.locator('#respond').screenshot({ path: join(screenshotDir, `reply-in-place-${width}.png`) });
      } else {
        await Promise.all([page.waitForURL(`**${postPath}?replytocom=${aliceCommentId}#respond`), reply.click()]);
        await expect(page.locator('.comment-form__replying').innerText()).resolves.toContain(`${ALICE.name}’s comment`);
      }
      await expect(page.locator('#reply-title').innerText()).resolves.toBe(`Reply to ${ALICE.name}`);
      await expect(page.locator('#respond input[name="parent_id"]').inputValue()).resolves.toBe(String(aliceCommentId));
      await fillComment(page, BOB);
      await sendComment(page);
      bobReplyId = commentIdFromUrl(page.url());
      expect(page.url()).toContain(`?held=${bobReplyId}`);
      const held = page.locator(`#comment-${aliceCommentId} > ol.children > #comment-${bobReplyId}`);
      await expect(held.locator('.comment__pending-note').innerText()).resolves.toContain('awaiting moderation');
      await expectFits(page);

      await alice.page.goto(url(postPath));
      await expect(alice.page.locator(`#comment-${bobReplyId}`).count()).resolves.toBe(0);
    });

    step('a patron with an approved comment replies and appears in the thread at once', async () => {
      const { page } = alice;
      await page.goto(url(postPath));
      // The form remembered nothing (she did not tick "remember"), so she types her details again.
      if (js) {
        await page.locator(`#comment-${aliceCommentId} .comment__reply a`).click();
        // Cancel puts the form back at the end, replying to nobody; Reply again reopens it.
        await page.getByRole('button', { name: 'Cancel reply' }).click();
        await expect(page.locator('#comments > #respond').count()).resolves.toBe(1);
        await expect(page.locator('#respond input[name="parent_id"]').inputValue()).resolves.toBe('');
        await expect(page.locator('#reply-title').innerText()).resolves.toBe('Leave a Reply');
        await page.locator(`#comment-${aliceCommentId} .comment__reply a`).click();
      } else {
        await Promise.all([page.waitForNavigation(), page.locator(`#comment-${aliceCommentId} .comment__reply a`).click()]);
      }
      await fillComment(page, ALICE_AGAIN);
      await sendComment(page);
      expect(page.url()).not.toContain('held=');
      const id = commentIdFromUrl(page.url());
      const nested = page.locator(`#comment-${aliceCommentId} > ol.children > #comment-${id}`);
      await expect(nested.locator('.comment__body').innerText()).resolves.toBe(ALICE_AGAIN.body);
      await expect(nested.locator('.comment__pending-note').count()).resolves.toBe(0);
      await expect(page.locator('#comments-title').innerText()).resolves.toContain('2 Responses');
      await expectFits(page);
      if (js) await screenshot(page, `post-thread-${width}`);

      // Bob sees Alice's new reply beside his own held one, which he alone sees.
      await bob.page.goto(url(postPath));
      await expect(bob.page.locator(`#comment-${aliceCommentId} > ol.children > .comment`).count()).resolves.toBe(2);
      await staff.page.goto(url(postPath));
      await expect(staff.page.locator(`#comment-${bobReplyId}`).count()).resolves.toBe(0);
    });

    step('no page asked any host but the server for anything', () => {
      const all = sessions().flatMap((s) => s.requests);
      expect(all.length).toBeGreaterThan(20);
      // Stylesheets, the favicon, avatars and (with script) the editor's preview all came from the server.
      expect(all.some((r) => r.url.endsWith('/static/css/site.css'))).toBe(true);
      expect(all.some((r) => r.url.includes('/avatars/'))).toBe(true);
      if (js) expect(all.some((r) => r.url.endsWith('/admin/preview') && r.method === 'POST')).toBe(true);
      const foreign = sessions().flatMap((s) => s.foreignRequests());
      expect(foreign, `requests to other hosts (${mode}, ${width} px)`).toEqual([]);
    });
  });
}
