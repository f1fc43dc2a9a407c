import type { Executor } from '../data/executor.js';
import { listAuthorsForSitemap, listTermsForSitemap, listVisibleForSitemap } from '../data/sitemap.js';
import type { PostView } from './posts.js';

/**
 * Sharing and search engines: absolute URLs, the meta tags of a page (canonical, Open
 * Graph, Twitter card), JSON-LD for posts, and the sitemap protocol
 * (https://www.sitemaps.org/protocol.html).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML (or XML) character data and attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/**
 * Characters XML 1.0 forbids (C0 controls but tab/newline/return, U+FFFE/FFFF, lone
 * surrogates): one of them in a comment would make the whole feed unreadable.
 */
export const xmlSafe = (text: string) =>
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');

/** `baseUrl` has no trailing slash (config.ts); `path` starts with "/". */
export const absoluteUrl = (baseUrl: string, path: string) => baseUrl + path;

/** Site-relative links and images in stored HTML, made absolute for feeds and readers elsewhere. */
export function absolutizeHtml(html: string, baseUrl: string): string {
  return html.replace(/\b(href|src)="\/(?!\/)/g, (_, attr: string) => `${attr}="${baseUrl}/`);
}

/**
 * JSON for a `<script type="application/ld+json">` block: `<`, `>` and `&` as \u escapes so
 * a title holding "</script>" or "<!--" cannot end the block, and the line separators that
 * old parsers choke on.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The first image of a post, absolute, for link previews. */
export function firstImage(html: string, baseUrl: string): string | null {
  const src = /<img\b[^>]*?\bsrc="([^"]+)"/i.exec(html)?.[1];
  if (!src) return null;
  const url = src.replace(/&amp;/g, '&');
  if (url.startsWith('/') && !url.startsWith('//')) return absoluteUrl(baseUrl, url);
  return /^https?:\/\//i.test(url) ? url : null;
}

export interface SeoMeta {
  canonical: string;
  title: string;
  description: string;
  siteName: string;
  type: 'website' | 'article';
  image: string | null;
  /** e.g. "noindex, follow" for search results. */
  robots: string | null;
  article: { publishedTime: string | null; modifiedTime: string; author: string; section: string | null; tags: string[] } | null;
  /** Ready to print inside <script type="application/ld+json">. */
  jsonLd: string | null;
}

export interface SeoSite {
  baseUrl: string;
  siteName: string;
  tagline: string;
}

/** A page's meta: canonical URL, Open Graph and Twitter card. */
export function pageSeo(site: SeoSite, page: { path: string; title?: string; description?: string; robots?: string }): SeoMeta {
  return {
    canonical: absoluteUrl(site.baseUrl, page.path),
    title: page.title ?? site.siteName,
    description: page.description ?? site.tagline,
    siteName: site.siteName,
    type: 'website',
    image: null,
    robots: page.robots ?? null,
    article: null,
    jsonLd: null,
  };
}

/** A post's meta, with a schema.org BlogPosting (https://schema.org/BlogPosting). */
export function postSeo(site: SeoSite, post: PostView): SeoMeta {
  const url = absoluteUrl(site.baseUrl, `/posts/${encodeURIComponent(post.slug)}`);
  const authorUrl = absoluteUrl(site.baseUrl, `/author/${encodeURIComponent(post.author.username)}`);
  const image = firstImage(post.html, site.baseUrl);
  const description = post.excerpt || site.tagline;
  const keywords = post.tags.map((t) => t.name);
  const jsonLd = {
    '@context': 'https://schema.org',
    '@type': 'BlogPosting',
    '@id': url,
    url,
    mainEntityOfPage: url,
    headline: post.title,
    description,
    datePublished: post.published_at,
    dateModified: post.updated_at,
    author: { '@type': 'Person', name: post.author.display_name, url: authorUrl },
    publisher: { '@type': 'Organization', name: site.siteName, url: absoluteUrl(site.baseUrl, '/') },
    commentCount: post.comment_count,
    ...(post.categories[0] ? { articleSection: post.categories[0].name } : {}),
    ...(keywords.length ? { keywords: keywords.join(', ') } : {}),
    ...(image ? { image } : {}),
  };
  return {
    canonical: url,
    title: post.title,
    description,
    siteName: site.siteName,
    type: 'article',
    image,
    robots: null,
    article: {
      publishedTime: post.published_at,
      modifiedTime: post.updated_at,
      author: post.author.display_name,
      section: post.categories[0]?.name ?? null,
      tags: keywords,
    },
    jsonLd: jsonForScript(jsonLd),
  };
}

// ---------------------------------------------------------------- sitemaps

/** The protocol's limit per file (https://www.sitemaps.org/protocol.html#index). */
export const SITEMAP_MAX_URLS = 50_000;

export interface SitemapUrl {
  /** Site-relative path, starting with "/". */
  path: string;
  /** ISO timestamp, when known. */
  lastmod: string | null;
}

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const SITEMAP_NS = 'http://www.sitemaps.org/schemas/sitemap/0.9';

function entry(tag: 'url' | 'sitemap', loc: string, lastmod: string | null): string {
  return `  <${tag}><loc>${escapeHtml(loc)}</loc>${lastmod ? `<lastmod>${escapeHtml(lastmod)}</lastmod>` : ''}</${tag}>\n`;
}

export function renderUrlset(baseUrl: string, urls: SitemapUrl[]): string {
  const body = urls.map((u) => entry('url', absoluteUrl(baseUrl, u.path), u.lastmod)).join('');
  return `${XML_HEAD}<urlset xmlns="${SITEMAP_NS}">\n${body}</urlset>\n`;
}

export function renderSitemapIndex(baseUrl: string, files: { path: string; lastmod: string | null }[]): string {
  const body = files.map((f) => entry('sitemap', absoluteUrl(baseUrl, f.path), f.lastmod)).join('');
  return `${XML_HEAD}<sitemapindex xmlns="${SITEMAP_NS}">\n${body}</sitemapindex>\n`;
}

const later = (a: string | null, b: string | null) => (a && b ? (a > b ? a : b) : (a ?? b));

/** Every indexable address: home, archive, posts, pages, categories, tags and authors. */
export async function sitemapUrls(db: Executor, now = new Date()): Promise<SitemapUrl[]> {
  const iso = now.toISOString();
  const [posts, terms, authors] = await Promise.all([
    listVisibleForSitemap(db, iso),
    listTermsForSitemap(db, iso),
    listAuthorsForSitemap(db, iso),
  ]);
  const newestPost = posts.find((p) => p.kind === 'post')?.published_at ?? null;
  const urls: SitemapUrl[] = [
    { path: '/', lastmod: newestPost },
    { path: '/archive', lastmod: newestPost },
  ];
  for (const p of posts) {
    urls.push({ path: `/${p.kind === 'page' ? 'pages' : 'posts'}/${encodeURIComponent(p.slug)}`, lastmod: later(p.published_at, p.updated_at) });
  }
  for (const t of terms) urls.push({ path: `/${t.kind}/${encodeURIComponent(t.slug)}`, lastmod: t.lastmod ?? null });
  for (const a of authors) urls.push({ path: `/author/${encodeURIComponent(a.username)}`, lastmod: a.lastmod ?? null });
  return urls;
}

export const sitemapPartPath = (n: number) => `/sitemap-${n}.xml`;

const newest = (urls: SitemapUrl[]) => urls.reduce<string | null>((max, u) => (u.lastmod && (!max || u.lastmod > max) ? u.lastmod : max), null);

/**
 * `/sitemap.xml` as the protocol wants it: one urlset while the site fits in one file,
 * else an index of `/sitemap-N.xml` parts of at most `perFile` URLs each.
 */
export function planSitemap(urls: SitemapUrl[], perFile = SITEMAP_MAX_URLS): { parts: SitemapUrl[][]; index: { path: string; lastmod: string | null }[] | null } {
  if (urls.length <= perFile) return { parts: [urls], index: null };
  const parts: SitemapUrl[][] = [];
  for (let i = 0; i < urls.length; i += perFile) parts.push(urls.slice(i, i + perFile));
  return { parts, index: parts.map((part, i) => ({ path: sitemapPartPath(i + 1), lastmod: newest(part) })) };
}

export function robotsTxt(baseUrl: string): string {
  return [
    'User-agent: *',
    'Disallow: /admin/',
    'Disallow: /api/',
    // Result pages are endless and thin; the posts themselves are in the sitemap.
    'Disallow: /search',
    '',
    `Sitemap: ${absoluteUrl(baseUrl, '/sitemap.xml')}`,
    '',
  ].join('\n');
}
