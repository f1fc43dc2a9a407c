/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and lists the functions with the most self time,
 * and the share of time under a few named areas (templates, SQLite, HTTP, the page cache).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  selfPct: number;
  selfMs: number;
  fn: string;
  where: string;
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

export function summarizeProfile(file: string, top = 15): { total: ProfileLine[]; idlePct: number; areas: Record<string, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = profile.endTime - profile.startTime;
  const byFn = new Map<string, { us: number; fn: string; where: string }>();
  let idleUs = 0;
  const areas: Record<string, number> = {};
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  // Inclusive time per area: walk each sample's node up to the root once.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const AREAS: [string, (n: ProfileNode) => boolean][] = [
    ['eta templates', (n) => /node_modules\/eta\//.test(n.callFrame.url) || /^(anonymous)$/.test(n.callFrame.functionName) && n.callFrame.url === ''],
    ['better-sqlite3', (n) => /better-sqlite3/.test(n.callFrame.url)],
    ['kysely', (n) => /node_modules\/kysely\//.test(n.callFrame.url)],
    ['page cache', (n) => /page-cache/.test(n.callFrame.url)],
    ['garbage collector', (n) => n.callFrame.functionName === '(garbage collector)'],
  ];
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idleUs += us;
    }
    const key = `${functionName}|${url}|${lineNumber}`;
    const entry = byFn.get(key) ?? { us: 0, fn: functionName || '(anonymous)', where: `${shortUrl(url)}:${lineNumber + 1}` };
    entry.us += us;
    byFn.set(key, entry);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      for (const [name, test] of AREAS) {
        if (!seen.has(name) && test(n)) {
          seen.add(name);
          areas[name] = (areas[name] ?? 0) + us;
        }
      }
    }
  }
  const busyUs = totalUs - idleUs;
  const total = [...byFn.values()]
    .filter((e) => e.fn !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({ selfPct: Math.round((1000 * e.us) / busyUs) / 10, selfMs: Math.round(e.us / 1000), fn: e.fn, where: e.where }));
  const areaPct = Object.fromEntries(Object.entries(areas).map(([k, v]) => [k, Math.round((1000 * v) / busyUs) / 10]));
  return { total, idlePct: Math.round((1000 * idleUs) / totalUs) / 10, areas: areaPct };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile>');
  const s = summarizeProfile(file, Number(process.argv[3] ?? 25));
  console.log(`idle ${s.idlePct}% of wall time; share of busy time: ${JSON.stringify(s.areas)}`);
  for (const l of s.total) console.log(`${String(l.selfPct).padStart(5)}%  ${String(l.selfMs).padStart(6)} ms  ${l.fn}  ${l.where}`);
}
