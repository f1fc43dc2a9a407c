import type { Kysely } from 'kysely';
import type { Executor } from '../data/executor.js';
import {
  deletePost as deletePostRow,
  findPostById,
  findPostWithAuthorById,
  findPostWithAuthorBySlug,
  insertPost,
  isVisible,
  listVisiblePosts,
  slugTaken,
  updatePost,
  type ListingFilter,
  type PostWithAuthor,
} from '../data/posts.js';
import { findTermsBySlugs, insertTerm, replacePostTerms, termsOfPosts } from '../data/terms.js';
import type { Database, DiscussionMode, Post, PostKind, PostStatus, Role, Term, TermKind } from '../db/schema.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { deriveExcerpt, htmlToText, renderPost } from '../markup/render.js';
import { canEditPost } from './permissions.js';
import { isValidSlug, slugFromTitle } from './slugs.js';
import { configuredMode, strictestMode, validateDiscussion, type PostDiscussionColumns } from './discussion.js';

export const POST_STATUSES: readonly PostStatus[] = ['draft', 'published', 'scheduled'];
export const LIMITS = { title: 200, body: 200_000, excerpt: 1_000, terms: 20, termName: 60 };

/** What staff send, from the editor form or the API; every field optional on update. */
export interface PostInput {
  title?: string;
  body?: string;
  slug?: string;
  excerpt?: string;
  status?: string;
  published_at?: string | null;
  tags?: string[];
  categories?: string[];
  comments_open?: boolean;
  kind?: string;
  /** A question to patrons (issue 11): staff answers, a pinned answer, themes. */
  is_question?: boolean;
  /** services/discussion.ts: a mode, or null (also '') for the category default. */
  discussion_mode?: string | null;
  /** An ISO time after which comments close; null (also '') for none. */
  comments_close_at?: string | null;
}

interface Actor {
  id: number;
  role: Role;
}

/** Splits "Events, Story time" into names; accepts an array as well. */
export function parseTermList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    const name = String(item).trim().replace(/\s+/g, ' ');
    const key = name.toLowerCase();
    if (name && !seen.has(key)) {
      seen.add(key);
      out.push(name);
    }
  }
  return out;
}

interface ValidPost {
  title: string;
  body: string;
  slug: string | null;
  excerpt: string;
  status: PostStatus;
  publishedAt: string | null;
  tags: string[];
  categories: string[];
  commentsOpen: boolean;
  kind: PostKind;
  isQuestion: boolean;
  discussion: PostDiscussionColumns;
}

function validate(input: PostInput, existing: Post | undefined, now: Date): ValidPost {
  const errors: Record<string, string> = {};
  const title = (input.title ?? existing?.title ?? '').trim();
  const body = input.body ?? existing?.body_md ?? '';
  const excerpt = (input.excerpt ?? existing?.excerpt_md ?? '').trim();
  const status = (input.status ?? existing?.status ?? 'draft') as PostStatus;
  const kind = (input.kind ?? existing?.kind ?? 'post') as PostKind;
  const slugInput = input.slug === undefined ? undefined : input.slug.trim().toLowerCase();

  if (!title) errors.title = 'Give the post a title';
  else if (title.length > LIMITS.title) errors.title = `Use at most ${LIMITS.title} characters`;
  if (body.length > LIMITS.body) errors.body = `Use at most ${LIMITS.body.toLocaleString('en')} characters`;
  if (excerpt.length > LIMITS.excerpt) errors.excerpt = `Use at most ${LIMITS.excerpt} characters`;
  if (!POST_STATUSES.includes(status)) errors.status = 'Choose draft, published or scheduled';
  if (kind !== 'post' && kind !== 'page') errors.kind = 'Choose post or page';
  const isQuestion = input.is_question ?? (existing ? existing.is_question === 1 : false);
  if (isQuestion && kind === 'page') errors.is_question = 'Only a post can be a question, not a page';
  if (slugInput && !isValidSlug(slugInput)) {
    errors.slug = 'Use lower-case letters, digits and single hyphens';
  }
  if (status !== 'draft' && !body.trim()) errors.body = 'Write something before publishing';

  let explicitDate: string | null = null;
  if (input.published_at) {
    const ms = Date.parse(input.published_at);
    if (Number.isNaN(ms)) errors.published_at = 'Give a date and time';
    else explicitDate = new Date(ms).toISOString();
  }
  const wasLive = existing !== undefined && existing.status !== 'draft' && existing.published_at !== null;
  let publishedAt = explicitDate ?? (input.published_at === undefined ? existing?.published_at ?? null : null);
  let finalStatus = status;
  if (status === 'scheduled' && !publishedAt && !errors.published_at) errors.published_at = 'Choose when to publish';
  if (status === 'published' && !explicitDate) {
    // A live post keeps its first date (even when the form's date field was cleared);
    // anything else published without a date goes out now. Never published and dateless.
    const previous = publishedAt ?? existing?.published_at ?? null;
    const live = wasLive && previous !== null && Date.parse(previous) <= now.getTime();
    publishedAt = live ? previous : now.toISOString();
  }
  // "Publish" with a future date means "schedule", and a past schedule means "publish", as in WordPress.
  if (status !== 'draft' && publishedAt) finalStatus = Date.parse(publishedAt) > now.getTime() ? 'scheduled' : 'published';

  const tags = input.tags !== undefined ? parseTermList(input.tags) : null;
  const categories = input.categories !== undefined ? parseTermList(input.categories) : null;
  for (const [field, list] of [['tags', tags], ['categories', categories]] as const) {
    if (!list) continue;
    if (list.length > LIMITS.terms) errors[field] = `Use at most ${LIMITS.terms}`;
    else if (list.some((n) => n.length > LIMITS.termName)) errors[field] = `Keep each name under ${LIMITS.termName} characters`;
  }
  const validDiscussion = validateDiscussion(input, existing, errors);
  if (Object.keys(errors).length) throw invalid(errors);

  return {
    title,
    body,
    slug: slugInput || null,
    excerpt,
    status: finalStatus,
    publishedAt,
    tags: tags ?? [],
    categories: categories ?? [],
    commentsOpen: input.comments_open ?? (existing ? existing.comments_open === 1 : true),
    kind,
    isQuestion,
    discussion: validDiscussion,
  };
}

