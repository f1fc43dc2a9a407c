import type { Db } from '../db/connect.js';
import type { Executor } from '../data/executor.js';
import {
  MARK_CLOSE,
  MARK_OPEN,
  fts5Match,
  pgCommentHits,
  pgPostHits,
  pgRankedHits,
  pgTsQuery,
  sqliteCommentHits,
  sqlitePostHits,
  sqliteRankedHits,
  type CommentHit,
  type PostHit,
  type QueryClause,
  type QueryGroups,
  type RankedHit,
} from '../data/search.js';
import { escapeHtml } from './seo.js';

/**
 * Site search (product.md `GET /search?q=`): published posts and approved comments, ranked,
 * with highlighted snippets. What the visitor types is parsed here once, into a small
 * language every backend compiles for itself:
 *   words            all must appear (stemmed: "libraries" finds "library")
 *   "a phrase"       the words in this order
 *   word*            a prefix
 *   -word, NOT word  must not appear
 *   a OR b           either side
 * Anything else (brackets, NEAR, column filters, stray quotes) is just punctuation.
 */

export type { QueryClause, QueryGroups };

export interface ParsedQuery {
  groups: QueryGroups;
}

/** Longer input is cut, not refused: a pasted paragraph still searches its beginning. */
export const QUERY_LIMITS = { chars: 300, clauses: 12, phraseWords: 12 };

const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;
const CHUNK = /(-?)"([^"]*)"?(\*?)|[^\s"]+/gu;

function clauseFrom(text: string, prefix: boolean, negated: boolean): QueryClause | null {
  const words = (text.toLowerCase().match(WORD) ?? []).slice(0, QUERY_LIMITS.phraseWords);
  if (words.length === 0) return null;
  // A one-letter prefix would match half the dictionary; it is searched as a word.
  return { words, prefix: prefix && words.at(-1)!.length >= 2, negated };
}

export function parseQuery(raw: string): ParsedQuery {
  const text = raw.normalize('NFKC').slice(0, QUERY_LIMITS.chars);
  const groups: QueryClause[][] = [[]];
  let negateNext = false;
  let clauses = 0;
  for (const match of text.matchAll(CHUNK)) {
    if (clauses >= QUERY_LIMITS.clauses) break;
    let clause: QueryClause | null;
    if (match[2] !== undefined) {
      clause = clauseFrom(match[2], match[3] === '*', match[1] === '-' || negateNext);
    } else {
      const chunk = match[0];
      if (chunk === 'OR') {
        if (groups.at(-1)!.length > 0) groups.push([]);
        negateNext = false;
        continue;
      }
      if (chunk === 'AND') continue;
      if (chunk === 'NOT') {
        negateNext = true;
        continue;
      }
      const negated = negateNext || (chunk.startsWith('-') && chunk.length > 1);
      clause = clauseFrom(chunk, chunk.endsWith('*'), negated);
    }
    negateNext = false;
    if (clause) {
      groups.at(-1)!.push(clause);
      clauses += 1;
    }
  }
  // A group of exclusions only ("-cats") has nothing to look for.
  return { groups: groups.filter((g) => g.some((c) => !c.negated)) };
}

/** One way in, two engines: SQLite FTS5 and PostgreSQL full-text search. */
export interface SearchBackend {
  /** One page of hits, best first; `total` counts them all. */
  rank(db: Executor, query: ParsedQuery, now: string, limit: number, offset: number): Promise<RankedHit[]>;
  /** Titles and snippets with the matches marked by MARK_OPEN / MARK_CLOSE. */
  posts(db: Executor, query: ParsedQuery, ids: number[]): Promise<PostHit[]>;
  comments(db: Executor, query: ParsedQuery, ids: number[]): Promise<CommentHit[]>;
}

export const sqliteSearch: SearchBackend = {
  rank: (db, q, now, limit, offset) => sqliteRankedHits(db, fts5Match(q.groups), now, limit, offset),
  posts: (db, q, ids) => sqlitePostHits(db, fts5Match(q.groups), ids),
  comments: (db, q, ids) => sqliteCommentHits(db, fts5Match(q.groups), ids),
};

export const postgresSearch: SearchBackend = {
  rank: (db, q, now, limit, offset) => pgRankedHits(db, pgTsQuery(q.groups), now, limit, offset),
  posts: (db, q, ids) => pgPostHits(db, pgTsQuery(q.groups), ids),
  comments: (db, q, ids) => pgCommentHits(db, pgTsQuery(q.groups), ids),
};

export const searchBackendFor = (db: Pick<Db, 'dialect'>): SearchBackend => (db.dialect === 'postgres' ? postgresSearch : sqliteSearch);

// ---------------------------------------------------------------- presentation

