/**
 * The default theme in a real browser: site name, tagline and logo set in the admin
 * settings; the header's navigation; dark mode by prefers-color-scheme; print styles; the
 * skip link and a visible focus ring, with and without JavaScript.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import {
  RICH_BODY,
  completeSetup,
  launchBrowser,
  logoPng,
  openSession,
  publishPost,
  runAxe,
  describeViolations,
  screenshot,
  startServer,
  type Server,
  type Session,
} from './support.js';

// The code page.evaluate runs in the browser sees these; the DOM lib is not loaded for the
// whole project (it would retype Node's globals), so they are declared here, in this module only.
declare const document: any, getComputedStyle: any;

/** Relative luminance of a CSS rgb()/rgba() colour, 0 (black) to 1 (white). */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
}

const NAME = 'Riverside Library';
const TAGLINE = 'Books, talks and conversation by the river';

describe('the default theme', () => {
  let server: Server;
  let browser: Browser;
  let staff: Session;
  let reader: Session;
  let postPath = '';
  const sessions: Session[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(), launchBrowser()]);
    staff = await openSession(browser, server, { width: 1280 });
    reader = await openSession(browser, server, { width: 375 });
    sessions.push(staff, reader);
    await completeSetup(staff.page, server);
    postPath = await publishPost(staff.page, server, { title: 'Story time moves to Saturdays', body: RICH_BODY, categories: 'Events' });
    // A second post, so the first has a "Next post" link.
    await publishPost(staff.page, server, { title: 'Holiday opening hours', body: 'We close at **4 pm** on 24 December.', categories: 'News' });
  });

  afterAll(async () => {
    const foreign = sessions.flatMap((s) => s.foreignRequests());
    for (const s of sessions) await s.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    expect(foreign, 'requests to other hosts').toEqual([]);
  });

  test('site name, tagline and an uploaded logo are set in Settings and shown in the header', async () => {
    const { page } = staff;
    // Upload an image the way staff do: "Add an image" in the editor.
    await page.goto(server.origin + '/admin/posts/new');
    await page.getByLabel(/^Image \(PNG/).setInputFiles({ name: 'riverside-logo.png', mimeType: 'image/png', buffer: logoPng() });
    await page.locator('#upload-form').getByRole('button', { name: 'Upload' }).click();
    await page.getByText('Image uploaded and added to the body').waitFor();

    await page.goto(server.origin + '/admin/settings');
    const logo = page.getByLabel(/^Logo/);
    const options = await logo.locator('option').allInnerTexts();
    expect(options[0]).toBe('No logo');
    expect(options.some((o) => o.startsWith('riverside-logo.png (/uploads/'))).toBe(true);
    await logo.selectOption({ index: 1 });
    await page.getByLabel('Site name', { exact: true }).fill(NAME);
    await page.getByLabel('Tagline').fill(TAGLINE);
    await Promise.all([page.waitForURL('**/admin/settings?saved=1'), page.getByRole('button', { name: 'Save settings' }).click()]);
    await expect(page.locator('.notice').innerText()).resolves.toContain('Settings saved');
    await expect(page.locator('img.logo-preview').getAttribute('src')).resolves.toMatch(/^\/uploads\/\d{4}\/\d{2}\/[0-9a-f]+\.png$/);

    for (const { page: p } of [staff, reader]) {
      await p.goto(server.origin + '/');
      const title = p.locator('.site-title a');
      await expect(title.innerText()).resolves.toBe(NAME);
      await expect(p.locator('.site-tagline').innerText()).resolves.toBe(TAGLINE);
      const img = title.locator('img.site-logo');
      await expect(img.getAttribute('src')).resolves.toMatch(/^\/uploads\//);
      // Decorative: the link's name is the site name beside it.
      await expect(img.getAttribute('alt')).resolves.toBe('');
      await expect(img.evaluate((el: any) => el.complete && el.naturalWidth)).resolves.toBe(96);
      const box = await img.boundingBox();
      expect(box!.height).toBeLessThanOrEqual(48);
      await expect(p.title()).resolves.toBe(NAME);
    }
    await screenshot(reader.page, 'home-logo-375');
  });

  test('a logo that is not an uploaded image is refused and nothing is saved', async () => {
    const { page } = staff;
    for (const forged of ['https://cdn.example/logo.png', '/uploads/../lectern.db', '/uploads/2020/01/missing.png', '//evil.example/x.png']) {
      await page.goto(server.origin + '/admin/settings');
      // A hand-made form: the select only offers uploads.
      await page.locator('#logo_url').evaluate((el: any, value: string) => {
        const option = document.createElement('option');
        option.value = value;
        option.textContent = value;
        el.append(option);
        el.value = value;
      }, forged);
      const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save settings' }).click()]);
      expect(response?.status(), forged).toBe(422);
      await expect(page.locator('#logo_url-error').innerText()).resolves.toContain('Choose one of the images uploaded');
      await expect(page.locator('#error-summary a[href="#logo_url"]').count()).resolves.toBe(1);
      await expect(page.locator('#logo_url').getAttribute('aria-invalid')).resolves.toBe('true');
      // What was sent is kept in the form, and the rest of the form too.
      await expect(page.locator('#logo_url').inputValue()).resolves.toBe(forged);
      await expect(page.getByLabel('Site name', { exact: true }).inputValue()).resolves.toBe(NAME);
    }
    const summary = await runAxe(page);
    const severe = summary.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(severe, describeViolations(severe)).toEqual([]);
    await reader.page.goto(server.origin + '/');
    await expect(reader.page.locator('img.site-logo').getAttribute('src')).resolves.toMatch(/^\/uploads\/\d{4}\//);

    // "No logo" takes it away again.
    await page.goto(server.origin + '/admin/settings');
    await page.getByLabel(/^Logo/).selectOption('');
    await Promise.all([page.waitForURL('**/admin/settings?saved=1'), page.getByRole('button', { name: 'Save settings' }).click()]);
    await reader.page.goto(server.origin + '/');
    await expect(reader.page.locator('img.site-logo').count()).resolves.toBe(0);
  });

  test('the header links home, the archive, search and the feed, and each answers', async () => {
    const { page } = reader;
    await page.goto(server.origin + postPath);
    const nav = page.getByRole('navigation', { name: 'Site' });
    const links = await nav.locator('a').evaluateAll((as) => as.map((a) => [a.textContent?.trim(), a.getAttribute('href')]));
    expect(links).toEqual(expect.arrayContaining([['Home', '/'], ['Archive', '/archive'], ['Search', '/search'], ['Feed', '/feed.xml']]));
    for (const [, href] of links) {
      const res = await page.request.get(server.origin + href!);
      expect(res.status(), href!).toBe(200);
    }
    // The post's category is a link to its listing.
    await Promise.all([page.waitForURL('**/category/events'), page.locator('.post-terms a[rel~="category"]').click()]);
    await expect(page.locator('h1').innerText()).resolves.toBe('Posts in Events');
    // The search box in the header finds the post.
    await page.getByRole('searchbox', { name: 'Search this site' }).fill('Saturdays');
    await Promise.all([page.waitForURL('**/search?q=Saturdays'), page.getByRole('searchbox', { name: 'Search this site' }).press('Enter')]);
    await expect(page.locator('.search-results').innerText()).resolves.toContain('Story time moves to Saturdays');
  });

  test('dark mode follows prefers-color-scheme; print hides the chrome', async () => {
    const { page } = reader;
    await page.goto(server.origin + postPath);
    const colours = () => page.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor, fg: getComputedStyle(document.body).color }));
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await colours();
    expect(luminance(light.bg)).toBeGreaterThan(0.8);
    expect(luminance(light.fg)).toBeLessThan(0.05);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await colours();
    expect(luminance(dark.bg)).toBeLessThan(0.05);
    expect(luminance(dark.fg)).toBeGreaterThan(0.7);
    await screenshot(page, 'post-375-dark');
    await expect(page.getByRole('navigation', { name: 'Older and newer posts' }).innerText()).resolves.toContain('Holiday opening hours');
    const summary = await runAxe(page);
    const severe = summary.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(severe, describeViolations(severe)).toEqual([]);

    // Print: white paper, the article and its thread; no navigation, search or forms.
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    const printed = await page.evaluate(() => {
      const shown = (sel: string) => {
        const el = document.querySelector(sel);
        return el ? getComputedStyle(el).display !== 'none' : null;
      };
      return {
        bg: getComputedStyle(document.body).backgroundColor,
        nav: shown('.site-nav'),
        search: shown('.site-search'),
        form: shown('#respond'),
        skip: shown('.skip-link'),
        article: shown('article.post'),
        footer: shown('.site-footer'),
      };
    });
    expect(printed).toEqual({ bg: 'rgb(255, 255, 255)', nav: false, search: false, form: false, skip: false, article: true, footer: false });
    await page.emulateMedia({ media: 'screen', colorScheme: 'light' });
  });

  for (const js of [true, false]) {
    test(`keyboard: the skip link comes first and shows, focus is always visible (JavaScript ${js ? 'on' : 'off'})`, async () => {
      const session = await openSession(browser, server, { width: js ? 1280 : 375, js });
      sessions.push(session);
      const { page } = session;
      await page.goto(server.origin + postPath);
      const focused = () =>
        page.evaluate(() => {
          const el = document.activeElement;
          if (!el) return null;
          const style = getComputedStyle(el);
          const box = el.getBoundingClientRect();
          return { text: el.textContent?.trim() ?? '', id: el.id, tag: el.tagName, outline: style.outlineStyle, width: parseFloat(style.outlineWidth), top: box.top, height: box.height };
        });
      await page.keyboard.press('Tab');
      const skip = await focused();
      expect(skip?.text).toBe('Skip to content');
      expect(skip!.top).toBeGreaterThanOrEqual(0);
      expect(skip!.height).toBeGreaterThan(20);
      expect(skip!.outline).toBe('solid');
      await page.keyboard.press('Enter');
      await expect(focused().then((f) => f?.id)).resolves.toBe('main');
      // From the main content, Tab reaches the first link of the article with a visible ring.
      await page.keyboard.press('Tab');
      const next = await focused();
      expect(next?.tag).toBe('A');
      expect(next?.outline).toBe('solid');
      expect(next!.width).toBeGreaterThanOrEqual(2);
      await screenshot(page, `focus-ring-${js ? 'js' : 'nojs'}`);
    });
  }
});

