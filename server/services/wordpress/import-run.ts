import type { Kysely } from 'kysely';
import type { Comment, CommentStatus, Database, Post, Role, TermKind } from '../../db/schema.js';
import type { Executor } from '../../data/executor.js';
import { findUserByUsername, insertUser } from '../../data/users.js';
import { findTerm } from '../../data/terms.js';
import { readAllSettings, writeSetting } from '../../data/settings.js';
import { writeJournal, type JournalEntry } from '../../data/jobs.js';
import {
  findCommentMaps,
  findCommentsByIds,
  findPostMaps,
  findPostsByIds,
  findUserMaps,
  findUsersByIds,
  insertCommentMaps,
  insertPostMaps,
  insertPostTerms,
  insertReturningIds,
  insertUserMaps,
  postTermIds,
  recountApproved,
  takenSlugs,
  updateMapRow,
} from '../../data/wordpress.js';
import { deriveExcerpt, htmlToText } from '../../markup/render.js';
import { keyedHash } from '../comments.js';
import { STAFF_ROLES } from '../permissions.js';
import { LIMITS } from '../posts.js';
import type { SiteSettings } from '../settings.js';
import { isValidSlug, slugFromTitle } from '../slugs.js';
import { isEmail } from '../users.js';
import type { Converter } from './convert.js';
import type { ConvertedPost } from './html-to-markdown.js';
import { isSkip, PING_TYPES, readAuthor, readComment, readItem, readTerm, type WpAuthor, type WpComment, type WpPost, type WpTerm } from './items.js';
import { before, created } from './journal.js';
import { oldSiteUrlPattern, postPath, resolveOldPath, rewriteOldLinks, type LocalPosts } from './links.js';
import { emptyCounts, type KindCount, type SummaryKind } from './summary.js';
import type { WxrChannel, WxrEvent, WxrRawItem } from './wxr-parse.js';

/**
 * One import, batch by batch. Each batch is planned with reads, converted (the CPU work,
 * outside any transaction) and written in one transaction together with its journal
 * entries, so an interrupted import can always be undone (journal.ts).
 */

type UserRow = { id: number; role: Role };
type PostMap = Awaited<ReturnType<typeof findPostMaps>>[number];
type CommentMap = Awaited<ReturnType<typeof findCommentMaps>>[number];

interface PostPlan {
  post: WpPost;
  action: 'create' | 'update' | 'keep' | 'skip';
  existing?: Post;
  map?: PostMap;
  converted?: ConvertedPost;
  excerptMd?: string;
  /** The Lectern post, once known. */
  postId?: number;
  comments: CommentPlan[];
}

interface CommentPlan {
  c: WpComment;
  action: 'create' | 'update' | 'skip';
  existing?: Comment;
  map?: CommentMap;
  md?: string;
  html?: string;
}

const COMMENT_REASONS: Record<CommentStatus, string[]> = {
  approved: [],
  pending: ['held in WordPress'],
  spam: ['marked as spam in WordPress'],
  rejected: ["in WordPress's trash"],
};

const REASON = {
  unchanged: 'already imported, unchanged',
  editedHere: 'changed in Lectern since the last import (Lectern’s version kept)',
  deletedHere: 'deleted in Lectern after an earlier import',
  duplicate: 'listed twice in the file',
  pings: 'pingbacks and trackbacks (Lectern has no pings)',
  postSkipped: 'on a post that was not imported',
  existing: 'already there',
};

/** The WordPress site as "host/path", the key of every id map. */
export function sourceOf(channel: WxrChannel): string {
  const raw = channel.baseBlogUrl || channel.link || channel.baseSiteUrl;
  try {
    const url = new URL(raw);
    return (url.host.replace(/^www\./, '') + url.pathname.replace(/\/+$/, '')).toLowerCase();
  } catch {
    return raw.trim().toLowerCase() || 'unknown';
  }
}

/** A Lectern username from a WordPress login: lower case, [a-z0-9._-], 2 to 32 characters. */
export function usernameFromLogin(login: string): string {
  const base = login
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 32);
  return base.length >= 2 ? base : `wp-${base || 'author'}`;
}

/** A slug the editor accepts (lower case, letters, digits, single hyphens, ≤ 100). */
export function importSlug(wpSlug: string, title: string): string {
  let slug = wpSlug
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{Ll}\p{Lo}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length > 100) slug = slug.slice(0, 100).replace(/-[^-]*$/, '') || slug.slice(0, 100);
  return isValidSlug(slug) ? slug : slugFromTitle(title || 'post');
}

