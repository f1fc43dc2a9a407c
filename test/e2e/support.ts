/**
 * Shared machinery for the end-to-end suite: the real server as a child process, Debian's
 * Chromium through playwright-core, a log of every request a page makes, axe-core, and the
 * steps a person takes (setup, writing a post, commenting).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';

// The code page.evaluate runs in the browser sees these; the DOM lib is not loaded for the
// whole project (it would retype Node's globals), so they are declared here, in this module only.
declare const document: any, window: any;

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshotDir = join(repoRoot, 'test/e2e/screenshots');

export const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless, no sandbox (CI runs as root), nothing phoning home (test/e2e/README.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const WIDTHS = [375, 1280] as const;
export type Width = (typeof WIDTHS)[number];
const HEIGHT: Record<Width, number> = { 375: 812, 1280: 900 };

/** The first administrator every file creates through /admin/setup. */
export const ADMIN = { username: 'librarian', displayName: 'Ruth Librarian', email: 'ruth@library.example', password: 'Quill-ledger-brass-4711' };

/* ------------------------------------------------------------------ server */

export interface Server {
  port: number;
  origin: string;
  dataDir: string;
  logs: () => string;
  stop: () => Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `node dist/server/server.bundle.js` (what `npm start` runs) on a free port of 127.0.0.1, with a fresh data directory and
 * NODE_ENV=production, as a site runs; resolves once /healthz answers 200.
 */
export async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lectern-e2e-'));
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'SMTP_URL', 'SECRET_KEY', 'TRUST_PROXY', 'LECTERN_TEST_DATABASE']) delete env[name];
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    BASE_URL: origin,
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${join(dataDir, 'lectern.db')}`,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
  });
  let output = '';
  // With the V8 flags `npm start` uses (package.json config.node_flags).
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { config?: { node_flags?: string } };
  const flags = (pkg.config?.node_flags ?? '').split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...flags, join(repoRoot, 'dist/server/server.bundle.js')], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: number | null = null;
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code ?? -1), r())));

  const stop = async () => {
    if (exited === null) {
      child.kill('SIGTERM');
      const killed = await Promise.race([exit.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null) throw new Error(`the server exited (${exited}) before answering /healthz:\n${output}`);
    try {
      const res = await fetch(`${origin}/healthz`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the server did not answer /healthz within 60 s:\n${output}`);
    }
    await sleep(100);
  }
  return { port, origin, dataDir, logs: () => output, stop };
}

/* ----------------------------------------------------------------- browser */

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
}

export interface LoggedRequest {
  url: string;
  method: string;
  /** The page that made it (its URL when the request started). */
  from: string;
  type: string;
}

export interface Session {
  context: BrowserContext;
  page: Page;
  /** Every request every page of this context made, in order. */
  requests: LoggedRequest[];
  /** The requests that went anywhere but the server under test. */
  foreignRequests: () => LoggedRequest[];
  close: () => Promise<void>;
}

export interface SessionOptions {
  width: Width;
  js?: boolean;
  colorScheme?: 'light' | 'dark';
  /** Only for the axe runs: lets the axe source be added to pages whose CSP forbids it. */
  bypassCSP?: boolean;
}

/** A fresh browser profile (cookies, storage) at one width; every request is logged. */
export async function openSession(browser: Browser, server: Server, options: SessionOptions): Promise<Session> {
  const context = await browser.newContext({
    viewport: { width: options.width, height: HEIGHT[options.width] },
    javaScriptEnabled: options.js ?? true,
    colorScheme: options.colorScheme ?? 'light',
    reducedMotion: 'reduce',
    bypassCSP: options.bypassCSP ?? false,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(20_000);
  const requests: LoggedRequest[] = [];
  const log = (request: Request) => {
    let from = '';
    try {
      from = request.frame().url();
    } catch {
      from = '(service worker)';
    }
    requests.push({ url: request.url(), method: request.method(), from, type: request.resourceType() });
  };
  context.on('request', log);
  const page = await context.newPage();
  return {
    context,
    page,
    requests,
    foreignRequests: () => requests.filter((r) => !isOwn(r.url, server)),
    close: () => context.close(),
  };
}

/** Same scheme, host and port as the server. data: URLs never leave the browser, so they count as its own. */
function isOwn(url: string, server: Server): boolean {
  if (url.startsWith('data:') || url === 'about:blank') return true;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && u.host === `127.0.0.1:${server.port}`;
  } catch {
    return false;
  }
}

/**
 * How far the page is wider than its viewport, in CSS pixels (0: nothing scrolls sideways).
 * Asked of the browser over the DevTools protocol, so it works with JavaScript off too.
 */
export async function horizontalOverflow(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const metrics = await cdp.send('Page.getLayoutMetrics');
    return Math.round(metrics.cssContentSize.width - metrics.cssLayoutViewport.clientWidth);
  } finally {
    await cdp.detach();
  }
}

/** A full-page PNG under test/e2e/screenshots/ (git-ignored), for people to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/* --------------------------------------------------------------------- axe */

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

export interface AxeSummary {
  violations: AxeViolation[];
  counts: Record<'critical' | 'serious' | 'moderate' | 'minor', number>;
  passes: number;
}

/**
 * Runs axe-core on the page as it stands, against WCAG 2.0–2.2 A/AA and axe's best practices.
 * The source goes in through the DevTools protocol (page.evaluate), not a <script> element,
 * so the page's CSP does not have to be relaxed.
 */
