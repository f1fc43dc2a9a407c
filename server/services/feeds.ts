import { Feed, type Item } from 'feed';
import type { Executor } from '../data/executor.js';
import { listRecentApprovedComments } from '../data/feeds.js';
import type { TermKind } from '../db/schema.js';
import { listPublicPosts, type PostView } from './posts.js';
import { absoluteUrl, absolutizeHtml, escapeHtml, xmlSafe } from './seo.js';
import type { SiteSettings } from './settings.js';

/**
 * RSS 2.0 and Atom feeds (product.md: posts, all approved comments, one post's comments;
 * issue 6: per category, tag and author too), built with the `feed` package. Every URL is
 * absolute, from BASE_URL. The output depends only on the data, never on the clock, so the
 * same data gives the same bytes and the same ETag.
 */

export type FeedFormat = 'rss' | 'atom';

export const FEED_SIZE = { posts: 20, comments: 30 };

export const FEED_TYPES: Record<FeedFormat, string> = {
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
};

const EXTENSION: Record<FeedFormat, string> = { rss: 'xml', atom: 'atom' };

/** What a posts feed covers. */
export type PostScope =
  | { kind: 'site' }
  | { kind: TermKind; slug: string; name: string; termId: number }
  | { kind: 'author'; username: string; displayName: string; userId: number };

export interface FeedContext {
  baseUrl: string;
  site: Pick<SiteSettings, 'site_name' | 'tagline'>;
  now?: Date;
}

export interface BuiltFeed {
  xml: string;
  contentType: string;
  /** The newest change among the items; null for an empty feed. */
  lastModified: Date | null;
}

/** Where a listing (or the site) lives and where its feed is. */
function scopePath(scope: PostScope): string {
  switch (scope.kind) {
    case 'site':
      return '';
    case 'author':
      return `/author/${encodeURIComponent(scope.username)}`;
    default:
      return `/${scope.kind}/${encodeURIComponent(scope.slug)}`;
  }
}

export const postsFeedPath = (scope: PostScope, format: FeedFormat) => `${scopePath(scope)}/feed.${EXTENSION[format]}`;

export const commentsFeedPath = (post: { slug: string } | null, format: FeedFormat) =>
  `${post ? `/posts/${encodeURIComponent(post.slug)}` : '/comments'}/feed.${EXTENSION[format]}`;

function scopeTitle(scope: PostScope, siteName: string): string {
  switch (scope.kind) {
    case 'site':
      return siteName;
    case 'category':
      return `${siteName} » ${scope.name}`;
    case 'tag':
      return `${siteName} » Tagged ${scope.name}`;
    case 'author':
      return `${siteName} » Posts by ${scope.displayName}`;
  }
}

/** A link for the page head (autodiscovery); the layout puts the site name before the title. */
export interface FeedLink {
  title: string;
  href: string;
  type: string;
}

function scopeLinkTitle(scope: PostScope): string {
  switch (scope.kind) {
    case 'site':
      return 'Feed';
    case 'category':
      return `${scope.name} Category Feed`;
    case 'tag':
      return `${scope.name} Tag Feed`;
    case 'author':
      return `Posts by ${scope.displayName} Feed`;
  }
}

export const postsFeedLink = (scope: PostScope): FeedLink => ({
  title: scopeLinkTitle(scope),
  href: postsFeedPath(scope, 'rss'),
  type: FEED_TYPES.rss,
});

export const commentsFeedLink = (post: { slug: string; title: string }): FeedLink => ({
  title: `“${post.title}” Comments Feed`,
  href: commentsFeedPath(post, 'rss'),
  type: FEED_TYPES.rss,
});

const newest = (dates: Date[]): Date | null => (dates.length ? new Date(Math.max(...dates.map((d) => d.getTime()))) : null);

function newFeed(ctx: FeedContext, format: FeedFormat, opts: { title: string; description: string; pagePath: string; feedPath: (f: FeedFormat) => string; updated: Date | null }) {
  const link = absoluteUrl(ctx.baseUrl, opts.pagePath || '/');
  // RSS readers render a channel's title and description as HTML, like its items' (issue 5):
  // escaped once, so a site, term, author or post name holding markup stays text.
  const text = (value: string) => (format === 'rss' ? htmlTitle(value) : xmlSafe(value));
  return new Feed({
    title: text(opts.title),
    description: text(opts.description),
    id: link,
    link,
    language: 'en',
    // An empty feed still needs a stable date, or every request would differ.
    updated: opts.updated ?? new Date(0),
    generator: 'Lectern',
    feedLinks: { [format]: absoluteUrl(ctx.baseUrl, opts.feedPath(format)) },
    copyright: '',
  });
}

