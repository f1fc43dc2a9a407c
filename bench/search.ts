/**
 * Search latency on a large site: 10,000 posts and 100,000 comments (issue 6).
 *
 *   npx tsx bench/search.ts                    # SQLite (FTS5), in a temporary file
 *   BENCH_DATABASE=postgres npx tsx bench/search.ts   # PostgreSQL, in a throwaway schema
 *      (LECTERN_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test)
 *   BENCH_POSTS / BENCH_COMMENTS change the size; BENCH_KEEP=1 keeps the SQLite file to study.
 *
 * Seeds with batched multi-row INSERTs in one transaction (the triggers index as rows go
 * in, as they would on a live site), then times ~50 queries of every kind through the same
 * service the /search route calls, page 1 with snippets, and prints the median.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { openDatabase, type Db } from '../server/db/connect.js';
import { migrateToLatest } from '../server/db/migrate.js';
import { searchSite } from '../server/services/search.js';
import type { CommentStatus } from '../server/db/schema.js';

const POSTS = Number(process.env.BENCH_POSTS ?? 10_000);
const COMMENTS = Number(process.env.BENCH_COMMENTS ?? 100_000);
const ROUNDS = 3;

// A deterministic pseudo-random source, so every run searches the same corpus.
let state = 20240601;
const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;

// Real words the queries use, spread through invented filler with a Zipf-like skew.
const REAL = [
  'library', 'libraries', 'customer', 'service', 'reading', 'children', 'story', 'time', 'volunteer', 'volunteers',
  'opening', 'hours', 'branch', 'books', 'ebook', 'audiobook', 'catalogue', 'renewal', 'fines', 'community',
  'history', 'local', 'archive', 'exhibition', 'knitting', 'chess', 'computer', 'class', 'printing', 'wifi',
  'quiet', 'study', 'room', 'parking', 'holiday', 'closure', 'summer', 'challenge', 'poetry', 'author',
];
const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'sh', 'vo', 'pe', 'zi', 'dor', 'len', 'mar', 'qui', 'bex'];
const FILLER = Array.from({ length: 6000 }, () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => pick(SYLLABLES)).join(''));
function word(): string {
  if (random() < 0.08) return pick(REAL);
  // Zipf-ish: low indexes far more often.
  return FILLER[Math.floor(FILLER.length * random() ** 3)]!;
}
const sentence = (min: number, max: number) => Array.from({ length: min + Math.floor(random() * (max - min)) }, word).join(' ');
const paragraph = (words: number) => {
  const out: string[] = [];
  for (let n = 0; n < words; n += 15) out.push(sentence(8, 22) + '.');
  return out.join(' ');
};

const QUERIES = [
  'library', 'customer', 'service', 'customer service', '"customer service"', 'story time', '"story time"', 'children reading',
  'volunteers', 'volunteer*', 'libr*', 'cust*', 'read*', 'opening hours', '"opening hours" branch', 'fines -renewal',
  'chess OR knitting', 'poetry OR exhibition OR history', 'quiet study room', 'parking', 'holiday closure', 'summer challenge',
  'audiobook', 'ebook catalogue', 'wifi printing', 'computer class', 'local history archive', 'community', 'author',
  'books', 'time', 'room -parking', 'kalo', 'mine', 'ruta', 'shvo', 'dorlen', 'marqui', 'bexzi', 'kalomi',
  'ta*', 'lo*', '"kalo mine"', 'nothingmatchesthis', 'zzzz*', '(((', 'AND OR NOT', 'customer service library reading', 'ka', 'story',
];

async function openBenchDb(): Promise<{ db: Db; cleanup: () => Promise<void>; label: string }> {
  if (process.env.BENCH_DATABASE === 'postgres') {
    const base = process.env.LECTERN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const url = new URL(base);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const db = await openDatabase(url.toString().replace(/\+/g, '%20'));
    return {
      db,
      label: `PostgreSQL (schema ${schema})`,
      cleanup: async () => {
        await db.close();
        await admin.query(`drop schema ${schema} cascade`);
        await admin.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'lectern-bench-'));
  const db = await openDatabase(`sqlite:${join(dir, 'bench.db')}`);
  return {
    db,
    label: `SQLite (${join(dir, 'bench.db')})`,
    cleanup: async () => {
      await db.close();
      if (process.env.BENCH_KEEP) console.log(`Kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function seedDatabase(db: Db): Promise<void> {
  const k = db.kysely;
  const now = new Date();
  const iso = (msAgo: number) => new Date(now.getTime() - msAgo).toISOString();
  await k.transaction().execute(async (trx) => {
    const users = await trx
      .insertInto('users')
      .values(Array.from({ length: 5 }, (_, i) => ({
        username: `staff${i}`, email: null, display_name: `Staff ${i}`, role: 'author' as const, password_hash: null,
        bio_md: '', bio_html: '', disabled_at: null, last_login_at: null, created_at: iso(0),
      })))
      .returning('id')
      .execute();
    const postIds: number[] = [];
    for (let start = 0; start < POSTS; start += 500) {
      const rows = Array.from({ length: Math.min(500, POSTS - start) }, (_, j) => {
        const n = start + j;
        const body = Array.from({ length: 3 + Math.floor(random() * 5) }, () => paragraph(60)).join('\n\n');
        const published = iso((POSTS - n) * 3_600_000);
        const status = n % 50 === 0 ? ('draft' as const) : ('published' as const);
        return {
          author_id: pick(users).id, kind: 'post' as const, title: sentence(3, 9), slug: `post-${n}`, body_md: body,
          body_html: `<p>${body}</p>`, excerpt: body.slice(0, 200), excerpt_md: '', status, published_at: status === 'draft' ? null : published,
          comments_open: 1, comment_count: 0, created_at: published, updated_at: published,
        };
      });
      const ids = await trx.insertInto('posts').values(rows).returning('id').execute();
      postIds.push(...ids.map((r) => r.id));
    }
    for (let start = 0; start < COMMENTS; start += 1000) {
      const rows = Array.from({ length: Math.min(1000, COMMENTS - start) }, (_, j) => {
        const body = sentence(10, 80) + '.';
        const r = random();
        const status: CommentStatus = r < 0.9 ? 'approved' : r < 0.95 ? 'pending' : 'spam';
        const at = iso((COMMENTS - start - j) * 60_000);
        return {
          post_id: pick(postIds), parent_id: null, depth: 0, user_id: null, author_name: `Patron ${Math.floor(random() * 5000)}`,
          author_email: `p${start + j}@example.org`, author_url: '', avatar_key: 'k', is_staff: 0, body_md: body, body_html: `<p>${body}</p>`,
          status, reasons: '[]', ip_hash: null, created_at: at, updated_at: at,
        };
      });
      await trx.insertInto('comments').values(rows).execute();
    }
  });
  if (db.dialect === 'postgres') {
    await sql`ANALYZE`.execute(k);
  } else {
    // One huge transaction leaves everything in the WAL; a running site checkpoints as it goes.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(k);
    await sql`PRAGMA optimize`.execute(k);
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function main() {
  const { db, cleanup, label } = await openBenchDb();
  try {
    await migrateToLatest(db);
    console.log(`Database: ${label}`);
    const seedStart = performance.now();
    await seedDatabase(db);
    console.log(`Seeded ${POSTS.toLocaleString('en')} posts and ${COMMENTS.toLocaleString('en')} comments in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    for (const q of QUERIES.slice(0, 5)) await searchSite(db, q, 1, 10); // warm caches
    const perQuery = new Map<string, number[]>();
    const all: number[] = [];
    const totals = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const q of QUERIES) {
        const start = performance.now();
        const result = await searchSite(db, q, 1, 10);
        const ms = performance.now() - start;
        all.push(ms);
        perQuery.set(q, [...(perQuery.get(q) ?? []), ms]);
        totals.set(q, result.total);
      }
    }
    const medians = QUERIES.map((q) => ({ q, ms: median(perQuery.get(q)!), total: totals.get(q)! }));
    console.log(`\n${QUERIES.length} queries × ${ROUNDS} rounds, page 1 with snippets (ms, median per query):`);
    for (const { q, ms, total } of [...medians].sort((a, b) => b.ms - a.ms).slice(0, 10)) {
      console.log(`  ${ms.toFixed(1).padStart(7)}  ${String(total).padStart(7)} hits  ${q}`);
    }
    console.log('  …');
    console.log(`\nMedian latency: ${median(medians.map((m) => m.ms)).toFixed(1)} ms   (p90 ${percentile(all, 0.9).toFixed(1)} ms, max ${Math.max(...all).toFixed(1)} ms, all ${all.length} runs)`);
  } finally {
    await cleanup();
  }
}

await main();