function safeUrl(url: string): string {
  if (!url || url.length > 300) return '';
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url : '';
  } catch {
    return '';
  }
}

const PIPELINE_DEPTH = 2;

interface Batch {
  authors: WpAuthor[];
  terms: WpTerm[];
  plans: Promise<PostPlan[]>;
}

export interface RunContext {
  db: Kysely<Database>;
  converter: Converter;
  jobId: number;
  label: string;
  settings: SiteSettings;
  secret: string;
  now: Date;
  signal?: AbortSignal;
}

export class ImportRun {
  readonly counts = emptyCounts();
  readonly source: string;
  private readonly oldLinks: RegExp | null;
  private readonly oldHost: string;
  private readonly users = new Map<string, UserRow>();
  private readonly usersByWpId = new Map<number, UserRow>();
  private readonly terms = new Map<string, number>();
  private readonly seenPosts = new Set<number>();
  private readonly seenComments = new Set<number>();
  /** Posts whose content links to the old site, rewritten once everything is in. */
  private readonly linked = new Set<number>();
  private authors: WpAuthor[] = [];
  private termQueue: WpTerm[] = [];
  private items: WxrRawItem[] = [];
  private queuedComments = 0;
  private readonly inFlight: Batch[] = [];
  batches = 0;

  constructor(
    private readonly ctx: RunContext,
    readonly channel: WxrChannel,
  ) {
    this.source = sourceOf(channel);
    const base = channel.baseBlogUrl || channel.link;
    this.oldLinks = oldSiteUrlPattern(base);
    this.oldHost = (() => {
      try {
        return new URL(base).host.replace(/^www\./, '').toLowerCase();
      } catch {
        return '';
      }
    })();
  }

  private count(kind: SummaryKind, field: 'created' | 'updated' | 'skipped', reason?: string): void {
    const c: KindCount = this.counts[kind];
    c[field] += 1;
    if (reason) c.reasons[reason] = (c.reasons[reason] ?? 0) + 1;
  }

  private note(kind: SummaryKind, text: string): void {
    const notes = this.counts[kind].notes;
    notes[text] = (notes[text] ?? 0) + 1;
  }

  get pending(): number {
    return this.items.length + this.authors.length + this.termQueue.length + Math.floor(this.queuedComments / 20);
  }

  accept(event: WxrEvent): void {
    const { label } = this.ctx;
    if (event.type === 'author') this.authors.push(readAuthor(event.fields, event.line, label));
    else if (event.type === 'term') {
      const term = readTerm(event.element, event.fields, event.line, label);
      if (isSkip(term)) this.count('other', 'skipped', term.skip);
      else this.termQueue.push(term);
    } else if (event.type === 'item') {
      this.items.push(event.item);
      this.queuedComments += event.item.comments.length;
    }
  }

  /**
   * Plans the queued batch and hands its conversion to the converter, then writes the
   * batch before it (whose conversion is done): the conversion of one batch runs while the
   * previous one is written and the next one is read.
   */
  async flush(): Promise<void> {
    this.ctx.signal?.throwIfAborted();
    const authors = this.authors;
    const terms = this.termQueue;
    const items = this.items;
    this.authors = [];
    this.termQueue = [];
    this.items = [];
    this.queuedComments = 0;
    if (!authors.length && !terms.length && !items.length) return;
    const plans = items.length ? await this.plan(items) : [];
    const next: Batch = { authors, terms, plans: this.convert(plans) };
    // Awaited by a later write; a failure meanwhile must not go unhandled.
    next.plans.catch(() => {});
    this.inFlight.push(next);
    // Two batches converting ahead keep the converter busy while this thread writes.
    while (this.inFlight.length > PIPELINE_DEPTH) await this.writeBatch(this.inFlight.shift()!);
  }

  /** Writes the batches still in flight. */
  async finish(): Promise<void> {
    while (this.inFlight.length) await this.writeBatch(this.inFlight.shift()!);
  }

