import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { Db } from '../../server/db/connect.js';
import type { Database, User } from '../../server/db/schema.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { insertComment, adjustApprovedCount } from '../../server/data/comments.js';
import { createUser } from '../../server/services/users.js';
import { createPost, deletePostById, updatePostById, type PostInput } from '../../server/services/posts.js';
import { deleteComment, setStatus } from '../../server/services/moderation.js';
import { parseQuery, postgresSearch, searchSite } from '../../server/services/search.js';
import { pgTsQuery } from '../../server/data/search.js';
import { HOSTILE_QUERIES } from './helpers.js';

/**
 * The PostgreSQL search backend, straight against a PostgreSQL server: a throwaway schema,
 * every migration, then the same behaviours the SQLite tests ask of FTS5.
 */
const PG_URL = process.env.LECTERN_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => {});
  }
}

const unreachable = await reachable();
const title = unreachable
  ? `PostgreSQL search (SKIPPED: no PostgreSQL at ${PG_URL}: ${unreachable})`
  : 'PostgreSQL search (tsvector, GIN, websearch-style query language)';

describe.skipIf(unreachable !== null)(title, () => {
  const schema = `search_${randomBytes(5).toString('hex')}`;
  let db: Db;
  let staff: User;
  let mod: User;
  const ids: Record<string, number> = {};

  const search = (q: string, page = 1, perPage = 10, now?: Date) => searchSite(db, q, page, perPage, now);
  const titles = async (q: string) => (await search(q)).hits.map((h) => (h.kind === 'comment' ? `comment:${h.byline}` : h.title));
  const post = (input: Partial<PostInput>) => createPost(db.kysely, staff, { body: 'Words.', status: 'published', ...input });
  async function addComment(postId: number, body: string, status: 'approved' | 'pending' | 'spam', name = 'Ann') {
    const now = new Date().toISOString();
    const id = await insertComment(db.kysely, {
      post_id: postId, parent_id: null, depth: 0, user_id: null, author_name: name, author_email: `${name.toLowerCase()}@example.org`,
      author_url: '', avatar_key: 'k', is_staff: 0, body_md: body, body_html: `<p>${body}</p>`, status, reasons: '[]', ip_hash: null,
      created_at: now, updated_at: now,
    });
    if (status === 'approved') await adjustApprovedCount(db.kysely, postId, 1);
    return id;
  }

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    pg.types.setTypeParser(20, (value: string) => Number(value));
    const kysely = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: PG_URL, options: `-c search_path=${schema}`, max: 4 }) }),
    });
    db = { kysely, dialect: 'postgres', close: () => kysely.destroy() };
    await migrateToLatest(db);
    staff = await createUser(db.kysely, { username: 'maria', role: 'author', password: 'correct horse battery', display_name: 'Maria Librarian' }, 10);
    mod = await createUser(db.kysely, { username: 'mo', role: 'editor', password: 'correct horse battery', display_name: 'Mo' }, 10);
    ids.titleHit = await post({ title: 'Customer service at the desk', body: 'How we greet people who come in.' });
    ids.bodyHit = await post({ title: 'Opening hours change', body: 'From May the branch opens at nine. Good customer care matters, and so do our libraries.' });
    ids.phrase = await post({ title: 'Volunteers wanted', body: 'We are looking for people who enjoy customer service work.' });
    ids.scattered = await post({ title: 'Our service pledge', body: 'Every customer is welcome; every service is free.' });
    ids.html = await post({ title: 'Raw HTML <em>inside</em>', body: 'Staff wrote <img src=x onerror=alert(1)> beside the word quokka.' });
    ids.draft = await post({ title: 'Draft about zeppelins', body: 'Zeppelins.', status: 'draft' });
    ids.future = await post({ title: 'Scheduled zeppelins', body: 'Later.', status: 'scheduled', published_at: '2099-01-01T00:00:00.000Z' });
    ids.visit = await post({ title: 'Tell us about your visit', body: 'Comments welcome.' });
  });

  afterAll(async () => {
    await db?.close();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  });

  it('the migrations made GIN-indexed vector tables kept by triggers, and the search uses the indexes', async () => {
    const { rows } = await sql<{ indexname: string; indexdef: string }>`
      SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = ${schema} AND indexname LIKE '%search_index_vector' ORDER BY indexname`.execute(db.kysely);
    expect(rows.map((r) => r.indexname)).toEqual(['comments_search_index_vector', 'posts_search_index_vector']);
    for (const row of rows) expect(row.indexdef).toContain('USING gin (vector)');
    const indexed = await sql<{ n: number }>`SELECT count(*)::int AS n FROM posts_search_index`.execute(db.kysely);
    const live = await db.kysely.selectFrom('posts').select((eb) => eb.fn.countAll<number>().as('n')).where('status', 'in', ['published', 'scheduled']).executeTakeFirstOrThrow();
    expect(indexed.rows[0]!.n).toBe(Number(live.n));

    // Inside a transaction that is rolled back: enough rows that an index pays, and no sequential scans.
    let plan = '';
    const rollback = new Error('rollback');
    await db.kysely
      .transaction()
      .execute(async (trx) => {
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        await sql`INSERT INTO comments (post_id, depth, author_name, author_email, avatar_key, body_md, body_html, status, created_at, updated_at)
                  SELECT ${ids.visit!}, 0, 'x', 'x@example.org', 'k', 'comment number ' || g, '', 'approved', 'now', 'now' FROM generate_series(1, 2000) g`.execute(trx);
        await sql`ANALYZE`.execute(trx);
        const q = parseQuery('customer');
        expect((await postgresSearch.rank(trx, q, new Date().toISOString(), 10, 0)).length).toBeGreaterThan(0);
        const { rows: planRows } = await sql<{ 'QUERY PLAN': string }>`
          EXPLAIN SELECT s.post_id FROM posts_search_index s WHERE s.vector @@ ${pgTsQuery(q.groups)}
          UNION ALL
          SELECT s.comment_id FROM comments_search_index s WHERE s.vector @@ ${pgTsQuery(q.groups)}`.execute(trx);
        plan = planRows.map((r) => r['QUERY PLAN']).join('\n');
        throw rollback;
      })
      .catch((err) => {
        if (err !== rollback) throw err;
      });
    expect(plan).toContain('Bitmap Index Scan on posts_search_index_vector');
    expect(plan).toContain('Bitmap Index Scan on comments_search_index_vector');
  });

  it('keeps the vector tables to live posts and approved comments only', async () => {
    const count = async (table: 'posts_search_index' | 'comments_search_index', key: string, id: number) =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(key)} = ${id}`.execute(db.kysely)).rows[0]!.n;
    expect(await count('posts_search_index', 'post_id', ids.draft!)).toBe(0);
    expect(await count('posts_search_index', 'post_id', ids.future!)).toBe(1);
    const held = await addComment(ids.visit!, 'Held words.', 'pending', 'Holder');
    expect(await count('comments_search_index', 'comment_id', held)).toBe(0);
    await setStatus(db.kysely, mod, held, 'approved');
    expect(await count('comments_search_index', 'comment_id', held)).toBe(1);
    await setStatus(db.kysely, mod, held, 'spam');
    expect(await count('comments_search_index', 'comment_id', held)).toBe(0);
  });

  it('ranks a title match above a body-only match, and stems', async () => {
    const found = await titles('customer');
    expect(found[0]).toBe('Customer service at the desk');
    expect(found).toContain('Opening hours change');
    expect(await titles('library')).toEqual(['Opening hours change']);
  });

  it('highlights matches with <mark> in escaped snippets and titles', async () => {
    const care = (await search('care')).hits[0]!;
    expect(care.snippetHtml).toContain('<mark>care</mark>');
    expect((await search('desk')).hits[0]!.titleHtml).toBe('Customer service at the <mark>desk</mark>');
    const quokka = (await search('quokka')).hits[0]!;
    expect(quokka.snippetHtml).toContain('<mark>quokka</mark>');
    expect(quokka.snippetHtml.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    expect(quokka.titleHtml).toBe('Raw HTML &lt;em&gt;inside&lt;/em&gt;');
  });

  it('understands phrases, prefixes, exclusions and OR', async () => {
    expect((await titles('"customer service"')).sort()).toEqual(['Customer service at the desk', 'Volunteers wanted']);
    expect(await titles('"service customer"')).toEqual([]);
    expect(await titles('volu*')).toEqual(['Volunteers wanted']);
    expect(await titles('cust* pledg*')).toEqual(['Our service pledge']);
    expect(await titles('customer -desk')).not.toContain('Customer service at the desk');
    expect((await titles('quokka OR volunteers')).sort()).toEqual(['Raw HTML <em>inside</em>', 'Volunteers wanted']);
  });

  it('never finds a draft, nor a scheduled post before its time', async () => {
    expect(await titles('zeppelins')).toEqual([]);
    expect((await search('zeppelins', 1, 10, new Date('2099-06-01T00:00:00Z'))).hits.map((h) => h.title)).toEqual(['Scheduled zeppelins']);
  });

  it('follows publishing, unpublishing and deleting at once', async () => {
    const id = await post({ title: 'Harpsichord recital', status: 'draft' });
    expect(await titles('harpsichord')).toEqual([]);
    await updatePostById(db.kysely, staff, id, { status: 'published' });
    expect(await titles('harpsichord')).toEqual(['Harpsichord recital']);
    await deletePostById(db.kysely, staff, id);
    expect(await titles('harpsichord')).toEqual([]);
  });

  it('finds approved comments only; spam leaves at once, restore brings it back, delete removes it', async () => {
    const approved = await addComment(ids.visit!, 'The marmalade sandwiches were wonderful.', 'approved', 'Paddington');
    await addComment(ids.visit!, 'Held marmalade opinion.', 'pending', 'Held');
    await addComment(ids.visit!, 'Spam marmalade offer.', 'spam', 'Spammer');
    expect(await titles('marmalade')).toEqual(['comment:Paddington']);
    const hit = (await search('marmalade')).hits[0]!;
    expect(hit.href).toBe(`/posts/tell-us-about-your-visit#comment-${approved}`);
    expect(hit.snippetHtml).toContain('<mark>marmalade</mark>');
    await setStatus(db.kysely, mod, approved, 'spam');
    expect(await titles('marmalade')).toEqual([]);
    await setStatus(db.kysely, mod, approved, 'approved');
    expect(await titles('marmalade')).toEqual(['comment:Paddington']);
    await deleteComment(db.kysely, mod, approved);
    expect(await titles('marmalade')).toEqual([]);
  });

  it('pages with a stable total', async () => {
    for (let i = 1; i <= 7; i++) await post({ title: `Knitting circle ${i}`, body: 'Wool.' });
    const first = await search('knitting', 1, 3);
    expect(first).toMatchObject({ total: 7, pages: 3 });
    const all = [first, await search('knitting', 2, 3), await search('knitting', 3, 3)].flatMap((r) => r.hits.map((h) => h.title));
    expect(new Set(all).size).toBe(7);
    expect((await search('knitting', 5, 3)).hits).toEqual([]);
  });

  it('answers every hostile query (and stop words alone) without an error', async () => {
    for (const q of [...HOSTILE_QUERIES, 'the', 'the and of', '"to be or not to be"', 'a*', "o'brien", 'don’t*']) {
      const result = await search(q);
      expect(['ok', 'no-terms', 'blank'], q).toContain(result.state);
      for (const hit of result.hits) expect(hit.snippetHtml.replace(/<\/?mark>/g, '')).not.toMatch(/[<>]/);
    }
  });
});
