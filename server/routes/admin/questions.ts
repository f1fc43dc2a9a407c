import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { CommentThemeParams } from '../../schemas/questions.js';
import { findPostById } from '../../data/posts.js';
import { findComment, listApprovedComments } from '../../data/comments.js';
import { listThemesWithCounts, themesOfComments } from '../../data/themes.js';
import { officialAnswer, pinAnswer, unpinAnswer } from '../../services/questions.js';
import { removeTheme, tagComment, THEME_LIMITS, untagComment } from '../../services/themes.js';
import { AppError, notFound } from '../../errors.js';
import { field, safeNext } from './forms.js';

/** What a moderator typed in one comment's tagging form, kept when it comes back with an error. */
interface Typed {
  commentId: number;
  newTheme: string;
  themeIds: number[];
}

const PostThemeParams = Type.Object({ id: Type.Integer({ minimum: 1 }), themeId: Type.Integer({ minimum: 1 }) });

/** Every value of a repeated form field (checkboxes), as positive integers. */
function ids(body: unknown, name: string): number[] {
  const raw = (body as Record<string, unknown> | undefined)?.[name];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map(Number).filter((n) => Number.isInteger(n) && n > 0);
}

/**
 * The moderators' page of a question post (issue 11): its approved answers, each with its
 * themes and a form to add more; the themes with their counts; the official answer.
 */
export default async function questionsAdminRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  // Role and CSRF token are checked before the URL's ids are validated: a refused request learns nothing.
  const moderator = app.requireRole('moderate');
  const themesPath = (postId: number, commentId?: number) => `/admin/posts/${postId}/themes${commentId ? `#c-${commentId}` : ''}`;

  async function showThemes(
    request: FastifyRequest,
    reply: FastifyReply,
    postId: number,
    opts: { errors?: Record<string, string>; typed?: Typed | null } = {},
    status = 200,
  ) {
    const post = await findPostById(db(), postId);
    if (!post || post.kind !== 'post') throw notFound('Post');
    const comments = post.is_question === 1 ? await listApprovedComments(db(), post.id) : [];
    const [tags, themes] = await Promise.all([themesOfComments(db(), comments.map((c) => c.id)), listThemesWithCounts(db(), post.id)]);
    themes.sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
    const answer = officialAnswer({ is_question: post.is_question === 1, answer_comment_id: post.answer_comment_id }, comments);
    const query = request.query as Record<string, string | undefined>;
    return reply.page(
      'admin/themes',
      {
        title: `Themes: ${post.title}`,
        post,
        live: post.status !== 'draft',
        comments: comments.map((c) => ({ ...c, themes: tags.get(c.id) ?? [] })),
        themes,
        answer,
        limits: THEME_LIMITS,
        errors: opts.errors ?? {},
        typed: opts.typed ?? null,
        notice: query.done === 'tagged' ? 'Themes saved.' : query.done === 'answer' ? 'Official answer updated.' : query.done === 'removed' ? 'Theme removed.' : null,
      },
      status,
    );
  }

  app.get('/posts/:id/themes', { schema: { params: IdParams }, preHandler: moderator }, (request, reply) => showThemes(request, reply, request.params.id));

  app.post('/comments/:id/themes', { schema: { params: IdParams }, preValidation: [moderator, app.csrfProtection] }, async (request, reply) => {
    const comment = await findComment(db(), request.params.id);
    if (!comment) throw notFound('Comment');
    const typed: Typed = { commentId: comment.id, newTheme: field(request.body, 'new_theme'), themeIds: ids(request.body, 'theme_ids') };
    const errorKey = `new-theme-${comment.id}`;
    try {
      await tagComment(db(), request.user!, comment.id, {
        themeIds: typed.themeIds,
        names: typed.newTheme.trim() ? [typed.newTheme] : [],
        namesField: errorKey,
      });
    } catch (err) {
      if (err instanceof AppError && err.status === 422) {
        // Every message belongs to this comment's form, whatever field the service named.
        const message = Object.values(err.fields)[0] ?? err.message;
        return showThemes(request, reply, comment.post_id, { errors: { [errorKey]: message }, typed }, 422);
      }
      throw err;
    }
    return reply.redirect(`/admin/posts/${comment.post_id}/themes?done=tagged#c-${comment.id}`, 303);
  });

  app.post('/comments/:id/themes/:themeId/delete', { schema: { params: CommentThemeParams }, preValidation: [moderator, app.csrfProtection] }, async (request, reply) => {
    const comment = await findComment(db(), request.params.id);
    if (!comment) throw notFound('Comment');
    await untagComment(db(), request.user!, comment.id, request.params.themeId);
    return reply.redirect(`/admin/posts/${comment.post_id}/themes?done=removed#c-${comment.id}`, 303);
  });

  app.post('/posts/:id/themes/:themeId/delete', { schema: { params: PostThemeParams }, preValidation: [moderator, app.csrfProtection] }, async (request, reply) => {
    await removeTheme(db(), request.user!, request.params.id, request.params.themeId);
    return reply.redirect(`/admin/posts/${request.params.id}/themes?done=removed`, 303);
  });

  /** Pin or unpin, from the post page (moderators see a button on staff replies) or the themes page. */
  const back = (request: FastifyRequest, postId: number) => safeNext(field(request.body, 'return_to'), `${themesPath(postId)}?done=answer`);

  app.post('/posts/:id/answer', { schema: { params: IdParams }, preValidation: [moderator, app.csrfProtection] }, async (request, reply) => {
    const postId = request.params.id;
    const commentId = Number(field(request.body, 'comment_id'));
    try {
      if (!Number.isInteger(commentId) || commentId < 1) throw new AppError(422, 'validation_failed', 'Choose a staff reply to pin', { comment_id: 'Choose a staff reply to pin' });
      await pinAnswer(db(), request.user!, postId, commentId);
    } catch (err) {
      if (err instanceof AppError && err.status === 422) return showThemes(request, reply, postId, { errors: { form: Object.values(err.fields)[0] ?? err.message } }, 422);
      throw err;
    }
    return reply.redirect(back(request, postId), 303);
  });

  app.post('/posts/:id/answer/delete', { schema: { params: IdParams }, preValidation: [moderator, app.csrfProtection] }, async (request, reply) => {
    await unpinAnswer(db(), request.user!, request.params.id);
    return reply.redirect(back(request, request.params.id), 303);
  });
}
