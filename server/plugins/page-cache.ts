import { createHash } from 'node:crypto';
import fp from 'fastify-plugin';
import { CompiledQuery, sql } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../db/connect.js';
import { loadSettings } from '../services/settings.js';
import { nextCommentsCloseAt } from '../data/discussion.js';

/**
 * Rendered pages for anonymous readers, kept in memory (issue 9).
 *
 * What may be cached: a GET or HEAD of one of the public read routes below, by a visitor
 * with no session, no API token, no held-comment (`lectern_own`) and no remembered-commenter
 * (`lectern_commenter`) cookie, with no query string but `?page=N`; and only a 200 answer
 * that sets no cookie and does not say `private` or `no-store` (a page that printed a CSRF
 * token says so: plugins/views.ts). Everyone else gets the route as before.
 *
 * When a stored page is still right: triggers bump `content_version` on every write a public
 * page can show (migration 0070), in the writer's transaction. Each request reads that
 * counter, one primary-key lookup, before anything else; a page is served only if it was
 * rendered at the value read now. The counter lives in the database, so every instance
 * sharing it (PostgreSQL) drops its pages on its very next request after the commit, and the
 * same instance does so at once. A rendering started before a write and finished after it is
 * stored under the old value and so never served.
 *
 * Time moves pages too, with no write: a scheduled post goes live at its date and comments
 * close `close_after_days` after publication. At each new counter value the plugin asks the
 * database for the next such moment and treats it as another bump. Pages are also rendered
 * afresh after `maxAgeMs` whatever happens, as a bound on anything time-dependent.
 *
 * HTTP: stored pages carry a strong ETag (a hash of the bytes) and
 * `Cache-Control: public, max-age=0, must-revalidate`, so browsers and proxies revalidate
 * and get a 304; `Vary: Cookie`, as the same URL differs for a signed-in reader, who gets
 * `private, no-cache`.
 */

/** The public read routes, by their route pattern. */
export const CACHEABLE_ROUTES: ReadonlySet<string> = new Set([
  '/',
  '/posts/:slug',
  '/posts/:slug/summary',
  '/pages/:slug',
  '/category/:slug',
  '/tag/:slug',
  '/author/:username',
  '/archive',
  '/:year(^\\d{4}$)/:month(^\\d{2}$)',
  '/api/v1/posts',
  '/api/v1/posts/:slug',
]);

/** Cookies that make a page personal: the session, the visitor's own held comments, a remembered name. */
export const PERSONAL_COOKIES = ['lectern_session', 'lectern_own', 'lectern_commenter'] as const;

const ALLOWED_QUERY = /^page=\d{1,6}$/;

export interface PageCacheOptions {
  /** Bytes of stored bodies before the least recently used go; default 64 MB. */
  maxBytes?: number;
  /** Even with no write, a page is rendered again after this long; default 5 minutes. */
  maxAgeMs?: number;
}

interface Entry {
  body: Buffer;
  contentType: string;
  etag: string;
  generation: number;
}

interface Miss {
  key: string;
  generation: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    pageCache: PageCache;
  }
}

const VERSION_SQL = 'select version from content_version where id = 1';

type VersionRead = () => number | Promise<number>;

/**
 * How the counter is read. SQLite: a prepared statement on a read-only connection of its own
 * to the same file, a synchronous call of a few microseconds (WAL: it sees every commit of the
 * app's connection from the next statement on). PostgreSQL, or an in-memory SQLite: a query
 * through Kysely.
 */
async function versionReader(db: Db): Promise<{ read: VersionRead; close: () => void }> {
  if (db.dialect === 'sqlite') {
    const { rows } = await sql<{ file: string }>`select file from pragma_database_list where name = 'main'`.execute(db.kysely);
    const file = rows[0]?.file;
    if (file) {
      const SQLite = (await import('better-sqlite3')).default;
      const connection = new SQLite(file, { readonly: true, fileMustExist: true });
      connection.pragma('busy_timeout = 5000');
      const statement = connection.prepare<[], { version: number | bigint }>(VERSION_SQL);
      return { read: () => Number(statement.get()?.version ?? NaN), close: () => connection.close() };
    }
  }
  const query = CompiledQuery.raw(VERSION_SQL);
  return {
    read: async () => Number((await db.kysely.executeQuery<{ version: string | number }>(query)).rows[0]?.version ?? NaN),
    close: () => {},
  };
}