  private async convert(plans: PostPlan[]): Promise<PostPlan[]> {
    const posts = plans.filter((p) => p.action === 'create' || p.action === 'update');
    const comments = plans.flatMap((p) => p.comments.filter((c) => c.action === 'create' || c.action === 'update'));
    if (!posts.length && !comments.length) return plans;
    const result = await this.ctx.converter.convert({
      posts: posts.map((p) => ({ content: p.post.content, excerpt: p.post.excerpt })),
      comments: comments.map((c) => c.c.content),
    });
    posts.forEach((plan, i) => {
      const { excerptMd, ...converted } = result.posts[i]!;
      plan.converted = converted;
      plan.excerptMd = excerptMd;
    });
    comments.forEach((cp, i) => {
      cp.md = result.comments[i]!.md;
      cp.html = result.comments[i]!.html;
    });
    return plans;
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const plans = await batch.plans;
    this.ctx.signal?.throwIfAborted();
    await this.ctx.db.transaction().execute(async (trx) => {
      const journal: JournalEntry[] = [];
      if (this.batches === 0) await this.adoptSiteIdentity(trx, journal);
      for (const author of batch.authors) await this.ensureUser(trx, journal, author.login, author);
      for (const term of batch.terms) await this.ensureTerm(trx, journal, term.kind, term.slug, term.name, term);
      if (plans.length) await this.write(trx, journal, plans);
      await writeJournal(trx, this.ctx.jobId, journal);
    });
    this.batches += 1;
  }

  /** A new site takes the WordPress site's name and tagline; a site that set its own keeps them. */
  private async adoptSiteIdentity(trx: Executor, journal: JournalEntry[]): Promise<void> {
    const stored = await readAllSettings(trx);
    const wanted: [string, string][] = [
      ['site_name', this.channel.title.trim().slice(0, 100)],
      ['tagline', this.channel.description.trim().slice(0, 200)],
    ];
    for (const [key, value] of wanted) {
      if (!value || key in stored) continue;
      journal.push({ table_name: 'settings', row_id: 0, before: JSON.stringify({ key, value: null }) });
      await writeSetting(trx, key, value);
      this.note('other', `site setting “${key}” taken from WordPress (it was not set here)`);
    }
  }

  // ------------------------------------------------------------ accounts and terms

  private async ensureUser(trx: Executor, journal: JournalEntry[], login: string, author: WpAuthor | null): Promise<UserRow> {
    const key = login.toLowerCase();
    const cached = this.users.get(key);
    if (cached) return cached;
    const [map] = await findUserMaps(trx, this.source, [login]);
    let user: UserRow | undefined;
    if (map?.user_id) {
      const [row] = await findUsersByIds(trx, [map.user_id]);
      if (row) {
        user = { id: row.id, role: row.role };
        if (author) this.count('users', 'skipped', REASON.unchanged);
      }
    }
    if (!user) {
      const email = author && isEmail(author.email) ? author.email : null;
      const base = usernameFromLogin(login);
      const same = await findUserByUsername(trx, base);
      if (same && email && same.email?.toLowerCase() === email.toLowerCase()) {
        // The same person already has an account here (same username and address).
        user = { id: same.id, role: same.role };
        this.count('users', 'skipped', 'matched an existing account (same username and email)');
      } else {
        let username = base;
        for (let n = 2; await findUserByUsername(trx, username); n++) username = `${base.slice(0, 32 - String(n).length - 1)}-${n}`;
        const at = this.ctx.now.toISOString();
        const row = await insertUser(trx, {
          username,
          email,
          display_name: (author?.displayName ?? login).slice(0, 100),
          // Least privilege: an administrator promotes people after the move.
          role: 'author',
          // No password: each person sets one (reset link) before signing in.
          password_hash: null,
          bio_md: '',
          bio_html: '',
          created_at: at,
          email_confirmed_at: email ? at : null,
        });
        journal.push(created('users', row.id));
        user = { id: row.id, role: row.role };
        this.count('users', 'created');
        if (username !== base) this.note('users', 'given a new username (theirs was taken here)');
      }
      if (map) {
        journal.push(before('wordpress_users', map.id, map));
        await updateMapRow(trx, 'wordpress_users', map.id, { user_id: user.id, wp_id: author?.wpId ?? map.wp_id });
      } else {
        await insertUserMaps(trx, [
          { source: this.source, wp_login: login, wp_id: author?.wpId ?? null, user_id: user.id, job_id: this.ctx.jobId, created_at: this.ctx.now.toISOString() },
        ]);
      }
    }
    this.users.set(key, user);
    if (author?.wpId) this.usersByWpId.set(author.wpId, user);
    return user;
  }

