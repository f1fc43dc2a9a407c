/**
 * Seeds the benchmark's own SQLite database directly (never through HTTP): users with bios,
 * categories and tags, standalone pages, posts with Markdown bodies of several hundred words,
 * threaded comments up to five levels, and a moderation queue.
 *
 * Markdown is rendered once per distinct body and the HTML reused, as the app stores it.
 * The small site goes in as batched multi-row INSERTs through Kysely in one transaction;
 * the large one (100,000 posts, 1,000,000 comments) as INSERT … SELECT over a recursive
 * CTE, so SQLite generates the rows itself. The search-index and cache-version triggers run
 * as rows go in, as they would on a live site.
 */
import { sql, type Kysely } from 'kysely';
import type { Db } from '../server/db/connect.js';
import type { Database, NewComment, NewPost } from '../server/db/schema.js';
import { deriveExcerpt, renderComment, renderPost } from '../server/markup/render.js';
import { startSession } from '../server/services/auth.js';
import { commentMarkdown, personName, pick, postMarkdown, random, resetRandom, titleText } from './content.js';

export interface SiteShape {
  /** Posts besides the three the scenarios use. */
  posts: number;
  /** All comments, the hot posts' threads included. */
  comments: number;
  /** Of which held for moderation. */
  pending: number;
  method: 'kysely' | 'sql';
}

export const SMALL_SITE: SiteShape = { posts: 1_000, comments: 60_000, pending: 50_000, method: 'kysely' };
export const LARGE_SITE: SiteShape = { posts: 100_000, comments: 1_000_000, pending: 50_000, method: 'sql' };

export interface Seeded {
  hot200: string;
  hot2000: string;
  /** The post the comment POSTs go to. */
  target: string;
  /** A moderator's session cookie value. */
  session: string;
  /** An email with one approved comment: their next comments go live at once. */
  commenterEmail: string;
  counts: { posts: number; comments: number; pending: number; approved: number };
  seconds: number;
}

const DISTINCT_POST_BODIES = 24;
const DISTINCT_COMMENT_BODIES = 60;
const HOUR = 3_600_000;

interface Bodies {
  posts: { md: string; html: string; excerpt: string }[];
  comments: { md: string; html: string }[];
}

function renderBodies(): Bodies {
  resetRandom();
  const posts = Array.from({ length: DISTINCT_POST_BODIES }, () => {
    const md = postMarkdown(300 + Math.floor(random() * 500));
    const html = renderPost(md);
    return { md, html, excerpt: deriveExcerpt(html) };
  });
  const comments = Array.from({ length: DISTINCT_COMMENT_BODIES }, () => {
    const md = commentMarkdown();
    return { md, html: renderComment(md) };
  });
  return { posts, comments };
}

const iso = (ms: number) => new Date(ms).toISOString();
const avatarKey = (n: number) => (n * 2654435761 % 2 ** 32).toString(16).padStart(8, '0').repeat(4);

async function insertBatched<T extends keyof Database>(db: Kysely<Database>, table: T, rows: Record<string, unknown>[], size = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += size) {
    await db.insertInto(table).values(rows.slice(i, i + size) as never).execute();
  }
}

/**
 * A reply tree of `count` approved comments: about a third start a thread, the rest answer
 * an earlier comment, never below depth 4 (five levels, the default thread_depth).
 */
