import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams, PageQuery } from '../../schemas/common.js';
import { createPost, deletePostById, getPostForStaff, loadEditablePost, updatePostById, type PostInput } from '../../services/posts.js';
import { listPostsForStaff } from '../../data/posts.js';
import { loadSettings } from '../../services/settings.js';
import { localInputToIso, isoToLocalInput } from '../../services/time.js';
import { renderPost } from '../../markup/render.js';
import { can } from '../../services/permissions.js';
import { invalid } from '../../errors.js';
import type { Role } from '../../db/schema.js';
import { field, handleForm } from './forms.js';
import { countAwaiting, listAwaiting } from '../../services/questions.js';
import { categoryDefaultOf } from '../../services/categories.js';
import { MODE_LABELS } from '../../services/discussion.js';

/** The awaiting-a-staff-reply list in the rows the posts table shows. */
async function awaitingRowsOf(db: Parameters<typeof listAwaiting>[0], user: { id: number; role: Role }, page: number, perPage: number) {
  const { posts, total } = await listAwaiting(db, user, page, perPage);
  const rows = posts.map((p) => ({ ...p, author_display_name: p.author.display_name }));
  return { rows, total };
}

/** What the editor form shows: the typed values, exactly as typed. */
export interface EditorValues {
  title: string;
  slug: string;
  body: string;
  excerpt: string;
  categories: string;
  tags: string;
  published_at: string;
  comments_open: boolean;
  kind: string;
  is_question: boolean;
  /** services/discussion.ts: '' for the category default. */
  discussion_mode: string;
  /** In the site's time zone, as a datetime-local field holds it. */
  comments_close_at: string;
}

const ACTIONS = ['draft', 'publish', 'schedule', 'unpublish', 'preview'] as const;
type EditorAction = (typeof ACTIONS)[number];

function valuesFromForm(body: unknown): EditorValues {
  return {
    title: field(body, 'title'),
    slug: field(body, 'slug'),
    body: field(body, 'body'),
    excerpt: field(body, 'excerpt'),
    categories: field(body, 'categories'),
    tags: field(body, 'tags'),
    published_at: field(body, 'published_at'),
    comments_open: field(body, 'comments_open') === 'on',
    kind: field(body, 'kind') || 'post',
    is_question: field(body, 'is_question') === 'on',
    discussion_mode: field(body, 'discussion_mode'),
    comments_close_at: field(body, 'comments_close_at'),
  };
}

function inputFromValues(values: EditorValues, action: EditorAction, timezone: string): PostInput {
  const status = action === 'publish' ? 'published' : action === 'schedule' ? 'scheduled' : 'draft';
  let publishedAt: string | null = null;
  if (values.published_at) {
    publishedAt = localInputToIso(values.published_at, timezone);
    if (!publishedAt) throw invalid({ published_at: 'Give a date and time' });
  }
  let closeAt: string | null = null;
  if (values.comments_close_at) {
    closeAt = localInputToIso(values.comments_close_at, timezone);
    if (!closeAt) throw invalid({ comments_close_at: 'Give a date and time, such as 2026-11-23 18:00' });
  }
  return {
    title: values.title,
    slug: values.slug,
    body: values.body,
    excerpt: values.excerpt,
    categories: values.categories.split(','),
    tags: values.tags.split(','),
    status,
    published_at: publishedAt,
    comments_open: values.comments_open,
    kind: values.kind,
    is_question: values.is_question,
    discussion_mode: values.discussion_mode,
    comments_close_at: closeAt,
  };
}

