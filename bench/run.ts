/**
 * `npm run bench`: Lectern under load, side by side with nginx serving the same page (issue 9).
 *
 *   npm run bench                        # small site, scenarios 1–6, 10 s × 32 connections each
 *   BENCH_LARGE=1 npm run bench          # and scenario 7: the same page views on 100,000 posts / 1,000,000 comments
 *   BENCH_DURATION=3 BENCH_CONNECTIONS=16 npm run bench     # a quick look
 *   BENCH_PROFILE=1 npm run bench        # also a --cpu-prof run of scenario 2, top functions in the results
 *   BENCH_PROFILE=5 npm run bench        # the same for scenario 5 (comment POSTs)
 *   BENCH_SKIP_BUILD=1                   # reuse dist/ as it is
 *   BENCH_ONLY=2,3                       # only these scenarios (ids as in the table); written to results-partial.*
 *
 * Seeds its own database in a temporary directory, builds (`npm run build`), starts
 * `node dist/server/server.bundle.js` in production mode as a child process, and drives it with
 * autocannon over 127.0.0.1. Writes bench/results/results.json and results.md.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../server/db/connect.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { LARGE_SITE, SMALL_SITE, seedSite, type Seeded, type SiteShape } from './seed.js';
import { load, procMemoryKb, processTree, ROOT, startLectern, startNginx, wrkLoad, wrkPath, type LecternServer, type LoadResult, type WrkResult } from './harness.js';
import { summarizeProfile, type ProfileLine } from './profile.js';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const LARGE = process.env.BENCH_LARGE === '1';
/** Which scenario to profile: '1' (kept for habit) and '2' mean the 200-comment page, '5' the comment POSTs. */
const PROFILE = process.env.BENCH_PROFILE ? (process.env.BENCH_PROFILE === '5' ? '5' : '2') : null;
const ROUNDS = Number(process.env.BENCH_RATIO_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const RESULTS = join(ROOT, 'bench', 'results');

interface Row extends LoadResult {
  id: string;
  site: 'small' | 'large';
  name: string;
  /** Server's VmHWM after this scenario, MB (the process's peak so far). */
  serverHwmMb: number | null;
  note?: string;
}

const log = (line: string) => console.log(line);
const mb = (kb: number | null) => (kb === null ? null : Math.round(kb / 102.4) / 10);
const want = (id: string) => !ONLY || ONLY.has(id) || ONLY.has(id.replace(/[a-z]$/, ''));

async function prepareSite(shape: SiteShape, label: string) {
  const dir = mkdtempSync(join(tmpdir(), `lectern-bench-${label}-`));
  const databaseUrl = `sqlite:${join(dir, 'lectern.db')}`;
  const db = await openDatabase(databaseUrl);
  await migrateToLatest(db);
  log(`Seeding the ${label} site (${shape.posts.toLocaleString('en')} posts, ${shape.comments.toLocaleString('en')} comments)…`);
  const seeded = await seedSite(db, shape, log);
  await db.close();
  log(`  seeded in ${seeded.seconds.toFixed(1)} s: ${JSON.stringify(seeded.counts)}`);
  return { dir, databaseUrl, seeded };
}

async function warm(url: string, headers?: Record<string, string>) {
  if (WARMUP > 0) await load({ url, connections: Math.min(8, CONNECTIONS), duration: WARMUP, headers });
}

async function measure(server: LecternServer, id: string, site: 'small' | 'large', name: string, url: string, headers?: Record<string, string>): Promise<Row> {
  await warm(url, headers);
  const result = await load({ url, connections: CONNECTIONS, duration: DURATION, headers, pid: server.pid });
  const row: Row = { id, site, name, ...result, serverHwmMb: mb(procMemoryKb(server.pid, 'VmHWM')) };
  log(`  ${id.padEnd(3)} ${name.padEnd(58)} ${fmt(row.requestsPerSec).padStart(8)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  non2xx ${row.non2xx}  errors ${row.errors}  cpu ${row.cpuUsPerRequest} µs/req`);
  return row;
}

async function csrfCookie(url: string, cookie: string): Promise<string> {
  const res = await fetch(url, { headers: { cookie } });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status} for the moderator`);
  const set = res.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => c.startsWith('lectern_csrf='));
  return [cookie, ...set].join('; ');
}

/** Scenario 5: comment POSTs by an approved commenter, then every 201 checked against the database. */
async function commentPosts(server: LecternServer, site: { databaseUrl: string; seeded: Seeded }): Promise<{ row: Row; check: Record<string, number | boolean> }> {
  let n = 0;
  let client = 0;
  const acknowledged: number[] = [];
  const statuses = new Map<number, number>();
  const body = () =>
    JSON.stringify({ name: 'Regular Reader', email: site.seeded.commenterEmail, body: `Benchmark comment ${++n}: *thank you* for the opening hours.` });
  const result = await load({
    url: `${server.url}/api/v1/posts/${site.seeded.target}/comments`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: DURATION,
    pid: server.pid,
    body,
    // A spike of many readers commenting, each from an address of their own (1,000 of them,
    // round robin), through a trusted proxy: the per-IP limit counts each one's comments.
    perRequestHeaders: () => {
      client = (client + 1) % 1000;
      return { 'x-forwarded-for': `10.9.${client >> 8}.${client & 255}` };
    },
    onResponse: (status, resBody) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status === 201) {
        const parsed = JSON.parse(resBody) as { comment: { id: number; status: string } };
        if (parsed.comment.status === 'approved') acknowledged.push(parsed.comment.id);
      }
    },
  });
  // Every acknowledged comment must be stored, approved, on the target post.
  const db = await openDatabase(site.databaseUrl);
  let stored = 0;
  try {
    for (let i = 0; i < acknowledged.length; i += 500) {
      const ids = acknowledged.slice(i, i + 500);
      const rows = await db.kysely
        .selectFrom('comments')
        .innerJoin('posts', 'posts.id', 'comments.post_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('comments.id', 'in', ids)
        .where('comments.status', '=', 'approved')
        .where('posts.slug', '=', site.seeded.target)
        .executeTakeFirstOrThrow();
      stored += Number(rows.n);
    }
  } finally {
    await db.close();
  }
  const row: Row = {
    id: '5',
    site: 'small',
    name: 'Comment POST via the API (approved commenter)',
    ...result,
    serverHwmMb: mb(procMemoryKb(server.pid, 'VmHWM')),
    note: `${acknowledged.length} acknowledged (201, approved), ${stored} found stored, ${acknowledged.length - stored} lost; statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
  };
  log(`  5   ${row.name.padEnd(58)} ${fmt(row.requestsPerSec).padStart(8)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  non2xx ${row.non2xx}  errors ${row.errors}  cpu ${row.cpuUsPerRequest} µs/req`);
  log(`      ${row.note}`);
  return { row, check: { acknowledged: acknowledged.length, stored, lost: acknowledged.length - stored, ok: stored === acknowledged.length } };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');