  private async ensureTerm(trx: Executor, journal: JournalEntry[], kind: TermKind, rawSlug: string, name: string, defined: WpTerm | null): Promise<number> {
    const slug = importSlug(rawSlug, name);
    const key = `${kind}:${slug}`;
    const cached = this.terms.get(key);
    // WordPress 6 lists every term twice (<wp:category> and <wp:term>): the copy is not counted.
    if (cached !== undefined) return cached;
    const summaryKind = kind === 'category' ? 'categories' : 'tags';
    const existing = await findTerm(trx, kind, slug);
    let id: number;
    if (existing) {
      id = existing.id;
      if (defined) this.count(summaryKind, 'skipped', REASON.existing);
    } else {
      [id] = (await insertReturningIds(trx, 'terms', [{ kind, slug, name: name.slice(0, 100) || slug, description: defined?.description ?? '' }])) as [number];
      journal.push(created('terms', id));
      this.count(summaryKind, 'created');
    }
    if (defined?.parent) this.note(summaryKind, 'sub-categories flattened (Lectern categories have no parents)');
    this.terms.set(key, id);
    return id;
  }

  // ------------------------------------------------------------ posts and comments

  /** Reads, decides and converts a batch of items; no writes. */
  private async plan(items: WxrRawItem[]): Promise<PostPlan[]> {
    const { label, settings, now } = this.ctx;
    const posts: WpPost[] = [];
    for (const item of items) {
      const read = readItem(item, label, settings.timezone, now);
      if (isSkip(read)) {
        this.count('other', 'skipped', read.skip);
        continue;
      }
      const kind: SummaryKind = read.kind === 'page' ? 'pages' : 'posts';
      if (this.seenPosts.has(read.wpId)) {
        this.count(kind, 'skipped', REASON.duplicate);
        continue;
      }
      this.seenPosts.add(read.wpId);
      posts.push(read);
    }
    const db = this.ctx.db;
    const maps = new Map((await findPostMaps(db, this.source, posts.map((p) => p.wpId))).map((m) => [m.wp_id, m]));
    const existingPosts = new Map((await findPostsByIds(db, [...maps.values()].flatMap((m) => (m.post_id ? [m.post_id] : [])))).map((p) => [p.id, p]));
    const plans: PostPlan[] = posts.map((post) => {
      const map = maps.get(post.wpId);
      if (!map) return { post, action: 'create', comments: [] };
      const existing = map.post_id ? existingPosts.get(map.post_id) : undefined;
      if (!existing) return { post, action: 'skip', map, comments: [] };
      if (map.fingerprint === post.fingerprint) return { post, action: 'keep', existing, map, postId: existing.id, comments: [] };
      // Changed in WordPress since: updated, unless someone edited it here meanwhile.
      if (existing.updated_at !== map.synced_at) return { post, action: 'keep', existing, map, postId: existing.id, comments: [] };
      return { post, action: 'update', existing, map, postId: existing.id, comments: [] };
    });

    // Comments: which are new, which changed.
    const allComments: { plan: PostPlan; c: WpComment }[] = [];
    for (const plan of plans) {
      for (const raw of plan.post.comments) allComments.push({ plan, c: readComment(raw, plan.post.wpId, label, settings.timezone, now) });
    }
    const commentMaps = new Map((await findCommentMaps(db, this.source, allComments.map((x) => x.c.wpId))).map((m) => [m.wp_id, m]));
    const existingComments = new Map(
      (await findCommentsByIds(db, [...commentMaps.values()].flatMap((m) => (m.comment_id ? [m.comment_id] : [])))).map((c) => [c.id, c]),
    );
    for (const { plan, c } of allComments) {
      const skip = (reason: string) => {
        plan.comments.push({ c, action: 'skip' });
        this.count('comments', 'skipped', reason);
      };
      if (PING_TYPES.has(c.type)) skip(REASON.pings);
      else if (this.seenComments.has(c.wpId)) skip(REASON.duplicate);
      else if (plan.action === 'skip') skip(REASON.postSkipped);
      else {
        this.seenComments.add(c.wpId);
        const map = commentMaps.get(c.wpId);
        const existing = map?.comment_id ? existingComments.get(map.comment_id) : undefined;
        if (!map) plan.comments.push({ c, action: 'create' });
        else if (!existing) skip(REASON.deletedHere);
        else if (map.fingerprint === c.fingerprint) {
          plan.comments.push({ c, action: 'skip', existing, map });
          this.count('comments', 'skipped', REASON.unchanged);
        } else if (existing.updated_at !== map.synced_at) {
          plan.comments.push({ c, action: 'skip', existing, map });
          this.count('comments', 'skipped', 'moderated or edited in Lectern since the last import (Lectern’s version kept)');
        } else plan.comments.push({ c, action: 'update', existing, map });
      }
    }

    for (const plan of plans) {
      const kind: SummaryKind = plan.post.kind === 'page' ? 'pages' : 'posts';
      if (plan.action === 'skip') this.count(kind, 'skipped', REASON.deletedHere);
      else if (plan.action === 'keep') this.count(kind, 'skipped', plan.map!.fingerprint === plan.post.fingerprint ? REASON.unchanged : REASON.editedHere);
    }
    return plans;
  }