export async function runAxe(page: Page): Promise<AxeSummary> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<unknown> } }).axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
      resultTypes: ['violations'],
    }),
  )) as { violations: AxeViolation[]; passes: unknown[] };
  const counts = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of result.violations) if (v.impact) counts[v.impact] += 1;
  return { violations: result.violations, counts, passes: result.passes.length };
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.impact} ${v.id}: ${v.help}\n` + v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}  ${n.failureSummary?.replace(/\n/g, ' ') ?? ''}`).join('\n'))
    .join('\n');
}

/* ------------------------------------------------------------------ people */

/** First run: the setup form, in the browser, then the dashboard. */
export async function completeSetup(page: Page, server: Server): Promise<void> {
  await page.goto(`${server.origin}/admin/login`);
  await page.waitForURL('**/admin/setup');
  await page.getByLabel('Username').fill(ADMIN.username);
  await page.getByLabel('Your name, as readers see it').fill(ADMIN.displayName);
  await page.getByLabel(/^Email/).fill(ADMIN.email);
  await page.getByLabel(/^Password \(at least/).fill(ADMIN.password);
  await page.getByLabel('Password again').fill(ADMIN.password);
  await Promise.all([page.waitForURL('**/admin?welcome=1'), page.getByRole('button', { name: 'Create account and continue' }).click()]);
}

export async function signIn(page: Page, server: Server, username = ADMIN.username, password = ADMIN.password): Promise<void> {
  await page.goto(`${server.origin}/admin/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((url) => url.pathname === '/admin'), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** A post body with each kind of block the issue names. */
export const RICH_BODY = [
  'Our reading room reopens on Monday with longer hours.',
  '',
  '## What changes',
  '',
  '- Quiet study from 8 am',
  '- Group rooms by booking',
  '- Free [wifi guide](/pages/wifi) at the desk',
  '',
  '| Day | Opens | Closes |',
  '| --- | ---: | ---: |',
  '| Monday | 08:00 | 20:00 |',
  '| Saturday | 10:00 | 16:00 |',
  '',
  '```',
  'Reading room: second floor, east wing',
  '```',
  '',
  'Questions? Ask below.',
].join('\n');

export interface CommentInput {
  name: string;
  email: string;
  body: string;
  url?: string;
}

/** Fills the visible comment form (guest fields when present) and sends it. */
export async function fillComment(page: Page, input: CommentInput): Promise<void> {
  const form = page.locator('#respond form');
  if (await form.getByLabel('Name *').count()) {
    await form.getByLabel('Name *').fill(input.name);
    await form.getByLabel('Email *').fill(input.email);
    if (input.url !== undefined) await form.getByLabel('Website', { exact: true }).fill(input.url);
  }
  await form.getByLabel('Comment *').fill(input.body);
}

export async function sendComment(page: Page): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#respond').getByRole('button', { name: 'Post Comment' }).click()]);
}

/** The id a comment link or redirect carries: /posts/x?held=12#comment-12 → 12. */
export function commentIdFromUrl(url: string): number {
  const match = /#comment-(\d+)$/.exec(url);
  if (!match) throw new Error(`no #comment-N in ${url}`);
  return Number(match[1]);
}

/** Seconds since the first call, for the timing lines the suite prints. */
const started = Date.now();
export const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Staff, signed in: writes a post in the editor and publishes it; returns its path. */
export async function publishPost(page: Page, server: Server, post: { title: string; body: string; categories?: string; tags?: string }): Promise<string> {
  await page.goto(`${server.origin}/admin/posts/new`);
  await page.getByLabel('Title', { exact: true }).fill(post.title);
  await page.getByLabel(/^Body/).fill(post.body);
  if (post.categories) await page.getByLabel(/^Categories/).fill(post.categories);
  if (post.tags) await page.getByLabel(/^Tags/).fill(post.tags);
  await Promise.all([page.waitForURL(/\/admin\/posts\/\d+\/edit\?saved=published$/), page.getByRole('button', { name: 'Publish now' }).click()]);
  const href = await page.getByRole('link', { name: 'View it' }).getAttribute('href');
  if (!href) throw new Error('no "View it" link after publishing');
  return href;
}

/** Administrator, signed in: the discussion settings form. */
export async function setDiscussion(page: Page, server: Server, settings: { moderation: 'all' | 'first-time' | 'none'; ratePerMinute?: number }): Promise<void> {
  await page.goto(`${server.origin}/admin/settings/discussion`);
  await page.locator(`#moderation-${settings.moderation}`).check();
  if (settings.ratePerMinute) await page.getByLabel('Comments one address may post per minute').fill(String(settings.ratePerMinute));
  await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Save discussion settings' }).click()]);
  const notice = await page.locator('.notice').count();
  if (!notice) throw new Error(`discussion settings not saved: ${await page.locator('main').innerText()}`);
}

/* ------------------------------------------------------------------ images */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  let crc = 0xffffffff;
  for (const byte of body) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  const out = Buffer.alloc(8 + data.length + 4);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** A 96×96 PNG logo drawn here (an open book on an oxblood disc), so no test fetches an image. */
export function logoPng(): Buffer {
  const size = 96;
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (size * 4 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const dx = x - 47.5;
      const dy = y - 47.5;
      let rgba = [0, 0, 0, 0];
      if (dx * dx + dy * dy <= 46 * 46) rgba = [122, 46, 31, 255];
      const onPage = y >= 28 && y <= 68 && ((x >= 20 && x <= 45) || (x >= 50 && x <= 75));
      if (onPage) {
        const line = (y - 36) % 7 === 0 && y >= 36 && y <= 64 && ((x >= 25 && x <= 41) || (x >= 54 && x <= 70));
        rgba = line ? [122, 46, 31, 255] : [251, 246, 232, 255];
      }
      raw.set(rgba, row + 1 + x * 4);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
