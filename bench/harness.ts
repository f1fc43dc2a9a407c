/**
 * The pieces every scenario needs: a Lectern server as a child process (production mode,
 * its own data directory and port), nginx serving a static copy of a page, autocannon
 * runs, and the child's memory read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';

export const ROOT = join(import.meta.dirname, '..');

/** The V8 flags `npm start` runs the server with (package.json config.node_flags): measured as it runs. */
export function productionNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { config?: { node_flags?: string } };
  return (pkg.config?.node_flags ?? '').split(/\s+/).filter(Boolean);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** kB from /proc/<pid>/status: VmHWM (peak resident set) or VmRSS (now). */
export function procMemoryKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** A process and its children (nginx's master and workers). */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [pid];
  }
}

export interface LecternServer {
  url: string;
  pid: number;
  /** Spawn to the first 200 from /healthz, polled every 10 ms. */
  startupMs: number;
  stop(): Promise<void>;
  stderr(): string;
}

export async function startLectern(opts: { dataDir: string; databaseUrl: string; cpuProfileDir?: string; env?: Record<string, string> }): Promise<LecternServer> {
  const port = await freePort();
  const args = [...productionNodeFlags(), ...(opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []), join(ROOT, 'dist/server/server.bundle.js')];
  let errText = '';
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATA_DIR: opts.dataDir,
      DATABASE_URL: opts.databaseUrl,
      HOST: '127.0.0.1',
      PORT: String(port),
      // As behind the sample nginx (deploy/nginx): client addresses come in X-Forwarded-For.
      TRUST_PROXY: '127.0.0.1',
      // To try V8 flags on the server (heap sizes) without changing how it is started.
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      ...opts.env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  let startupMs = -1;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Lectern exited with ${child.exitCode}: ${errText}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.status === 200) {
        startupMs = performance.now() - started;
        break;
      }
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 30_000) throw new Error(`Lectern did not answer within 30 s: ${errText}`);
    await sleep(10);
  }
  return {
    url,
    pid: child.pid!,
    startupMs,
    stderr: () => errText,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        // SIGTERM: a graceful close, which is also when --cpu-prof writes its profile.
        child.kill('SIGTERM');
      }),
  };
}

export interface NginxServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Debian's nginx on a free port with a minimal configuration, serving `files` from a directory of its own. */
export async function startNginx(dir: string, files: Record<string, string>): Promise<NginxServer> {
  const port = await freePort();
  const root = join(dir, 'www');
  mkdirSync(root, { recursive: true });
  // Workers run as nobody: they must be able to reach the files.
  for (const d of [dir, root]) chmodSync(d, 0o755);
  for (const [name, body] of Object.entries(files)) {
    writeFileSync(join(root, name), body);
    chmodSync(join(root, name), 0o644);
  }
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`,
  );
  const child = spawn('/usr/sbin/nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errText = '';
  child.stderr!.on('data', (chunk: Buffer) => (errText += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  let last = 'no answer';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${errText}`);
    try {
      const res = await fetch(`${url}/${Object.keys(files)[0]}`);
      if (res.status === 200) break;
      last = `status ${res.status}`;
    } catch {
      // not listening yet
    }
    if (performance.now() - started > 10_000) throw new Error(`nginx did not answer (${last}): ${errText}`);
    await sleep(10);
  }
  return {
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGQUIT');
      }),
  };
}

export interface LoadOptions {
  url: string;
  connections: number;
  duration: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** A fresh body per request (scenario 5). */
  body?: () => string;
  onResponse?: (status: number, body: string) => void;
  /** The server: its RSS is sampled every 100 ms while the load runs, for the peak. */
  pid?: number;
  /** Processes whose CPU time is charged to this load (the server, or nginx and its workers). */
  cpuPids?: number[];
  /** Headers set per request (scenario 5: a different client address each time). */
  perRequestHeaders?: () => Record<string, string>;
}

export interface LoadResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Peak RSS of the server while this load ran, MB. */
  peakRssMb: number | null;
  bytesPerSec: number;
  /**
   * Server CPU time per answered request, µs: what serving costs, whatever else the shared
   * machine is doing. The requests/s figures depend on the CPU the server got; this does not.
   */
  cpuUsPerRequest: number | null;
}

export async function load(opts: LoadOptions): Promise<LoadResult> {
  let peakKb = 0;
  const sampler = opts.pid
    ? setInterval(() => {
        peakKb = Math.max(peakKb, procMemoryKb(opts.pid!, 'VmRSS') ?? 0);
      }, 100)
    : null;
  const body = opts.body;
  const onResponse = opts.onResponse;
  const perRequestHeaders = opts.perRequestHeaders;
  const cpuPids = opts.cpuPids ?? (opts.pid ? [opts.pid] : []);
  const cpu = () => cpuPids.reduce((sum, pid) => sum + procCpuSeconds(pid), 0);
  const cpuBefore = cpu();
  try {
    const result = await autocannon({
      url: opts.url,
      connections: opts.connections,
      duration: opts.duration,
      method: opts.method ?? 'GET',
      headers: opts.headers,
      requests:
        body || onResponse || perRequestHeaders
          ? [
              {
                method: opts.method ?? 'GET',
                ...(body || perRequestHeaders
                  ? {
                      setupRequest: (req: any) => ({
                        ...req,
                        ...(body ? { body: body() } : {}),
                        ...(perRequestHeaders ? { headers: { ...req.headers, ...perRequestHeaders() } } : {}),
                      }),
                    }
                  : {}),
                ...(onResponse ? { onResponse: (status: number, resBody: string) => onResponse(status, resBody) } : {}),
              },
            ]
          : undefined,
    } as autocannon.Options);
    const answered = result.requests.total;
    const cpuUsed = cpu() - cpuBefore;
    return {
      requestsPerSec: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      requests: result.requests.total,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      peakRssMb: sampler ? Math.round(peakKb / 102.4) / 10 : null,
      bytesPerSec: result.throughput.average,
      cpuUsPerRequest: cpuPids.length && answered > 0 ? Math.round((cpuUsed * 1e6) / answered) : null,
    };
  } finally {
    if (sampler) clearInterval(sampler);
  }
}

/** wrk (Debian's `wrk`), when installed: a load generator in C, to tell the client's limits from the server's. */
export function wrkPath(): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, 'wrk');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

export interface WrkResult {
  requestsPerSec: number;
  p50: number;
  p99: number;
}

/** `wrk --latency`: requests/s and the latency percentiles it prints, in ms. */
export function wrkLoad(wrk: string, url: string, connections: number, duration: number): WrkResult {
  const out = execFileSync(wrk, ['-t2', `-c${connections}`, `-d${duration}s`, '--latency', url], { encoding: 'utf8', timeout: (duration + 30) * 1000 });
  const ms = (label: string) => {
    const m = out.match(new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm'));
    if (!m) throw new Error(`wrk printed no ${label}% latency:\n${out}`);
    const value = Number(m[1]);
    return Math.round((m[2] === 'us' ? value / 1000 : m[2] === 's' ? value * 1000 : value) * 100) / 100;
  };
  const rps = out.match(/^Requests\/sec:\s+([\d.]+)/m);
  if (!rps) throw new Error(`wrk printed no Requests/sec:\n${out}`);
  return { requestsPerSec: Number(rps[1]), p50: ms('50'), p99: ms('99') };
}