/** A free slug: the requested one (or 422 when taken), else the title's, suffixed -2, -3… */
async function chooseSlug(db: Executor, requested: string | null, title: string, exceptId?: number): Promise<string> {
  if (requested) {
    if (await slugTaken(db, requested, exceptId)) throw invalid({ slug: 'Another post already uses this slug' });
    return requested;
  }
  const base = slugFromTitle(title);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await slugTaken(db, candidate, exceptId))) return candidate;
  }
}

async function ensureTerms(db: Executor, kind: TermKind, names: string[]): Promise<number[]> {
  const wanted = names.map((name) => ({ name, slug: slugFromTitle(name) }));
  const existing = await findTermsBySlugs(db, kind, wanted.map((w) => w.slug));
  const bySlug = new Map(existing.map((t) => [t.slug, t.id]));
  const ids: number[] = [];
  for (const w of wanted) {
    let id = bySlug.get(w.slug);
    if (id === undefined) {
      id = (await insertTerm(db, { kind, name: w.name, slug: w.slug })).id;
      bySlug.set(w.slug, id);
    }
    if (!ids.includes(id)) ids.push(id);
  }
  return ids;
}

function rendered(valid: ValidPost) {
  const html = renderPost(valid.body);
  return { body_html: html, excerpt: valid.excerpt ? htmlToText(valid.excerpt) : deriveExcerpt(html) };
}

export async function createPost(db: Kysely<Database>, actor: Actor, input: PostInput, now = new Date()): Promise<number> {
  const valid = validate(input, undefined, now);
  return db.transaction().execute(async (trx) => {
    const slug = await chooseSlug(trx, valid.slug, valid.title);
    const iso = now.toISOString();
    const id = await insertPost(trx, {
      author_id: actor.id,
      kind: valid.kind,
      title: valid.title,
      slug,
      body_md: valid.body,
      ...rendered(valid),
      excerpt_md: valid.excerpt,
      status: valid.status,
      published_at: valid.publishedAt,
      comments_open: valid.commentsOpen ? 1 : 0,
      comment_count: 0,
      is_question: valid.isQuestion ? 1 : 0,
      ...valid.discussion,
      created_at: iso,
      updated_at: iso,
    });
    const termIds = [
      ...(await ensureTerms(trx, 'category', valid.categories)),
      ...(await ensureTerms(trx, 'tag', valid.tags)),
    ];
    await replacePostTerms(trx, id, termIds);
    return id;
  });
}

export async function loadEditablePost(db: Executor, actor: Actor, id: number): Promise<Post> {
  const post = await findPostById(db, id);
  if (!post) throw notFound('Post');
  if (!canEditPost(actor, post)) throw forbidden('You can only change your own posts');
  return post;
}

export async function updatePostById(db: Kysely<Database>, actor: Actor, id: number, input: PostInput, now = new Date()): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const existing = await loadEditablePost(trx, actor, id);
    const valid = validate(input, existing, now);
    const slug = valid.slug ? await chooseSlug(trx, valid.slug, valid.title, id) : existing.slug;
    await updatePost(trx, id, {
      kind: valid.kind,
      title: valid.title,
      slug,
      body_md: valid.body,
      ...rendered(valid),
      excerpt_md: valid.excerpt,
      status: valid.status,
      published_at: valid.publishedAt,
      comments_open: valid.commentsOpen ? 1 : 0,
      is_question: valid.isQuestion ? 1 : 0,
      ...valid.discussion,
      updated_at: now.toISOString(),
    });
    if (input.tags !== undefined || input.categories !== undefined) {
      const current = (await termsOfPosts(trx, [id])).get(id) ?? [];
      const keep = (kind: TermKind, given: string[] | undefined, list: string[]) =>
        given !== undefined ? ensureTerms(trx, kind, list) : Promise.resolve(current.filter((t) => t.kind === kind).map((t) => t.id));
      const termIds = [
        ...(await keep('category', input.categories, valid.categories)),
        ...(await keep('tag', input.tags, valid.tags)),
      ];
      await replacePostTerms(trx, id, termIds);
    }
  });
}