async function profileRun(
  site: { dir: string; databaseUrl: string; seeded: Seeded },
  drive: (server: LecternServer) => Promise<number>,
): Promise<{ lines: ProfileLine[]; areas: Record<string, number>; idlePct: number; rps: number }> {
  const profDir = join(site.dir, 'prof');
  mkdirSync(profDir, { recursive: true });
  const server = await startLectern({ dataDir: site.dir, databaseUrl: site.databaseUrl, cpuProfileDir: profDir });
  try {
    const rps = await drive(server);
    await server.stop();
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    const summary = summarizeProfile(join(profDir, file), 15);
    return { lines: summary.total, areas: summary.areas, idlePct: summary.idlePct, rps };
  } finally {
    await server.stop();
  }
}

async function main() {
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    log('Building (npm run build)…');
    try {
      execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      const out = err as { stdout?: Buffer; stderr?: Buffer };
      console.error(`npm run build failed:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`);
      process.exit(1);
    }
  }
  const rows: Row[] = [];
  const startup: Record<string, number> = {};
  const seeds: Record<string, unknown> = {};
  let ratio: number | null = null;
  let ratioRounds: number[] = [];
  const crossCheck: ({ id: string; name: string } & WrkResult)[] = [];
  let cpuRatio: number | null = null;
  let commentCheck: Record<string, number | boolean> | null = null;
  let profile: Awaited<ReturnType<typeof profileRun>> | null = null;
  const peakMb: Record<string, number | null> = {};
  const cleanup: string[] = [];

  try {
    // ---- The small site: scenarios 1–6.
    const small = await prepareSite(SMALL_SITE, 'small');
    cleanup.push(small.dir);
    seeds.small = { ...small.seeded.counts, seconds: Math.round(small.seeded.seconds * 10) / 10 };
    const server = await startLectern({ dataDir: small.dir, databaseUrl: small.databaseUrl });
    startup.small = Math.round(server.startupMs);
    log(`Lectern up in ${startup.small} ms (spawn to first /healthz answer, existing database)`);
    try {
      const page200 = `${server.url}/posts/${small.seeded.hot200}`;
      // A yardstick, not a scenario: the cheapest request there is, to show how fast this machine is right now.
      if (want('0')) rows.push(await measure(server, '0', 'small', 'Yardstick: GET /healthz (one SELECT 1)', `${server.url}/healthz`));
      if (want('1')) rows.push(await measure(server, '1', 'small', 'Home page', `${server.url}/`));
      if (want('2') || want('3')) {
        // Scenarios 2 and 3 alternate, ROUNDS times each, nginx started once beside Lectern, so
        // both meet the same neighbours on this shared machine; the median round is reported.
        const html = await (await fetch(page200)).text();
        // A directory of its own: nginx's workers (user nobody) cannot enter the 0700 data directory.
        const nginxDir = mkdtempSync(join(tmpdir(), 'lectern-bench-nginx-'));
        cleanup.push(nginxDir);
        const nginx = await startNginx(nginxDir, { 'hot-200.html': html });
        const rounds: { s2: Row; s3: Row; ratio: number }[] = [];
        try {
          const staticUrl = `${nginx.url}/hot-200.html`;
          await warm(staticUrl);
          for (let round = 0; round < ROUNDS; round++) {
            const s2 = await measure(server, '2', 'small', 'Post page, 200 comments (anonymous)', page200);
            await warm(staticUrl);
            const r = await load({ url: staticUrl, connections: CONNECTIONS, duration: DURATION, cpuPids: processTree(nginx.pid) });
            const s3: Row = { id: '3', site: 'small', name: 'Same 200-comment page, static file served by nginx', ...r, serverHwmMb: null };
            log(`  3   ${s3.name.padEnd(58)} ${fmt(s3.requestsPerSec).padStart(8)} req/s  p50 ${s3.p50} ms  p99 ${s3.p99} ms  cpu ${s3.cpuUsPerRequest} µs/req`);
            rounds.push({ s2, s3, ratio: s2.requestsPerSec / s3.requestsPerSec });
          }
          // autocannon is JavaScript: on big pages it can be the bottleneck for both servers alike.
          // wrk, in C, shows the latency the servers themselves give at the same connections.
          const wrk = wrkPath();
          if (wrk) {
            for (const [id, name, url] of [
              ['2w', 'Post page, 200 comments, driven by wrk', page200],
              ['3w', 'The same page from nginx, driven by wrk', staticUrl],
            ] as const) {
              const w = wrkLoad(wrk, url, CONNECTIONS, DURATION);
              log(`  ${id.padEnd(3)} ${name.padEnd(58)} ${fmt(w.requestsPerSec).padStart(8)} req/s  p50 ${w.p50} ms  p99 ${w.p99} ms`);
              crossCheck.push({ id, name, ...w });
            }
          }
        } finally {
          await nginx.stop();
        }
        const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
        const all = rounds.map((r) => r.ratio.toFixed(2)).join(', ');
        median.s2.note = `median of ${rounds.length} rounds alternating with 3`;
        median.s3.note = `${html.length.toLocaleString('en')} bytes; same rounds`;
        rows.push(median.s2, median.s3);
        ratio = Math.round(1000 * median.ratio) / 1000;
        ratioRounds = rounds.map((r) => Math.round(1000 * r.ratio) / 1000);
        if (median.s2.cpuUsPerRequest && median.s3.cpuUsPerRequest) cpuRatio = Math.round((1000 * median.s3.cpuUsPerRequest) / median.s2.cpuUsPerRequest) / 1000;
        log(`  ratio scenario 2 / scenario 3 = ${ratio} (rounds: ${all}); nginx CPU per request ÷ Lectern's = ${cpuRatio}`);
      }
      if (want('2')) rows.push(await measure(server, '2b', 'small', 'Post page, 2,000 comments (anonymous)', `${server.url}/posts/${small.seeded.hot2000}`));
      if (want('4')) rows.push(await measure(server, '4', 'small', 'GET /api/v1/posts/:slug, 200 comments', `${server.url}/api/v1/posts/${small.seeded.hot200}`));
      if (want('6')) {
        const cookie = await csrfCookie(`${server.url}/admin/comments?status=pending`, `lectern_session=${small.seeded.session}`);
        rows.push(await measure(server, '6', 'small', 'Moderation queue, first page (50,000 pending), moderator', `${server.url}/admin/comments?status=pending`, { cookie }));
      }
      // Last: it writes, so the pages above are measured on an unchanged site.
      if (want('5')) {
        const r = await commentPosts(server, small);
        rows.push(r.row);
        commentCheck = r.check;
      }
      peakMb.small = mb(procMemoryKb(server.pid, 'VmHWM'));
      // What the page cache saves: the same pages rendered for every request (an unknown query
      // parameter, which the routes ignore, keeps them out of the cache). Last, so the peak
      // memory above is that of the issue's scenarios alone.
      if (want('2')) rows.push(await measure(server, '2m', 'small', 'Post page, 200 comments, rendered each time (no page cache)', `${page200}?bench=render`));
      if (want('1')) rows.push(await measure(server, '1m', 'small', 'Home page, rendered each time (no page cache)', `${server.url}/?bench=render`));
      peakMb.smallWithUncached = mb(procMemoryKb(server.pid, 'VmHWM'));
    } finally {
      await server.stop();
    }
    if (PROFILE === '2') {
      log('Profiling scenario 2 (node --cpu-prof)…');
      const path = `/posts/${small.seeded.hot200}`;
      profile = await profileRun(small, async (server) => {
        await warm(`${server.url}${path}`);
        return (await load({ url: `${server.url}${path}`, connections: CONNECTIONS, duration: DURATION })).requestsPerSec;
      });
      for (const l of profile.lines.slice(0, 10)) log(`    ${String(l.selfPct).padStart(5)}%  ${l.fn}  ${l.where}`);
    } else if (PROFILE === '5') {
      log('Profiling scenario 5 (node --cpu-prof)…');
      profile = await profileRun(small, async (server) => (await commentPosts(server, small)).row.requestsPerSec);
      for (const l of profile.lines.slice(0, 10)) log(`    ${String(l.selfPct).padStart(5)}%  ${l.fn}  ${l.where}`);
    }

    // ---- Scenario 7: the same page views on a large site.
    if (LARGE) {
      const large = await prepareSite(LARGE_SITE, 'large');
      cleanup.push(large.dir);
      seeds.large = { ...large.seeded.counts, seconds: Math.round(large.seeded.seconds * 10) / 10 };
      const big = await startLectern({ dataDir: large.dir, databaseUrl: large.databaseUrl });
      startup.large = Math.round(big.startupMs);
      log(`Lectern up in ${startup.large} ms on the large site`);
      try {
        rows.push(await measure(big, '7a', 'large', 'Large site: home page', `${big.url}/`));
        rows.push(await measure(big, '7b', 'large', 'Large site: post page, 200 comments', `${big.url}/posts/${large.seeded.hot200}`));
        rows.push(await measure(big, '7c', 'large', 'Large site: post page, 2,000 comments', `${big.url}/posts/${large.seeded.hot2000}`));
        rows.push(await measure(big, '7d', 'large', 'Large site: GET /api/v1/posts/:slug, 200 comments', `${big.url}/api/v1/posts/${large.seeded.hot200}`));
        const cookie = await csrfCookie(`${big.url}/admin/comments?status=pending`, `lectern_session=${large.seeded.session}`);
        rows.push(await measure(big, '7e', 'large', 'Large site: moderation queue, first page (50,000 pending)', `${big.url}/admin/comments?status=pending`, { cookie }));
        peakMb.large = mb(procMemoryKb(big.pid, 'VmHWM'));
        rows.push(await measure(big, '7f', 'large', 'Large site: home page, rendered each time (no page cache)', `${big.url}/?bench=render`));
        rows.push(await measure(big, '7g', 'large', 'Large site: post page, 200 comments, rendered each time', `${big.url}/posts/${large.seeded.hot200}?bench=render`));
        peakMb.largeWithUncached = mb(procMemoryKb(big.pid, 'VmHWM'));
      } finally {
        await big.stop();
      }
    }
  } finally {
    if (process.env.BENCH_KEEP !== '1') for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  }

  const results = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '', node: process.version },
    load: { durationS: DURATION, connections: CONNECTIONS, warmupS: WARMUP },
    seeds,
    startupMs: startup,
    serverPeakMb: peakMb,
    ratioScenario2ToScenario3: ratio,
    ratioRounds,
    /** Scenarios 2 and 3 again with wrk (when installed), at the same connections. */
    wrkCrossCheck: crossCheck,
    /** nginx's CPU time per request ÷ Lectern's: the ratio a machine with a core to spare for each would show. */
    cpuRatioScenario2ToScenario3: cpuRatio,
    commentCheck,
    scenarios: rows,
    profiledScenario: PROFILE,
    profile,
  };
  mkdirSync(RESULTS, { recursive: true });
  // A run of some scenarios does not replace the full results.
  const name = ONLY ? 'results-partial' : 'results';
  writeFileSync(join(RESULTS, `${name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(RESULTS, `${name}.md`), markdown(results));
  log(`\nWrote bench/results/${name}.json and ${name}.md`);
}

function markdown(r: {
  date: string;
  machine: { cpus: number; cpu: string; node: string };
  load: { durationS: number; connections: number };
  seeds: Record<string, unknown>;
  startupMs: Record<string, number>;
  serverPeakMb: Record<string, number | null>;
  ratioScenario2ToScenario3: number | null;
  ratioRounds: number[];
  wrkCrossCheck: ({ id: string; name: string } & WrkResult)[];
  cpuRatioScenario2ToScenario3: number | null;
  commentCheck: Record<string, number | boolean> | null;
  scenarios: Row[];
  profile: Awaited<ReturnType<typeof profileRun>> | null;
  profiledScenario: string | null;
}): string {
  const lines = [
    '# Lectern benchmark: latest run',
    '',
    `${r.date} · ${r.machine.cpus} × ${r.machine.cpu} · Node ${r.machine.node} · autocannon, ${r.load.connections} connections, ${r.load.durationS} s per scenario, over 127.0.0.1 · SQLite (WAL)`,
    '',
    'The machine is shared and the client runs on the same cores as the server: compare figures within one run (the ratio), not across runs.',
    '',
    '| # | scenario | requests/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/request | server peak RSS (MB) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...r.scenarios.map(
      (s) =>
        `| ${s.id} | ${s.name}${s.note ? ` — ${s.note}` : ''} | ${fmt(s.requestsPerSec)} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors + s.timeouts} | ${s.cpuUsPerRequest ?? ''} | ${s.id === '3' ? '(nginx)' : s.peakRssMb ?? ''} |`,
    ),
    '',
    `- Scenario 2 ÷ scenario 3 (same run, median round): **${r.ratioScenario2ToScenario3 ?? 'not measured'}** (each round: ${r.ratioRounds.join(', ')})`,
    `- nginx's CPU time per request ÷ Lectern's (scenario 3 ÷ 2): **${r.cpuRatioScenario2ToScenario3 ?? 'not measured'}**: what the ratio of requests/s would be if each server had the CPU it wanted`,
    `- The same two pages driven by wrk (a client in C; autocannon can be the bottleneck on big pages), ${r.load.connections} connections: ${
      r.wrkCrossCheck.length ? r.wrkCrossCheck.map((w) => `${w.id} ${w.name}: ${fmt(w.requestsPerSec)} req/s, p50 ${w.p50} ms, p99 ${w.p99} ms`).join('; ') : 'not run (wrk is not installed)'
    }`,
    `- Start-up to the first answered request (existing database): ${Object.entries(r.startupMs).map(([k, v]) => `${k} site ${v} ms`).join(', ')}`,
    `- Server peak memory (VmHWM): ${Object.entries(r.serverPeakMb).map(([k, v]) => `${k.replace('WithUncached', ' site, after the rendered-each-time rows too,').replace(/^(small|large)$/, '$1 site')} ${v} MB`).join('; ')}`,
    `- Comment POSTs: ${r.commentCheck ? `${r.commentCheck.acknowledged} acknowledged, ${r.commentCheck.stored} stored, ${r.commentCheck.lost} lost` : 'not run'}`,
    `- Seeded: ${Object.entries(r.seeds).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join('; ')}`,
  ];
  const small = (id: string) => r.scenarios.find((s) => s.id === id && s.site === 'small');
  const large = (id: string) => r.scenarios.find((s) => s.id === id && s.site === 'large');
  const pairs: [string, string, string][] = [['home page', '1', '7a'], ['200-comment post page', '2', '7b'], ['2,000-comment post page', '2b', '7c'], ['API post, 200 comments', '4', '7d'], ['moderation queue', '6', '7e'], ['home page, rendered each time', '1m', '7f'], ['200-comment page, rendered each time', '2m', '7g']];
  if (r.scenarios.some((s) => s.site === 'large')) {
    lines.push('', '| large site vs small | small req/s | large req/s | small ÷ large |', '|---|---:|---:|---:|');
    for (const [name, a, b] of pairs) {
      const s = small(a);
      const l = large(b);
      if (s && l) lines.push(`| ${name} | ${fmt(s.requestsPerSec)} | ${fmt(l.requestsPerSec)} | ${(s.requestsPerSec / l.requestsPerSec).toFixed(2)} |`);
    }
  }
  if (r.profile) {
    lines.push('', `## Profile of scenario ${r.profiledScenario} (node --cpu-prof, ${fmt(r.profile.rps)} req/s while profiled; idle ${r.profile.idlePct}% of wall time)`, '');
    lines.push(`Share of busy time: ${Object.entries(r.profile.areas).map(([k, v]) => `${k} ${v}%`).join(', ')}`, '');
    lines.push('| self % | function | where |', '|---:|---|---|');
    for (const l of r.profile.lines) lines.push(`| ${l.selfPct} | \`${l.fn}\` | ${l.where} |`);
  }
  return lines.join('\n') + '\n';
}

await main();