function threadRows(postId: number, firstId: number, count: number, bodies: Bodies, startMs: number): NewComment[] {
  const rows: (NewComment & { id: number })[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    let parent: (NewComment & { id: number }) | undefined;
    if (i > 0 && random() > 0.33) {
      // Recent comments draw more replies, as in a live discussion.
      const candidates = rows.slice(Math.max(0, rows.length - 30)).filter((r) => r.depth < 4);
      parent = candidates.length ? pick(candidates) : undefined;
    }
    const body = pick(bodies.comments);
    const n = Math.floor(random() * 5000);
    const at = iso(startMs + i * 60_000);
    rows.push({
      id,
      post_id: postId,
      parent_id: parent?.id ?? null,
      reply_to_id: parent?.id ?? null,
      depth: parent ? parent.depth + 1 : 0,
      user_id: null,
      author_name: personName(n),
      author_email: `reader${n}@example.org`,
      author_url: random() < 0.2 ? `https://example.org/~reader${n}` : '',
      avatar_key: avatarKey(n),
      is_staff: 0,
      body_md: body.md,
      body_html: body.html,
      status: 'approved',
      reasons: '[]',
      ip_hash: null,
      created_at: at,
      updated_at: at,
    });
  }
  return rows;
}

export async function seedSite(db: Db, shape: SiteShape, log: (line: string) => void = () => {}): Promise<Seeded> {
  if (db.dialect !== 'sqlite') throw new Error('The benchmark seeds SQLite');
  const started = performance.now();
  const k = db.kysely;
  const bodies = renderBodies();
  const now = Date.now();
  const commenterEmail = 'regular@example.org';
  let session = '';

  // The large site writes its comments before their posts (so each post is written once, with
  // its count), which the foreign keys would refuse inside the transaction.
  if (shape.method === 'sql') await sql`PRAGMA foreign_keys = OFF`.execute(k);
  // One big transaction: a page cache large enough for the indexes keeps SQLite from
  // spilling dirty pages to the WAL half-way (the bench's own connection; the server keeps its defaults).
  await sql`PRAGMA cache_size = -512000`.execute(k);
  await k.transaction().execute(async (trx) => {
    const createdAt = iso(now - 4000 * 24 * HOUR);
    const admin = await trx
      .insertInto('users')
      .values({ username: 'head', email: 'head@library.example.org', display_name: 'Head Librarian', role: 'admin', password_hash: null, bio_md: '', bio_html: '', disabled_at: null, last_login_at: null, created_at: createdAt, email_confirmed_at: createdAt })
      .returning('id')
      .executeTakeFirstOrThrow();
    const authors: number[] = [];
    for (let i = 0; i < 5; i++) {
      const bio = `${personName(i * 7)} runs the ${pick(['children’s', 'local history', 'digital', 'reference'])} desk. ${commentMarkdown()}`;
      const row = await trx
        .insertInto('users')
        .values({ username: `author${i}`, email: `author${i}@library.example.org`, display_name: personName(i * 7), role: i === 0 ? 'editor' : 'author', password_hash: null, bio_md: bio, bio_html: renderComment(bio), disabled_at: null, last_login_at: null, created_at: createdAt, email_confirmed_at: createdAt })
        .returning('id')
        .executeTakeFirstOrThrow();
      authors.push(row.id);
    }
    const categoryNames = ['News', 'Events', 'Children', 'Local history', 'Digital', 'Reading groups', 'Opening times', 'Community'];
    const categories = await trx
      .insertInto('terms')
      .values(categoryNames.map((name) => ({ kind: 'category' as const, name, slug: name.toLowerCase().replace(/ /g, '-'), description: `Posts about ${name.toLowerCase()}.` })))
      .returning('id')
      .execute();
    const tags = await trx
      .insertInto('terms')
      .values(Array.from({ length: 30 }, (_, i) => ({ kind: 'tag' as const, name: `Topic ${i + 1}`, slug: `topic-${i + 1}`, description: '' })))
      .returning('id')
      .execute();
    const termsFor = (postId: number) => {
      const t = new Set([pick(tags).id, pick(tags).id]);
      return [{ post_id: postId, term_id: pick(categories).id }, ...[...t].map((term_id) => ({ post_id: postId, term_id }))];
    };

    await trx
      .insertInto('settings')
      .values([
        { key: 'site_name', value: JSON.stringify('Springfield Public Library') },
        { key: 'tagline', value: JSON.stringify('News and conversation from your library') },
        // One client posts everything from 127.0.0.1: lift the per-IP limit so scenario 5 measures writes, not 429s.
        { key: 'comment_rate_per_minute', value: JSON.stringify(10_000_000) },
      ])
      .execute();

    const postRow = (n: number, slug: string, title: string, publishedMs: number, kind: 'post' | 'page' = 'post'): NewPost => {
      const body = bodies.posts[n % bodies.posts.length]!;
      return {
        author_id: authors[n % authors.length]!,
        kind,
        title,
        slug,
        body_md: body.md,
        body_html: body.html,
        excerpt: body.excerpt,
        excerpt_md: '',
        status: 'published',
        published_at: iso(publishedMs),
        comments_open: 1,
        comment_count: 0,
        created_at: iso(publishedMs),
        updated_at: iso(publishedMs),
      };
    };
    // Standalone pages, in the navigation.
    await insertBatched(trx, 'posts', [
      postRow(1, 'about', 'About the library', now - 3000 * 24 * HOUR, 'page'),
      postRow(2, 'opening-hours', 'Opening hours', now - 3000 * 24 * HOUR, 'page'),
    ] as never);

    // The three posts the scenarios read and write, newest on the site.
    const hot = await trx
      .insertInto('posts')
      .values([
        postRow(3, 'hot-200', 'What makes good customer service?', now - 3 * HOUR),
        postRow(4, 'hot-2000', 'Should the library open on Sundays?', now - 2 * HOUR),
        postRow(5, 'comment-target', 'Tell us about your favourite book', now - 1 * HOUR),
      ])
      .returning('id')
      .execute();
    const [hot200, hot2000, target] = hot.map((r) => r.id) as [number, number, number];
    await insertBatched(trx, 'post_terms', [...termsFor(hot200), ...termsFor(hot2000), ...termsFor(target)] as never);

    let nextId = 1;
    const threads = [
      ...threadRows(hot200, nextId, 200, bodies, now - 3 * HOUR),
      ...threadRows(hot2000, (nextId += 200), 2000, bodies, now - 2 * HOUR),
    ];
    nextId += 2000;
    await insertBatched(trx, 'comments', threads as never);
    // The regular commenter: one approved comment, so first-time moderation lets the next ones through.
    const regular = threadRows(target, nextId++, 1, bodies, now - HOUR)[0]!;
    await trx.insertInto('comments').values({ ...regular, author_email: commenterEmail, author_name: 'Regular Reader' } as never).execute();
    await trx.updateTable('posts').set({ comment_count: 200 }).where('id', '=', hot200).execute();
    await trx.updateTable('posts').set({ comment_count: 2000 }).where('id', '=', hot2000).execute();
    await trx.updateTable('posts').set({ comment_count: 1 }).where('id', '=', target).execute();

    const bulkComments = shape.comments - 2201;
    const firstBulkPost = (await trx.selectFrom('posts').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m! + 1;
    if (shape.method === 'kysely') {
      const posts = Array.from({ length: shape.posts }, (_, n) => postRow(n, `post-${n}`, titleText(), now - (n + 4) * 7 * HOUR));
      await insertBatched(trx, 'posts', posts as never);
      await insertBatched(trx, 'post_terms', posts.flatMap((_, n) => termsFor(firstBulkPost + n)) as never);
      // Exactly `pending` held comments, spread evenly through the ids.
      const held = (i: number) => Math.floor((i * shape.pending) / bulkComments) !== Math.floor(((i + 1) * shape.pending) / bulkComments);
      const rows: NewComment[] = [];
      for (let i = 0; i < bulkComments; i++) {
        const body = bodies.comments[i % bodies.comments.length]!;
        const n = (i * 7919) % 50_000;
        const at = iso(now - (bulkComments - i) * 30_000);
        rows.push({
          post_id: firstBulkPost + ((i * 104_729) % shape.posts),
          parent_id: null,
          reply_to_id: null,
          depth: 0,
          user_id: null,
          author_name: personName(n),
          author_email: `reader${n}@example.org`,
          author_url: '',
          avatar_key: avatarKey(n),
          is_staff: 0,
          body_md: body.md,
          body_html: body.html,
          status: held(i) ? 'pending' : 'approved',
          reasons: held(i) ? JSON.stringify(['first-time commenter']) : '[]',
          ip_hash: null,
          created_at: at,
          updated_at: at,
        });
      }
      await insertBatched(trx, 'comments', rows as never);
      // Listing counts are approved comments only.
      await sql`UPDATE posts SET comment_count = (SELECT count(*) FROM comments c WHERE c.post_id = posts.id AND c.status = 'approved') WHERE id >= ${firstBulkPost}`.execute(trx);
    } else {
      await bulkBySql(trx as unknown as Kysely<Database>, bodies, {
        posts: shape.posts,
        comments: bulkComments,
        pending: shape.pending,
        firstPost: firstBulkPost,
        authors,
        categories: categories.map((c) => c.id),
        tags: tags.map((t) => t.id),
        nowMs: now,
        log,
      });
    }
    session = await startSession(trx, admin.id);
  });
  if (shape.method === 'sql') {
    await sql`PRAGMA foreign_keys = ON`.execute(k);
    const broken = await sql<{ table: string }>`PRAGMA foreign_key_check`.execute(k);
    if (broken.rows.length) throw new Error(`seed left ${broken.rows.length} broken references`);
  }
  // One huge transaction leaves everything in the WAL; a running site checkpoints as it goes.
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(k);

  const count = async (status?: string) => {
    let q = k.selectFrom('comments').select((eb) => eb.fn.countAll<number>().as('n'));
    if (status) q = q.where('status', '=', status as never);
    return Number((await q.executeTakeFirstOrThrow()).n);
  };
  const posts = Number((await k.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  return {
    hot200: 'hot-200',
    hot2000: 'hot-2000',
    target: 'comment-target',
    session,
    commenterEmail,
    counts: { posts, comments: await count(), pending: await count('pending'), approved: await count('approved') },
    seconds: (performance.now() - started) / 1000,
  };
}

interface BulkPlan {
  posts: number;
  comments: number;
  pending: number;
  firstPost: number;
  authors: number[];
  categories: number[];
  tags: number[];
  nowMs: number;
  log: (line: string) => void;
}

/** Rows generated by SQLite itself: a recursive CTE of numbers joined to the distinct bodies. */
async function bulkBySql(db: Kysely<Database>, bodies: Bodies, plan: BulkPlan): Promise<void> {
  const t0 = performance.now();
  await sql`CREATE TEMP TABLE bench_post_bodies (i INTEGER PRIMARY KEY, md TEXT, html TEXT, excerpt TEXT)`.execute(db);
  await sql`CREATE TEMP TABLE bench_comment_bodies (i INTEGER PRIMARY KEY, md TEXT, html TEXT)`.execute(db);
  for (const [i, b] of bodies.posts.entries()) await sql`INSERT INTO bench_post_bodies VALUES (${i}, ${b.md}, ${b.html}, ${b.excerpt})`.execute(db);
  for (const [i, b] of bodies.comments.entries()) await sql`INSERT INTO bench_comment_bodies VALUES (${i}, ${b.md}, ${b.html})`.execute(db);
  const nAuthors = plan.authors.length;
  const nPostBodies = bodies.posts.length;
  const nCommentBodies = bodies.comments.length;
  const nowS = Math.floor(plan.nowMs / 1000);

  // Comments first, spread over the posts-to-be; every stride-th one held, the others approved.
  const stride = Math.max(1, Math.floor(plan.comments / plan.pending));
  const pendingLimit = plan.pending * stride;
  await sql`
    INSERT INTO comments (post_id, parent_id, reply_to_id, depth, user_id, author_name, author_email, author_url, avatar_key, is_staff,
                          body_md, body_html, status, reasons, ip_hash, created_at, updated_at)
    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${plan.comments - 1})
    SELECT ${plan.firstPost} + ((n * 104729) % ${plan.posts}), NULL, NULL, 0, NULL,
           'Reader ' || ((n * 7919) % 50000), 'reader' || ((n * 7919) % 50000) || '@example.org', '',
           printf('%08x%08x%08x%08x', (n * 2654435761) % 4294967296, n, (n * 40503) % 4294967296, n % 65536), 0,
           b.md, b.html,
           CASE WHEN n % ${stride} = 0 AND n < ${pendingLimit} THEN 'pending' ELSE 'approved' END,
           CASE WHEN n % ${stride} = 0 AND n < ${pendingLimit} THEN '["first-time commenter"]' ELSE '[]' END,
           NULL,
           strftime('%Y-%m-%dT%H:%M:%fZ', ${nowS} - (${plan.comments} - n) * 30, 'unixepoch'),
           strftime('%Y-%m-%dT%H:%M:%fZ', ${nowS} - (${plan.comments} - n) * 30, 'unixepoch')
      FROM seq JOIN bench_comment_bodies b ON b.i = n % ${nCommentBodies}`.execute(db);
  plan.log(`  comments: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await sql`CREATE TEMP TABLE bench_counts AS SELECT post_id, count(*) AS approved FROM comments WHERE status = 'approved' AND post_id >= ${plan.firstPost} GROUP BY post_id`.execute(db);
  await sql`CREATE UNIQUE INDEX temp.bench_counts_post ON bench_counts (post_id)`.execute(db);

  // Posts, with their ids and approved counts: one every 7 hours going back.
  await sql`
    INSERT INTO posts (id, author_id, kind, title, slug, body_md, body_html, excerpt, excerpt_md, status, published_at, comments_open, comment_count, created_at, updated_at)
    WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < ${plan.posts - 1})
    SELECT ${plan.firstPost} + n, ${plan.authors[0]!} + (n % ${nAuthors}),
           'post', 'Library notes no. ' || n || ': ' || substr(b.md, 1, 40), 'post-' || n, b.md, b.html, b.excerpt, '', 'published',
           strftime('%Y-%m-%dT%H:%M:%fZ', ${nowS} - (n + 4) * 25200, 'unixepoch'), 1, coalesce(c.approved, 0),
           strftime('%Y-%m-%dT%H:%M:%fZ', ${nowS} - (n + 4) * 25200, 'unixepoch'),
           strftime('%Y-%m-%dT%H:%M:%fZ', ${nowS} - (n + 4) * 25200, 'unixepoch')
      FROM seq JOIN bench_post_bodies b ON b.i = n % ${nPostBodies}
      LEFT JOIN bench_counts c ON c.post_id = ${plan.firstPost} + n`.execute(db);
  plan.log(`  posts: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const cats = plan.categories;
  const tags = plan.tags;
  await sql`
    INSERT INTO post_terms (post_id, term_id)
    SELECT id, ${cats[0]!} + (id % ${cats.length}) FROM posts WHERE id >= ${plan.firstPost}
    UNION ALL SELECT id, ${tags[0]!} + (id % ${tags.length}) FROM posts WHERE id >= ${plan.firstPost}
    UNION ALL SELECT id, ${tags[0]!} + ((id * 7 + 3) % ${tags.length}) FROM posts WHERE id >= ${plan.firstPost} AND (id * 7 + 3) % ${tags.length} != id % ${tags.length}`.execute(db);
  plan.log(`  post_terms: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await sql`DROP TABLE temp.bench_counts`.execute(db);
  await sql`DROP TABLE temp.bench_post_bodies`.execute(db);
  await sql`DROP TABLE temp.bench_comment_bodies`.execute(db);
}