export async function deletePostById(db: Kysely<Database>, actor: Actor, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await loadEditablePost(trx, actor, id);
    await deletePostRow(trx, id);
  });
}

/** The public shape of a post in lists and the API. */
export interface PostView {
  id: number;
  kind: PostKind;
  slug: string;
  title: string;
  excerpt: string;
  html: string;
  status: PostStatus;
  published_at: string | null;
  updated_at: string;
  comments_open: boolean;
  comment_count: number;
  is_question: boolean;
  /** The pinned staff answer's id; only shown when that comment is approved (services/questions.ts). */
  answer_comment_id: number | null;
  /** The post's own discussion mode, null for its categories' default (services/discussion.ts). */
  discussion_mode: DiscussionMode | null;
  comments_close_at: string | null;
  /** The strictest default of its categories; null when none has one. */
  category_discussion_mode: DiscussionMode | null;
  /** Its discussion is hidden: no thread and no count anywhere public (services/discussion.ts). */
  comments_hidden: boolean;
  author: { username: string; display_name: string; bio_html: string };
  categories: Pick<Term, 'name' | 'slug'>[];
  tags: Pick<Term, 'name' | 'slug'>[];
}

/** The columns a view is made from: any listing query that selects them can use toView. */
export type PostViewRow = Pick<
  PostWithAuthor,
  | 'id' | 'kind' | 'slug' | 'title' | 'excerpt' | 'body_html' | 'status' | 'published_at' | 'updated_at'
  | 'comments_open' | 'comment_count' | 'author_username' | 'author_display_name' | 'author_bio_html'
  | 'is_question' | 'answer_comment_id' | 'discussion_mode' | 'comments_close_at'
>;

export function toView(row: PostViewRow, terms: Term[]): PostView {
  const categoryMode = strictestMode(terms.filter((t) => t.kind === 'category').map((t) => t.discussion_mode));
  const pick = (kind: TermKind) => terms.filter((t) => t.kind === kind).map(({ name, slug }) => ({ name, slug }));
  return {
    id: row.id,
    kind: row.kind,
    slug: row.slug,
    title: row.title,
    excerpt: row.excerpt,
    html: row.body_html,
    status: row.status,
    published_at: row.published_at,
    updated_at: row.updated_at,
    comments_open: row.comments_open === 1,
    comment_count: row.comment_count,
    is_question: row.is_question === 1,
    answer_comment_id: row.answer_comment_id,
    discussion_mode: row.discussion_mode,
    comments_close_at: row.comments_close_at,
    category_discussion_mode: categoryMode,
    comments_hidden: configuredMode(row.discussion_mode, categoryMode) === 'hidden',
    author: { username: row.author_username, display_name: row.author_display_name, bio_html: row.author_bio_html },
    categories: pick('category'),
    tags: pick('tag'),
  };
}

export function isPubliclyVisible(post: Pick<Post, 'status' | 'published_at'>, now = new Date()): boolean {
  return (
    (post.status === 'published' || post.status === 'scheduled') &&
    post.published_at !== null &&
    post.published_at <= now.toISOString()
  );
}

/** A published post or page by slug, or 404. */
export async function getPublicPost(db: Executor, slug: string, kind: PostKind, now = new Date()): Promise<PostView> {
  const row = await findPostWithAuthorBySlug(db, slug);
  if (!row || row.kind !== kind || !isPubliclyVisible(row, now)) throw notFound(kind === 'page' ? 'Page' : 'Post');
  const terms = (await termsOfPosts(db, [row.id])).get(row.id) ?? [];
  return toView(row, terms);
}

/** Any post by id, for its editor and the staff API. */
export async function getPostForStaff(db: Executor, actor: Actor, id: number): Promise<PostView> {
  await loadEditablePost(db, actor, id);
  const row = await findPostWithAuthorById(db, id);
  if (!row) throw notFound('Post');
  return toView(row, (await termsOfPosts(db, [id])).get(id) ?? []);
}

export interface PostPage {
  posts: PostView[];
  page: number;
  perPage: number;
  total: number;
  pages: number;
}

export async function listPublicPosts(db: Executor, filter: ListingFilter, page: number, perPage: number, now = new Date()): Promise<PostPage> {
  const { rows, total } = await listVisiblePosts(db, filter, now.toISOString(), page, perPage);
  const terms = await termsOfPosts(db, rows.map((r) => r.id));
  return {
    posts: rows.map((r) => toView(r, terms.get(r.id) ?? [])),
    page,
    perPage,
    total,
    pages: Math.max(1, Math.ceil(total / perPage)),
  };
}

export { isVisible };