/**
 * Markdown syntax reads poorly in a snippet; the words stay. Raw HTML tags are dropped only
 * from posts, where staff may write them; in a comment, "<b>" is what the commenter typed
 * and what the page shows.
 */
function plainish(text: string, source: SnippetSource): string {
  if (source === 'title') return text;
  return (source === 'post' ? text.replace(/<\/?[a-z][^>\n]*>/gi, ' ') : text)
    .replace(/!?\[([^\]\n]*)\]\([^)\n]*\)/g, '$1')
    .replace(/\]\([^)\n]*\)/g, '')
    .replace(/(^|\n)\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/g, '$1')
    .replace(/(\*\*|__|`+|~~)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * The marked text as HTML: everything escaped, then our own markers (and only them) turned
 * into <mark>. Markers are paired by state, so a stray marker character in what someone
 * wrote cannot produce an unbalanced tag.
 */
export type SnippetSource = 'title' | 'post' | 'comment';

export function highlightHtml(marked: string, source: SnippetSource): string {
  let open = false;
  let out = '';
  for (const piece of plainish(marked, source).split(/([\uE000\uE001])/u)) {
    if (piece === MARK_OPEN) {
      if (!open) out += '<mark>';
      open = true;
    } else if (piece === MARK_CLOSE) {
      if (open) out += '</mark>';
      open = false;
    } else {
      out += escapeHtml(piece);
    }
  }
  return open ? out + '</mark>' : out;
}

export interface SearchHit {
  kind: 'post' | 'page' | 'comment';
  /** Site-relative link to the post, page or comment anchor. */
  href: string;
  title: string;
  /** Safe HTML: escaped text with <mark> around the matches. */
  titleHtml: string;
  snippetHtml: string;
  date: string | null;
  /** The post's author, or the commenter's name. */
  byline: string;
}

export type SearchState = 'blank' | 'no-terms' | 'ok';

export interface SearchResults {
  /** What was typed, for the form to show again (always printed escaped). */
  query: string;
  state: SearchState;
  hits: SearchHit[];
  total: number;
  page: number;
  perPage: number;
  pages: number;
}

function toHit(ranked: RankedHit, posts: Map<number, PostHit>, comments: Map<number, CommentHit>): SearchHit | null {
  if (ranked.kind === 'post') {
    const p = posts.get(ranked.id);
    if (!p) return null;
    return {
      kind: p.kind,
      href: `/${p.kind === 'page' ? 'pages' : 'posts'}/${encodeURIComponent(p.slug)}`,
      title: p.title,
      titleHtml: highlightHtml(p.title_marked, 'title'),
      snippetHtml: highlightHtml(p.snippet_marked, 'post'),
      date: p.published_at,
      byline: p.author_display_name,
    };
  }
  const c = comments.get(ranked.id);
  if (!c) return null;
  return {
    kind: 'comment',
    href: `/posts/${encodeURIComponent(c.post_slug)}#comment-${c.id}`,
    title: c.post_title,
    titleHtml: escapeHtml(c.post_title),
    snippetHtml: highlightHtml(c.snippet_marked, 'comment'),
    date: c.created_at,
    byline: c.author_name,
  };
}

/** Reads a `q` parameter however it arrived (missing, repeated, not text). */
export function queryText(value: unknown): string {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : '';
}

export async function searchSite(
  db: Pick<Db, 'kysely' | 'dialect'>,
  rawQuery: string,
  page: number,
  perPage: number,
  now = new Date(),
): Promise<SearchResults> {
  const query = rawQuery.trim();
  const empty = (state: SearchState): SearchResults => ({ query, state, hits: [], total: 0, page, perPage, pages: 1 });
  if (!query) return empty('blank');
  const parsed = parseQuery(query);
  if (parsed.groups.length === 0) return empty('no-terms');

  const backend = searchBackendFor(db);
  const iso = now.toISOString();
  const ranked = await backend.rank(db.kysely, parsed, iso, perPage, (page - 1) * perPage);
  // Past the last page there is no row to carry the total; ask for it.
  const total = ranked[0]?.total ?? (page > 1 ? ((await backend.rank(db.kysely, parsed, iso, 1, 0))[0]?.total ?? 0) : 0);
  const idsOf = (kind: RankedHit['kind']) => ranked.filter((r) => r.kind === kind).map((r) => r.id);
  const [posts, comments] = await Promise.all([
    backend.posts(db.kysely, parsed, idsOf('post')),
    backend.comments(db.kysely, parsed, idsOf('comment')),
  ]);
  const postMap = new Map(posts.map((p) => [p.id, p]));
  const commentMap = new Map(comments.map((c) => [c.id, c]));
  const hits = ranked.map((r) => toHit(r, postMap, commentMap)).filter((h): h is SearchHit => h !== null);
  return { query, state: 'ok', hits, total, page, perPage, pages: Math.max(1, Math.ceil(total / perPage)) };
}