  private postRow(plan: PostPlan, authorId: number) {
    const { post, converted } = plan;
    const html = converted!.html;
    return {
      author_id: authorId,
      kind: post.kind,
      title: (post.title || '(untitled)').slice(0, LIMITS.title),
      body_md: converted!.markdown,
      body_html: html,
      excerpt: plan.excerptMd ? htmlToText(plan.excerptMd) : deriveExcerpt(html),
      excerpt_md: plan.excerptMd ?? '',
      status: post.status,
      published_at: post.publishedAt,
      comments_open: post.commentsOpen ? 1 : 0,
      created_at: post.createdAt,
      updated_at: post.updatedAt,
    };
  }

  private notePost(plan: PostPlan): void {
    const { post } = plan;
    const kind: SummaryKind = post.kind === 'page' ? 'pages' : 'posts';
    if (post.statusNote) this.note(kind, post.statusNote);
    if (post.sticky) this.note(kind, 'sticky in WordPress (Lectern has no sticky posts)');
    if (post.hasParent && post.kind === 'page') this.note(kind, 'sub-pages made top-level pages');
    if (plan.converted?.format === 'html') this.note(kind, 'kept as HTML where Markdown could not say it all');
  }

  private linksOld(plan: PostPlan): boolean {
    return Boolean(plan.converted && this.oldLinks && this.oldHost && plan.converted.markdown.toLowerCase().includes(this.oldHost));
  }

  /**
   * Points links to the old site at their Lectern addresses before the posts are written:
   * posts of this batch and of earlier ones are known. A link nothing answers yet (a post
   * further on in the file) is tried again once everything is in (rewriteLinks).
   */
  private async rewriteBatchLinks(trx: Executor, plans: PostPlan[], slugOf: (plan: PostPlan) => string): Promise<Set<PostPlan>> {
    const pending = new Set<PostPlan>();
    const linking = plans.filter((p) => (p.action === 'create' || p.action === 'update') && this.linksOld(p));
    if (!linking.length || !this.oldLinks) return pending;
    const byId = new Map<number, string>();
    const bySlug = new Map<string, { path: string; date: string; type: string }[]>();
    for (const plan of plans) {
      if (plan.action !== 'create' && plan.action !== 'update') continue;
      const path = postPath({ kind: plan.post.kind, slug: slugOf(plan) });
      byId.set(plan.post.wpId, path);
      const list = bySlug.get(plan.post.wpSlug) ?? [];
      list.push({ path, date: plan.post.wpDate, type: plan.post.kind });
      bySlug.set(plan.post.wpSlug, list);
    }
    const local: LocalPosts = {
      byWpId: (wpId) => byId.get(wpId) ?? null,
      bySlug: (slug, date, type) => {
        const list = (bySlug.get(slug) ?? []).filter((x) => !type || x.type === type);
        return (date ? list.find((x) => x.date.startsWith(date)) : undefined)?.path ?? list[0]?.path ?? null;
      },
    };
    const resolve = async (pathWithQuery: string) => {
      const url = new URL(pathWithQuery, 'http://old.invalid');
      return resolveOldPath(trx, url.pathname, url.searchParams, { publicOnly: false, local });
    };
    for (const plan of linking) {
      let unresolved = false;
      const tracking = async (pathWithQuery: string) => {
        const target = await resolve(pathWithQuery);
        if (!target) unresolved = true;
        return target;
      };
      const converted = plan.converted!;
      converted.markdown = await rewriteOldLinks(converted.markdown, this.oldLinks, tracking);
      converted.html = await rewriteOldLinks(converted.html, this.oldLinks, (url) => resolve(url.replace(/&amp;/g, '&')));
      if (unresolved) pending.add(plan);
    }
    return pending;
  }