export default async function postsAdminRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const writer = app.requireRole('write-posts');
  const awaitingRows = (user: { id: number; role: Role }, page: number, perPage: number) => awaitingRowsOf(db(), user, page, perPage);

  app.get('/posts', { schema: { querystring: PageQuery }, preHandler: writer }, async (request, reply) => {
    const user = request.user!;
    const perPage = 25;
    const authorId = can(user.role, 'edit-any-post') ? undefined : user.id;
    // ?awaiting=1: question posts no staff reply answers yet (issue 11, services/questions.ts).
    const awaiting = (request.query as Record<string, unknown>).awaiting === '1';
    const awaitingCount = await countAwaiting(db(), user);
    const { rows, total } = awaiting
      ? await awaitingRows(user, request.query.page, perPage)
      : await listPostsForStaff(db(), { authorId, page: request.query.page, perPage });
    return reply.page('admin/posts', {
      title: awaiting ? 'Questions awaiting a staff reply' : 'Posts',
      awaiting,
      awaitingCount,
      posts: rows,
      page: request.query.page,
      pages: Math.max(1, Math.ceil(total / perPage)),
      total,
      notice: (request.query as Record<string, unknown>).deleted ? 'The post was deleted.' : null,
    });
  });

  const showEditor = async (
    reply: FastifyReply,
    opts: { id: number | null; values: EditorValues; status?: string; errors?: Record<string, string>; preview?: string | null; notice?: string | null; slug?: string },
    code = 200,
  ) =>
    reply.page(
      'admin/editor',
      {
        title: opts.id ? 'Edit post' : 'New post',
        id: opts.id,
        values: opts.values,
        status: opts.status ?? 'draft',
        slug: opts.slug ?? null,
        errors: opts.errors ?? {},
        preview: opts.preview ?? null,
        notice: opts.notice ?? null,
        // What "Category default" means for this post (the Discussion fieldset).
        categoryMode: opts.id ? await categoryDefaultOf(db(), opts.id) : null,
        modeLabels: MODE_LABELS,
      },
      code,
    );

  app.get('/posts/new', { preHandler: writer }, async (request, reply) => {
    const kind = (request.query as Record<string, string>).kind === 'page' ? 'page' : 'post';
    return showEditor(reply, {
      id: null,
      values: { title: '', slug: '', body: '', excerpt: '', categories: '', tags: '', published_at: '', comments_open: kind === 'post', kind, is_question: false, discussion_mode: '', comments_close_at: '' },
    });
  });

  app.get('/posts/:id/edit', { schema: { params: IdParams }, preHandler: writer }, async (request, reply) => {
    const user = request.user!;
    const post = await getPostForStaff(db(), user, request.params.id);
    const row = await loadEditablePost(db(), user, request.params.id);
    const { timezone } = await loadSettings(db());
    const saved = (request.query as Record<string, string>).saved;
    return showEditor(reply, {
      id: post.id,
      status: post.status,
      slug: post.slug,
      notice: saved ? `Saved: ${saved === 'published' ? 'published' : saved === 'scheduled' ? 'scheduled' : 'draft'}.` : null,
      values: {
        title: row.title,
        slug: row.slug,
        body: row.body_md,
        excerpt: row.excerpt_md,
        categories: post.categories.map((c) => c.name).join(', '),
        tags: post.tags.map((t) => t.name).join(', '),
        published_at: isoToLocalInput(row.published_at, timezone),
        comments_open: row.comments_open === 1,
        kind: row.kind,
        is_question: row.is_question === 1,
        discussion_mode: row.discussion_mode ?? '',
        comments_close_at: isoToLocalInput(row.comments_close_at, timezone),
      },
    });
  });

  /** Create (id null) or update, by the button pressed; preview saves nothing. */
  const save = async (request: FastifyRequest, reply: FastifyReply, id: number | null) => {
    const user = request.user!;
    const values = valuesFromForm(request.body);
    const requested = field(request.body, 'action') as EditorAction;
    const action: EditorAction = ACTIONS.includes(requested) ? requested : 'draft';
    const current = id ? await loadEditablePost(db(), user, id) : null;
    const status = current?.status ?? 'draft';
    if (action === 'preview') {
      return showEditor(reply, { id, values, status, slug: current?.slug, preview: renderPost(values.body) });
    }
    return handleForm(
      reply,
      async () => {
        const { timezone } = await loadSettings(db());
        const input = inputFromValues(values, action, timezone);
        let postId = id;
        if (postId === null) postId = await createPost(db(), user, input);
        else await updatePostById(db(), user, postId, input);
        const saved = await loadEditablePost(db(), user, postId);
        return reply.redirect(`/admin/posts/${postId}/edit?saved=${saved.status}`, 303);
      },
      (errors, _message, code) => showEditor(reply, { id, values, status, slug: current?.slug, errors }, code),
    );
  };

  app.post('/posts', { preHandler: [writer, app.csrfProtection] }, (request, reply) => save(request, reply, null));
  app.post('/posts/:id', { schema: { params: IdParams }, preHandler: [writer, app.csrfProtection] }, (request, reply) =>
    save(request, reply, request.params.id),
  );

  app.get('/posts/:id/delete', { schema: { params: IdParams }, preHandler: writer }, async (request, reply) => {
    const post = await loadEditablePost(db(), request.user!, request.params.id);
    return reply.page('admin/confirm-delete', { title: 'Delete post', post });
  });

  app.post('/posts/:id/delete', { schema: { params: IdParams }, preHandler: [writer, app.csrfProtection] }, async (request, reply) => {
    await deletePostById(db(), request.user!, request.params.id);
    return reply.redirect('/admin/posts?deleted=1', 303);
  });

  /** Live preview for the editor's script: the same renderer as saving. */
  app.post(
    '/preview',
    { schema: { body: Type.Object({ body: Type.String({ maxLength: 200_000 }) }) }, preHandler: [writer, app.csrfProtection] },
    async (request) => ({ html: renderPost(request.body.body) }),
  );

}