/** Post and comment titles are text; both formats carry them as HTML, so they are escaped once. */
const htmlTitle = (text: string) => escapeHtml(xmlSafe(text));

/**
 * RSS wants an email in <author>, which commenters must never have published: names go
 * in <dc:creator> there, and in Atom's <author><name>.
 */
function byline(format: FeedFormat, name: string, link?: string): Pick<Item, 'author' | 'extensions'> {
  const clean = xmlSafe(name);
  return format === 'atom'
    ? { author: [{ name: clean, ...(link ? { link } : {}) }] }
    : { extensions: [{ name: 'dc:creator', objects: { _text: clean } }] };
}

function finish(feed: Feed, format: FeedFormat, lastModified: Date | null): BuiltFeed {
  return {
    xml: format === 'atom' ? feed.atom1() : feed.rss2(),
    contentType: `${FEED_TYPES[format]}; charset=utf-8`,
    lastModified,
  };
}

const dateOf = (iso: string | null) => new Date(iso ?? 0);

function postItem(ctx: FeedContext, format: FeedFormat, post: PostView): Item {
  const link = absoluteUrl(ctx.baseUrl, `/posts/${encodeURIComponent(post.slug)}`);
  return {
    title: htmlTitle(post.title),
    id: link,
    link,
    date: dateOf(post.published_at),
    published: dateOf(post.published_at),
    description: escapeHtml(xmlSafe(post.excerpt)),
    content: xmlSafe(absolutizeHtml(post.html, ctx.baseUrl)),
    // RSS prints the name (with the listing as its domain); Atom needs a term, and labels it.
    category: [
      ...post.categories.map((t) => ({ ...t, kind: 'category' })),
      ...post.tags.map((t) => ({ ...t, kind: 'tag' })),
    ].map((t) => {
      const listing = absoluteUrl(ctx.baseUrl, `/${t.kind}/`);
      return { name: xmlSafe(t.name), term: t.slug, scheme: listing, domain: listing + encodeURIComponent(t.slug) };
    }),
    ...byline(format, post.author.display_name, absoluteUrl(ctx.baseUrl, `/author/${encodeURIComponent(post.author.username)}`)),
  };
}

/** The newest posts of the site, a category, a tag or an author, full content. */
export async function buildPostsFeed(db: Executor, ctx: FeedContext, scope: PostScope, format: FeedFormat): Promise<BuiltFeed> {
  const filter = scope.kind === 'site' ? {} : scope.kind === 'author' ? { authorId: scope.userId } : { termId: scope.termId };
  const { posts } = await listPublicPosts(db, filter, 1, FEED_SIZE.posts, ctx.now);
  const lastModified = newest(posts.flatMap((p) => [dateOf(p.published_at), dateOf(p.updated_at)]));
  const feed = newFeed(ctx, format, {
    title: scopeTitle(scope, ctx.site.site_name),
    description: ctx.site.tagline,
    pagePath: scopePath(scope),
    feedPath: (f) => postsFeedPath(scope, f),
    updated: lastModified,
  });
  for (const post of posts) feed.addItem(postItem(ctx, format, post));
  return finish(feed, format, lastModified);
}

/** The newest approved comments, site-wide or on one (visible) post. */
export async function buildCommentsFeed(
  db: Executor,
  ctx: FeedContext,
  post: Pick<PostView, 'id' | 'slug' | 'title'> | null,
  format: FeedFormat,
): Promise<BuiltFeed> {
  const now = (ctx.now ?? new Date()).toISOString();
  const comments = await listRecentApprovedComments(db, now, FEED_SIZE.comments, post?.id);
  const lastModified = newest(comments.flatMap((c) => [dateOf(c.created_at), dateOf(c.updated_at)]));
  const feed = newFeed(ctx, format, {
    title: post ? `Comments on: ${post.title}` : `Comments for ${ctx.site.site_name}`,
    description: post ? `The conversation on “${post.title}”` : ctx.site.tagline,
    pagePath: post ? `/posts/${encodeURIComponent(post.slug)}` : '',
    feedPath: (f) => commentsFeedPath(post, f),
    updated: lastModified,
  });
  for (const c of comments) {
    const link = absoluteUrl(ctx.baseUrl, `/posts/${encodeURIComponent(c.post_slug)}#comment-${c.id}`);
    feed.addItem({
      title: htmlTitle(post ? `By: ${c.author_name}` : `Comment on ${c.post_title} by ${c.author_name}`),
      id: link,
      link,
      date: dateOf(c.created_at),
      published: dateOf(c.created_at),
      content: xmlSafe(absolutizeHtml(c.body_html, ctx.baseUrl)),
      ...byline(format, c.author_name),
    });
  }
  return finish(feed, format, lastModified);
}