  private async allocateSlugs(trx: Executor, wanted: string[]): Promise<string[]> {
    const taken = new Set((await takenSlugs(trx, [...new Set(wanted)])).map((r) => r.slug));
    const out: string[] = [];
    for (const base of wanted) {
      let slug = base;
      for (let n = 2; taken.has(slug); n++) {
        const suffix = `-${n}`;
        slug = base.slice(0, 100 - suffix.length).replace(/-+$/, '') + suffix;
        if (!taken.has(slug) && (await takenSlugs(trx, [slug])).length > 0) taken.add(slug);
      }
      taken.add(slug);
      out.push(slug);
    }
    return out;
  }

  private async write(trx: Executor, journal: JournalEntry[], plans: PostPlan[]): Promise<void> {
    const { jobId, now } = this.ctx;
    const at = now.toISOString();
    const touched = new Set<number>();
    const termIdsOf = async (post: WpPost) => {
      const ids: number[] = [];
      for (const t of post.terms) {
        const id = await this.ensureTerm(trx, journal, t.kind, t.slug, t.name, null);
        if (!ids.includes(id)) ids.push(id);
      }
      return ids;
    };
    const authorOf = async (post: WpPost) => (await this.ensureUser(trx, journal, post.creator || 'wordpress', null)).id;

    // New posts, in one insert per chunk.
    const creates = plans.filter((p) => p.action === 'create');
    let pendingLinks: Set<PostPlan> = new Set();
    if (!creates.length) pendingLinks = await this.rewriteBatchLinks(trx, plans, (plan) => plan.existing?.slug ?? '');
    if (creates.length) {
      const rows: (ReturnType<ImportRun['postRow']> & { slug: string; comment_count: number })[] = [];
      for (const plan of creates) rows.push({ ...this.postRow(plan, await authorOf(plan.post)), slug: '', comment_count: 0 });
      const wanted = creates.map((p) => importSlug(p.post.wpSlug, p.post.title));
      const slugs = await this.allocateSlugs(trx, wanted);
      const slugOfPlan = new Map<PostPlan, string>();
      slugs.forEach((slug, i) => {
        slugOfPlan.set(creates[i]!, slug);
        if (slug !== wanted[i]) this.note(creates[i]!.post.kind === 'page' ? 'pages' : 'posts', 'given a new slug (theirs was taken here)');
      });
      pendingLinks = await this.rewriteBatchLinks(trx, plans, (plan) => slugOfPlan.get(plan) ?? plan.existing?.slug ?? '');
      creates.forEach((plan, i) => {
        rows[i]!.slug = slugs[i]!;
        rows[i]!.body_md = plan.converted!.markdown;
        rows[i]!.body_html = plan.converted!.html;
      });
      const ids = await insertReturningIds(trx, 'posts', rows);
      const postTerms: { post_id: number; term_id: number }[] = [];
      for (const [i, plan] of creates.entries()) {
        plan.postId = ids[i]!;
        touched.add(plan.postId);
        for (const term_id of await termIdsOf(plan.post)) postTerms.push({ post_id: plan.postId, term_id });
        this.count(plan.post.kind === 'page' ? 'pages' : 'posts', 'created');
        this.notePost(plan);
      }
      await insertPostTerms(trx, postTerms);
      await insertPostMaps(
        trx,
        creates.map((plan, i) => ({
          source: this.source,
          wp_id: plan.post.wpId,
          post_id: plan.postId!,
          wp_type: plan.post.kind,
          wp_slug: plan.post.wpSlug,
          wp_date: plan.post.wpDate,
          fingerprint: plan.post.fingerprint,
          synced_at: rows[i]!.updated_at,
          job_id: jobId,
          created_at: at,
        })),
      );
    }

    // Posts changed in WordPress (and not here) since the last import.
    for (const plan of plans.filter((p) => p.action === 'update')) {
      const existing = plan.existing!;
      const row = this.postRow(plan, await authorOf(plan.post));
      journal.push(before('posts', existing.id, existing));
      journal.push({ table_name: 'post_terms', row_id: existing.id, before: JSON.stringify((await postTermIds(trx, existing.id)).map((r) => r.term_id)) });
      journal.push(before('wordpress_posts', plan.map!.id, plan.map!));
      await trx.updateTable('posts').set(row).where('id', '=', existing.id).execute();
      await trx.deleteFrom('post_terms').where('post_id', '=', existing.id).execute();
      await insertPostTerms(trx, (await termIdsOf(plan.post)).map((term_id) => ({ post_id: existing.id, term_id })));
      await updateMapRow(trx, 'wordpress_posts', plan.map!.id, {
        fingerprint: plan.post.fingerprint,
        synced_at: row.updated_at,
        wp_slug: plan.post.wpSlug,
        wp_date: plan.post.wpDate,
      });
      touched.add(existing.id);
      this.count(plan.post.kind === 'page' ? 'pages' : 'posts', 'updated');
      this.notePost(plan);
    }

    for (const plan of pendingLinks) if (plan.postId) this.linked.add(plan.postId);
    await this.writeComments(trx, journal, plans, touched);
    await recountApproved(trx, [...touched]);
  }

