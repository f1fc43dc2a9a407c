import { sql, type RawBuilder } from 'kysely';
import type { Executor } from './executor.js';
import { notHiddenDiscussion } from './discussion.js';

/**
 * The SQL behind search, one set of queries per dialect. Both take the same parsed query
 * (built by services/search.ts from what the visitor typed) and compile it themselves, so a
 * visitor's text never reaches either query language unquoted.
 *
 * Only published posts (and pages) and approved comments on published posts are ever
 * returned: the SQLite index holds nothing else (see migrations 0020/0021), and every query
 * below checks the status and the publication time again.
 */

/** One quoted run of words; several words make a phrase. Words hold letters, digits and marks only. */
export interface QueryClause {
  words: string[];
  /** The last word is a prefix ("libr*"). */
  prefix: boolean;
  negated: boolean;
}

/** Alternatives (OR) of clauses that must all hold (AND); every group has a positive clause. */
export type QueryGroups = QueryClause[][];

/** Where the visitor's match is highlighted in titles and snippets; escaped and replaced later. */
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';
export const ELLIPSIS = '…';

export interface RankedHit {
  kind: 'post' | 'comment';
  id: number;
  rank: number;
  total: number;
}

export interface PostHit {
  id: number;
  kind: 'post' | 'page';
  slug: string;
  title: string;
  published_at: string | null;
  author_display_name: string;
  title_marked: string;
  snippet_marked: string;
}

export interface CommentHit {
  id: number;
  post_slug: string;
  post_title: string;
  author_name: string;
  created_at: string;
  snippet_marked: string;
}

/** How much a comment's relevance counts against a post's (they are secondary to posts). */
const COMMENT_WEIGHT = 0.5;
const SNIPPET_TOKENS = 28;

// ---------------------------------------------------------------- SQLite (FTS5)

/** FTS5 query syntax: every clause a double-quoted string, so no operator can be smuggled in. */
export function fts5Match(groups: QueryGroups): string {
  const phrase = (c: QueryClause) => `"${c.words.join(' ')}"${c.prefix ? '*' : ''}`;
  return groups
    .map((group) => {
      const positive = group.filter((c) => !c.negated).map(phrase).join(' AND ');
      const negative = group.filter((c) => c.negated).map((c) => ` NOT ${phrase(c)}`).join('');
      return `(${positive}${negative})`;
    })
    .join(' OR ');
}

/** One page of hits, best first, with the number of hits in all. */
export async function sqliteRankedHits(db: Executor, match: string, now: string, limit: number, offset: number): Promise<RankedHit[]> {
  // bm25 is "smaller is better"; a title match weighs eight times a body match.
  const { rows } = await sql<RankedHit>`
    SELECT kind, id, rank, count(*) OVER () AS total FROM (
      SELECT 'post' AS kind, p.id AS id, bm25(posts_fts, 8.0, 1.0) AS rank
        FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid
       WHERE posts_fts MATCH ${match}
         AND p.status IN ('published', 'scheduled') AND p.published_at <= ${now}
      UNION ALL
      SELECT 'comment' AS kind, c.id AS id, bm25(comments_fts) * ${COMMENT_WEIGHT} AS rank
        FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid JOIN posts p ON p.id = c.post_id
       WHERE comments_fts MATCH ${match} AND c.status = 'approved'
         AND p.kind = 'post' AND p.status IN ('published', 'scheduled') AND p.published_at <= ${now}
         AND ${notHiddenDiscussion('p')}
    ) ORDER BY rank, id DESC LIMIT ${limit} OFFSET ${offset}`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id), rank: Number(r.rank), total: Number(r.total) }));
}

/**
 * Ids for an FTS5 rowid constraint, as integer literals. better-sqlite3 binds a JS number as
 * REAL, and FTS5 then drops `rowid = ?` beside MATCH: one bound id would read every match.
 * (They are ids the ranking query just returned, checked to be integers.)
 */
function rowids(ids: number[]) {
  return sql.join(
    ids.map((id) => {
      if (!Number.isSafeInteger(id)) throw new Error(`not a row id: ${id}`);
      return sql.lit(id);
    }),
  );
}

/** Titles and snippets, computed only for the posts on the page being shown. */
export async function sqlitePostHits(db: Executor, match: string, ids: number[]): Promise<PostHit[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<PostHit>`
    SELECT p.id, p.kind, p.slug, p.title, p.published_at, u.display_name AS author_display_name,
           highlight(posts_fts, 0, ${MARK_OPEN}, ${MARK_CLOSE}) AS title_marked,
           snippet(posts_fts, 1, ${MARK_OPEN}, ${MARK_CLOSE}, ${ELLIPSIS}, ${SNIPPET_TOKENS}) AS snippet_marked
      FROM posts_fts JOIN posts p ON p.id = posts_fts.rowid JOIN users u ON u.id = p.author_id
     WHERE posts_fts MATCH ${match} AND posts_fts.rowid IN (${rowids(ids)})`.execute(db);
  return rows;
}