/**
 * The local generation: moves when the database counter moves (or time crosses a boundary).
 * Entries are labelled with the generation of the request that rendered them.
 */
class ContentClock {
  private version = -1;
  private generation = 0;
  private validUntil = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly read: VersionRead,
    private readonly maxAgeMs: number,
  ) {}

  /** The generation now, or null when nothing may be cached or served; synchronous on SQLite. */
  current(): number | null | Promise<number | null> {
    const version = this.read();
    return typeof version === 'number' ? this.decide(version) : version.then((v) => this.decide(v));
  }

  private decide(version: number): number | null | Promise<number | null> {
    if (!Number.isFinite(version)) return null;
    // A read that began before a commit another request already saw: answer it uncached.
    if (version < this.version) return null;
    if (version > this.version || Date.now() >= this.validUntil) return this.advance(version);
    return this.generation;
  }

  private async advance(version: number): Promise<number | null> {
    this.refreshing ??= (async () => {
      const now = new Date();
      const boundary = await nextTimeBoundary(this.db, now);
      this.generation += 1;
      this.version = Math.max(this.version, version);
      this.validUntil = Math.min(boundary ?? Infinity, now.getTime() + this.maxAgeMs);
    })().finally(() => (this.refreshing = null));
    await this.refreshing;
    return version === this.version ? this.generation : null;
  }

  isCurrent(generation: number): boolean {
    return generation === this.generation;
  }
}

/**
 * The next moment a page changes by itself: a scheduled post or page going live, or the
 * comment form closing on a post `close_after_days` after publication or at its
 * `comments_close_at`.
 */
async function nextTimeBoundary(db: Db, now: Date): Promise<number | null> {
  const k = db.kysely;
  const scheduled = await k
    .selectFrom('posts')
    .select((eb) => eb.fn.min('published_at').as('at'))
    .where('kind', 'in', ['post', 'page'])
    .where('status', '=', 'scheduled')
    // One already due is on the pages now (the listings show due posts before the scheduler flips them).
    .where('published_at', '>', now.toISOString())
    .executeTakeFirst();
  let next = scheduled?.at ? Date.parse(scheduled.at) : Infinity;
  const { close_after_days: days } = await loadSettings(k);
  if (days > 0) {
    const sinceIso = new Date(now.getTime() - days * 86_400_000).toISOString();
    const open = await k
      .selectFrom('posts')
      .select((eb) => eb.fn.min('published_at').as('at'))
      .where('kind', '=', 'post')
      .where('status', 'in', ['published', 'scheduled'])
      .where('published_at', '>', sinceIso)
      .executeTakeFirst();
    if (open?.at) next = Math.min(next, Date.parse(open.at) + days * 86_400_000);
  }
  // A post's own closing date (services/discussion.ts): the form goes at that moment.
  const closing = await nextCommentsCloseAt(k, now.toISOString());
  if (closing) next = Math.min(next, Date.parse(closing));
  return Number.isFinite(next) ? next : null;
}

/** Least recently used first, by insertion order of a Map. */
export class PageCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, entry: Entry): void {
    this.delete(key);
    if (entry.body.length > this.maxBytes / 4) return;
    this.entries.set(key, entry);
    this.bytes += entry.body.length;
    for (const [oldKey] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(oldKey);
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.length;
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A request whose answer is the same for every anonymous reader. */
function cacheKey(request: FastifyRequest): string | null {
  if (request.method !== 'GET' && request.method !== 'HEAD') return null;
  const route = request.routeOptions.url;
  if (route === undefined || !CACHEABLE_ROUTES.has(route)) return null;
  const url = request.url;
  const q = url.indexOf('?');
  if (q >= 0 && !ALLOWED_QUERY.test(url.slice(q + 1))) return null;
  return url;
}

function isAnonymous(request: FastifyRequest): boolean {
  if (request.headers.authorization !== undefined) return false;
  const cookies = request.cookies;
  return !PERSONAL_COOKIES.some((name) => cookies[name] !== undefined);
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim().replace(/^W\//, '');
    return t === etag || t === '*';
  });
}

function addVary(reply: FastifyReply, value: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined) reply.header('vary', value);
  else if (!String(current).toLowerCase().split(/\s*,\s*/).includes(value.toLowerCase())) reply.header('vary', `${String(current)}, ${value}`);
}