  private async writeComments(trx: Executor, journal: JournalEntry[], plans: PostPlan[], touched: Set<number>): Promise<void> {
    const { jobId, now, settings, secret } = this.ctx;
    const at = now.toISOString();
    const maxDepth = Math.max(1, settings.thread_depth);
    // Where each comment of these posts is in Lectern (id, depth, parent), by WordPress id.
    const placed = new Map<number, { id: number; depth: number; parentId: number | null }>();
    const parentIdsToLoad: number[] = [];
    const knownMaps = new Map<number, number>();
    for (const plan of plans) {
      for (const cp of plan.comments) {
        if (cp.existing) placed.set(cp.c.wpId, { id: cp.existing.id, depth: cp.existing.depth, parentId: cp.existing.parent_id });
        if (cp.action === 'create' && cp.c.parentWpId) parentIdsToLoad.push(cp.c.parentWpId);
      }
    }
    // Parents imported by an earlier run, not in this batch.
    const missing = [...new Set(parentIdsToLoad)].filter((id) => !placed.has(id));
    if (missing.length) {
      for (const m of await findCommentMaps(trx, this.source, missing)) if (m.comment_id) knownMaps.set(m.wp_id, m.comment_id);
      for (const row of await findCommentsByIds(trx, [...knownMaps.values()])) {
        for (const [wpId, id] of knownMaps) if (id === row.id) placed.set(wpId, { id: row.id, depth: row.depth, parentId: row.parent_id });
      }
    }

    interface NewComment {
      plan: PostPlan;
      cp: CommentPlan;
      /** WordPress id of the nearest ancestor that is (or will be) in Lectern, or 0. */
      parentWpId: number;
      level: number;
    }
    const fresh: NewComment[] = [];
    const freshByWpId = new Map<number, NewComment>();
    for (const plan of plans) {
      const byWpId = new Map(plan.comments.map((cp) => [cp.c.wpId, cp]));
      const sorted = plan.comments.filter((cp) => cp.action === 'create').sort((a, b) => a.c.wpId - b.c.wpId);
      for (const cp of sorted) {
        // Climb past parents that are not imported (pings, spam left out): the reply stays in the thread.
        let parent = cp.c.parentWpId;
        const seen = new Set<number>();
        while (parent && !placed.has(parent) && !freshByWpId.has(parent) && !seen.has(parent)) {
          seen.add(parent);
          const up = byWpId.get(parent);
          if (!up) break;
          parent = up.c.parentWpId;
        }
        const resolved = parent && (placed.has(parent) || freshByWpId.has(parent)) ? parent : 0;
        if (cp.c.parentWpId && resolved !== cp.c.parentWpId) this.note('comments', 'replies to a comment that was not imported, attached higher in the thread');
        const level = resolved && freshByWpId.has(resolved) ? freshByWpId.get(resolved)!.level + 1 : 0;
        const entry: NewComment = { plan, cp, parentWpId: resolved, level };
        fresh.push(entry);
        freshByWpId.set(cp.c.wpId, entry);
      }
    }

    const staffRoles: readonly string[] = STAFF_ROLES;
    const maxLevel = fresh.reduce((m, f) => Math.max(m, f.level), -1);
    for (let level = 0; level <= maxLevel; level++) {
      const wave = fresh.filter((f) => f.level === level);
      const rows = wave.map(({ plan, cp, parentWpId }) => {
        const c = cp.c;
        let parentId: number | null = null;
        let depth = 0;
        const parent = parentWpId ? placed.get(parentWpId) : undefined;
        if (parent) {
          // Below the deepest level a reply is attached beside its parent (services/comments.ts).
          if (parent.depth + 1 >= maxDepth) {
            parentId = parent.parentId;
            depth = parent.depth;
          } else {
            parentId = parent.id;
            depth = parent.depth + 1;
          }
        }
        const user = c.userWpId ? this.usersByWpId.get(c.userWpId) : undefined;
        return {
          post_id: plan.postId!,
          parent_id: parentId,
          depth,
          user_id: user?.id ?? null,
          author_name: (c.authorName || 'Anonymous').slice(0, 100),
          author_email: c.email.slice(0, 254),
          author_url: safeUrl(c.url),
          avatar_key: keyedHash(secret, 'avatar', c.email),
          is_staff: user && staffRoles.includes(user.role) ? 1 : 0,
          body_md: cp.md!,
          body_html: cp.html!,
          status: c.status,
          reasons: JSON.stringify(COMMENT_REASONS[c.status]),
          ip_hash: null,
          created_at: c.createdAt,
          updated_at: c.createdAt,
        };
      });
      const ids = await insertReturningIds(trx, 'comments', rows);
      wave.forEach((f, i) => {
        placed.set(f.cp.c.wpId, { id: ids[i]!, depth: rows[i]!.depth, parentId: rows[i]!.parent_id });
        touched.add(f.plan.postId!);
        this.count('comments', 'created');
      });
      await insertCommentMaps(
        trx,
        wave.map((f, i) => ({
          source: this.source,
          wp_id: f.cp.c.wpId,
          wp_post_id: f.plan.post.wpId,
          comment_id: ids[i]!,
          fingerprint: f.cp.c.fingerprint,
          synced_at: rows[i]!.updated_at,
          job_id: jobId,
          created_at: at,
        })),
      );
    }

    // Comments changed in WordPress (and not moderated here) since the last import.
    for (const plan of plans) {
      for (const cp of plan.comments.filter((x) => x.action === 'update')) {
        const c = cp.c;
        journal.push(before('comments', cp.existing!.id, cp.existing!));
        journal.push(before('wordpress_comments', cp.map!.id, cp.map!));
        await trx
          .updateTable('comments')
          .set({
            author_name: (c.authorName || 'Anonymous').slice(0, 100),
            author_email: c.email.slice(0, 254),
            author_url: safeUrl(c.url),
            avatar_key: keyedHash(secret, 'avatar', c.email),
            body_md: cp.md!,
            body_html: cp.html!,
            status: c.status,
            reasons: JSON.stringify(COMMENT_REASONS[c.status]),
            updated_at: at,
          })
          .where('id', '=', cp.existing!.id)
          .execute();
        await updateMapRow(trx, 'wordpress_comments', cp.map!.id, { fingerprint: c.fingerprint, synced_at: at });
        touched.add(cp.existing!.post_id);
        this.count('comments', 'updated');
      }
    }
  }

