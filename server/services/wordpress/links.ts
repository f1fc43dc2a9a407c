import type { Executor } from '../../data/executor.js';
import { findByWpId, findByWpSlug, findUsernameByWpId, findUsernameByWpLogin, type MappedPost } from '../../data/wordpress.js';
import { isPubliclyVisible } from '../posts.js';
import { decodeSlug } from './items.js';

/**
 * Where an old WordPress address lives now (issue 7). Used twice: by the public redirects
 * (only to what the public may see) and by the import, which rewrites links between
 * imported posts to their new addresses.
 */

export const postPath = (post: Pick<MappedPost, 'kind' | 'slug'>) =>
  `/${post.kind === 'page' ? 'pages' : 'posts'}/${encodeURIComponent(post.slug)}`;

/** Old uploads live under /uploads/wp/ once wp-content/uploads is copied there (docs/backup.md). */
export const UPLOADS_PREFIX = '/uploads/wp/';

/** Posts being imported in the current batch, not yet in the database. */
export interface LocalPosts {
  byWpId(wpId: number): string | null;
  bySlug(wpSlug: string, date: string | undefined, type: 'post' | 'page' | undefined): string | null;
}

export interface ResolveOptions {
  /** Redirects answer only with what the public may see; the import links to anything. */
  publicOnly: boolean;
  now?: Date;
  local?: LocalPosts;
}

function pick(posts: MappedPost[], options: ResolveOptions, date?: string): MappedPost | null {
  const usable = options.publicOnly ? posts.filter((p) => isPubliclyVisible(p, options.now)) : posts;
  if (date) {
    const sameDate = usable.find((p) => p.wp_date.startsWith(date));
    if (sameDate) return sameDate;
  }
  return usable[0] ?? null;
}

export async function resolvePostByWpId(db: Executor, wpId: number, options: ResolveOptions): Promise<string | null> {
  const local = options.local?.byWpId(wpId);
  if (local) return local;
  const post = await findByWpId(db, wpId);
  if (!post) return null;
  return pick([post], options) ? postPath(post) : null;
}

/** /2025/04/29/slug, /2025/04/slug and /slug (pages, or a /%postname%/ permalink structure). */
export async function resolvePostBySlug(
  db: Executor,
  rawSlug: string,
  options: ResolveOptions & { date?: string; type?: 'post' | 'page' },
): Promise<string | null> {
  const slug = decodeSlug(rawSlug);
  if (!slug) return null;
  const local = options.local?.bySlug(slug, options.date, options.type);
  if (local) return local;
  const mapped = pick(await findByWpSlug(db, slug, options.type ?? null), options, options.date);
  return mapped ? postPath(mapped) : null;
}

export async function resolveAuthor(db: Executor, login: string | number): Promise<string | null> {
  const row = typeof login === 'number' ? await findUsernameByWpId(db, login) : await findUsernameByWpLogin(db, decodeSlug(login));
  return row ? `/author/${encodeURIComponent(row.username)}` : null;
}

const termPath = (kind: 'category' | 'tag', slug: string) => `/${kind}/${encodeURIComponent(decodeSlug(slug))}`;

/**
 * An old path (with its query) → the new path, or null when there is nothing to point at.
 * Covers WordPress's default and date-based permalinks, pages, terms, authors, feeds and uploads.
 */
/** A WordPress id as a number the database can compare, or null (too large ids match nothing). */
export function wpIdOf(text: string | null): number | null {
  if (!text || !/^\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n <= 2_147_483_647 ? n : null;
}

export async function resolveOldPath(db: Executor, pathname: string, search: URLSearchParams, options: ResolveOptions): Promise<string | null> {
  const p = search.get('p') ?? search.get('page_id');
  if (p && /^\d+$/.test(p)) {
    const id = wpIdOf(p);
    return id === null ? null : resolvePostByWpId(db, id, options);
  }
  const segments = pathname.split('/').filter(Boolean);
  if (segments.length === 0) {
    const cat = search.get('category_name');
    if (cat) return termPath('category', cat);
    const tag = search.get('tag');
    if (tag) return termPath('tag', tag);
    const author = wpIdOf(search.get('author'));
    if (author !== null) return resolveAuthor(db, author);
    const s = search.get('s');
    if (s !== null) return `/search?q=${encodeURIComponent(s)}`;
    if (search.get('feed')) return '/feed.xml';
    return null;
  }
  const [first, second, third, fourth] = segments;
  if (first === 'wp-content' && second === 'uploads') return UPLOADS_PREFIX + segments.slice(2).join('/');
  if (first === 'feed' && segments.length === 1) return '/feed.xml';
  if (first === 'comments' && second === 'feed') return '/comments/feed.xml';
  if ((first === 'category' || first === 'tag') && segments.length >= 2) {
    // Nested categories (/category/events/story-time/): the last one is the category.
    return termPath(first, segments[segments.length - 1]!);
  }
  if (first === 'author' && second) return resolveAuthor(db, second);
  if (/^\d{4}$/.test(first!) && /^\d{2}$/.test(second ?? '')) {
    if (third && /^\d{2}$/.test(third) && fourth) return resolvePostBySlug(db, fourth, { ...options, date: `${first}-${second}-${third}`, type: 'post' });
    if (third && !/^\d{2}$/.test(third)) return resolvePostBySlug(db, third, { ...options, date: `${first}-${second}`, type: 'post' });
    return null;
  }
  // A page (/about/, /parent/child/) or a post under /%postname%/.
  return resolvePostBySlug(db, segments[segments.length - 1]!, options);
}

/** Every address of the old site in a text: http or https, with or without www. */
export function oldSiteUrlPattern(base: string): RegExp | null {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return null;
  }
  const host = url.host.replace(/^www\./, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const path = url.pathname.replace(/\/+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`https?://(?:www\\.)?${host}${path}(/[^\\s)"'<>\\]]*)?`, 'gi');
}

/**
 * Rewrites links to the old site in Markdown (or HTML) to the addresses the content has now.
 * Addresses nothing was imported for are left as they were.
 */
export async function rewriteOldLinks(text: string, pattern: RegExp, resolve: (pathWithQuery: string) => Promise<string | null>): Promise<string> {
  const found = new Map<string, string | null>();
  for (const m of text.matchAll(pattern)) {
    if (!found.has(m[0])) found.set(m[0], await resolve(m[1] ?? '/'));
  }
  if (![...found.values()].some((v) => v !== null)) return text;
  return text.replace(pattern, (whole, rest: string | undefined) => {
    const target = found.get(whole);
    if (!target) return whole;
    // A fragment (#comment-12, #section) stays with the link.
    const hash = (rest ?? '').includes('#') ? (rest ?? '').slice((rest ?? '').indexOf('#')) : '';
    return target + (hash && !target.includes('#') ? hash : '');
  });
}