const PUBLIC_CACHE_CONTROL = 'public, max-age=0, must-revalidate';
const kMiss = Symbol('page-cache-miss');

export default fp<PageCacheOptions>(
  async (app, opts) => {
    const cache = new PageCache(opts.maxBytes ?? 64 * 1024 * 1024);
    const reader = await versionReader(app.db);
    const clock = new ContentClock(app.db, reader.read, opts.maxAgeMs ?? 5 * 60_000);
    app.decorate('pageCache', cache);

    const serve = (request: FastifyRequest, reply: FastifyReply, key: string, generation: number | null): boolean => {
      if (generation === null) return false;
      const entry = cache.get(key);
      if (entry && entry.generation === generation) {
        cache.hits += 1;
        reply.header('etag', entry.etag).header('cache-control', PUBLIC_CACHE_CONTROL).header('x-page-cache', 'hit');
        if (matchesEtag(request, entry.etag)) reply.code(304).send();
        else reply.type(entry.contentType).send(entry.body);
        return true;
      }
      cache.misses += 1;
      (request as unknown as Record<symbol, Miss>)[kMiss] = { key, generation };
      return false;
    };

    // A callback hook: on SQLite a hit is answered with no promise in the way.
    app.addHook('onRequest', (request, reply, done) => {
      const key = cacheKey(request);
      if (key === null) return done();
      addVary(reply, 'Cookie');
      if (!isAnonymous(request)) {
        reply.header('cache-control', 'private, no-cache');
        return done();
      }
      const fail = (err: unknown) => {
        // The route will meet the same database trouble and answer for it.
        request.log.warn({ err }, 'page cache: could not read the content version');
        done();
      };
      let generation: ReturnType<ContentClock['current']>;
      try {
        generation = clock.current();
      } catch (err) {
        return fail(err);
      }
      if (generation instanceof Promise) {
        generation.then((g) => {
          if (!serve(request, reply, key, g)) done();
        }, fail);
      } else if (!serve(request, reply, key, generation)) {
        done();
      }
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const miss = (request as unknown as Record<symbol, Miss | undefined>)[kMiss];
      if (!miss) return payload;
      const cacheControl = String(reply.getHeader('cache-control') ?? '');
      const storable =
        reply.statusCode === 200 &&
        request.user === null &&
        reply.getHeader('set-cookie') === undefined &&
        !/private|no-store/i.test(cacheControl) &&
        (typeof payload === 'string' || Buffer.isBuffer(payload));
      if (!storable) return payload;
      const body = typeof payload === 'string' ? Buffer.from(payload) : (payload as Buffer);
      const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
      const contentType = String(reply.getHeader('content-type') ?? 'text/html; charset=utf-8');
      if (request.method === 'GET' && clock.isCurrent(miss.generation)) cache.set(miss.key, { body, contentType, etag, generation: miss.generation });
      reply.header('etag', etag).header('cache-control', PUBLIC_CACHE_CONTROL).header('x-page-cache', 'miss');
      if (matchesEtag(request, etag)) {
        reply.code(304);
        return null;
      }
      return body;
    });

    app.addHook('onClose', async () => {
      cache.clear();
      reader.close();
    });
  },
  { name: 'lectern-page-cache', dependencies: ['lectern-context', '@fastify/cookie'] },
);

// Used by tests and the benchmark to read the counter the way the plugin does.
export async function readContentVersion(db: Db): Promise<number> {
  const { rows } = await sql<{ version: string | number }>`select version from content_version where id = 1`.execute(db.kysely);
  return Number(rows[0]?.version ?? NaN);
}