  /** Links between imported posts point at their Lectern addresses, once all are in. */
  async rewriteLinks(): Promise<void> {
    const pattern = this.oldLinks;
    if (!pattern || this.linked.size === 0) return;
    const ids = [...this.linked];
    const cache = new Map<string, string | null>();
    for (let i = 0; i < ids.length; i += 50) {
      this.ctx.signal?.throwIfAborted();
      await this.ctx.db.transaction().execute(async (trx) => {
        const resolve = async (pathWithQuery: string) => {
          if (!cache.has(pathWithQuery)) {
            const url = new URL(pathWithQuery, 'http://old.invalid');
            cache.set(pathWithQuery, await resolveOldPath(trx, url.pathname, url.searchParams, { publicOnly: false }));
          }
          return cache.get(pathWithQuery)!;
        };
        for (const post of await findPostsByIds(trx, ids.slice(i, i + 50))) {
          const markdown = await rewriteOldLinks(post.body_md, pattern, resolve);
          if (markdown === post.body_md) continue;
          // The same addresses in the rendered HTML (where "&" is "&amp;"): no need to render again.
          const html = await rewriteOldLinks(post.body_html, pattern, (url) => resolve(url.replace(/&amp;/g, '&')));
          // Posts the import made or changed: their earlier state is already in the journal.
          await trx.updateTable('posts').set({ body_md: markdown, body_html: html }).where('id', '=', post.id).execute();
        }
      });
    }
  }
}