export async function sqliteCommentHits(db: Executor, match: string, ids: number[]): Promise<CommentHit[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CommentHit>`
    SELECT c.id, p.slug AS post_slug, p.title AS post_title, c.author_name, c.created_at,
           snippet(comments_fts, 0, ${MARK_OPEN}, ${MARK_CLOSE}, ${ELLIPSIS}, ${SNIPPET_TOKENS}) AS snippet_marked
      FROM comments_fts JOIN comments c ON c.id = comments_fts.rowid JOIN posts p ON p.id = c.post_id
     WHERE comments_fts MATCH ${match} AND comments_fts.rowid IN (${rowids(ids)})`.execute(db);
  return rows;
}

// ---------------------------------------------------------------- PostgreSQL (tsvector)

/**
 * The parsed query as a tsquery expression built from parameters: plain words and phrases
 * through plainto/phraseto_tsquery (which accept any text), prefixes through to_tsquery with
 * each word single-quoted (words hold letters, digits and marks only).
 */
export function pgTsQuery(groups: QueryGroups): RawBuilder<unknown> {
  const clause = (c: QueryClause) => {
    if (c.prefix) return sql`to_tsquery('english', ${c.words.map((w) => `'${w}'`).join(' <-> ') + ':*'})`;
    if (c.words.length === 1) return sql`plainto_tsquery('english', ${c.words[0]})`;
    return sql`phraseto_tsquery('english', ${c.words.join(' ')})`;
  };
  const group = (g: QueryClause[]) =>
    sql`(${sql.join(
      g.map((c) => (c.negated ? sql`(!! ${clause(c)})` : sql`(${clause(c)})`)),
      sql` && `,
    )})`;
  return sql`(${sql.join(groups.map(group), sql` || `)})`;
}

export async function pgRankedHits(db: Executor, query: RawBuilder<unknown>, now: string, limit: number, offset: number): Promise<RankedHit[]> {
  // The stored vectors of migrations 0020/0021 (GIN-indexed). ts_rank weights are {D, C, B, A}:
  // title (A) 1.0, post body (B) 0.4, comment (unweighted, D) 0.2.
  const { rows } = await sql<RankedHit>`
    SELECT kind, id, rank, count(*) OVER () AS total FROM (
      SELECT 'post' AS kind, p.id AS id, ts_rank(s.vector, ${query}) AS rank
        FROM posts_search_index s JOIN posts p ON p.id = s.post_id
       WHERE s.vector @@ ${query}
         AND p.status IN ('published', 'scheduled') AND p.published_at <= ${now}
      UNION ALL
      SELECT 'comment' AS kind, s.comment_id AS id, ts_rank('{0.2, 0.2, 0.4, 1.0}', s.vector, ${query}) AS rank
        FROM comments_search_index s JOIN posts p ON p.id = s.post_id
       WHERE s.vector @@ ${query}
         AND p.kind = 'post' AND p.status IN ('published', 'scheduled') AND p.published_at <= ${now}
         AND EXISTS (SELECT 1 FROM comments c WHERE c.id = s.comment_id AND c.status = 'approved')
         AND ${notHiddenDiscussion('p')}
    ) hits ORDER BY rank DESC, id DESC LIMIT ${limit} OFFSET ${offset}`.execute(db);
  return rows.map((r) => ({ ...r, id: Number(r.id), rank: Number(r.rank), total: Number(r.total) }));
}

// Bodies go through lectern_search_text (migration 0061): the parser's time on some text grows
// with its square, and snippets are made at every search.
const HEADLINE = `StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}, MaxWords=35, MinWords=15, ShortWord=2, MaxFragments=2, FragmentDelimiter="  ${ELLIPSIS} "`;
const HEADLINE_ALL = `StartSel=${MARK_OPEN}, StopSel=${MARK_CLOSE}, HighlightAll=true`;

export async function pgPostHits(db: Executor, query: RawBuilder<unknown>, ids: number[]): Promise<PostHit[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<PostHit>`
    SELECT p.id, p.kind, p.slug, p.title, p.published_at, u.display_name AS author_display_name,
           ts_headline('english', p.title, ${query}, ${HEADLINE_ALL}) AS title_marked,
           ts_headline('english', lectern_search_text(p.body_md), ${query}, ${HEADLINE}) AS snippet_marked
      FROM posts p JOIN users u ON u.id = p.author_id
     WHERE p.id IN (${sql.join(ids)})`.execute(db);
  return rows;
}

export async function pgCommentHits(db: Executor, query: RawBuilder<unknown>, ids: number[]): Promise<CommentHit[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<CommentHit>`
    SELECT c.id, p.slug AS post_slug, p.title AS post_title, c.author_name, c.created_at,
           ts_headline('english', lectern_search_text(c.body_md), ${query}, ${HEADLINE}) AS snippet_marked
      FROM comments c JOIN posts p ON p.id = c.post_id
     WHERE c.id IN (${sql.join(ids)})`.execute(db);
  return rows;
}
