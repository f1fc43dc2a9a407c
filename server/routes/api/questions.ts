import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, SlugParams } from '../../schemas/common.js';
import { AnswerBody, CommentThemeParams, TagBody } from '../../schemas/questions.js';
import { getPublicQuestion, pinAnswer, unpinAnswer } from '../../services/questions.js';
import { tagComment, untagComment } from '../../services/themes.js';
import { SUMMARY_QUOTES, themeSummary } from '../../services/theme-summary.js';
import { findPostWithAuthorBySlug } from '../../data/posts.js';
import { findComment } from '../../data/comments.js';
import { listThemesWithCounts } from '../../data/themes.js';
import { notFound } from '../../errors.js';

/** Question posts and themes in the JSON API (docs/api-questions.md). */
export default async function questionsApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  // Checked before the body is validated: a client that may not call a route learns nothing about it.
  const moderator = app.requireApiRole('moderate');
  const postUrl = (slug: string) => `${app.config.baseUrl}/posts/${encodeURIComponent(slug)}`;

  /** Any post by slug, for staff: a draft question can be prepared too. */
  const staffPost = async (slug: string) => {
    const post = await findPostWithAuthorBySlug(db(), slug);
    if (!post || post.kind !== 'post') throw notFound('Post');
    return post;
  };

  app.put('/posts/:slug/answer', { schema: { params: SlugParams, body: AnswerBody }, preValidation: moderator }, async (request) => {
    const post = await staffPost(request.params.slug);
    await pinAnswer(db(), request.user!, post.id, request.body.comment_id);
    const comment = (await findComment(db(), request.body.comment_id))!;
    return {
      post: { id: post.id, slug: post.slug },
      answer: { comment_id: comment.id, author_name: comment.author_name, html: comment.body_html, created_at: comment.created_at },
    };
  });

  app.delete('/posts/:slug/answer', { schema: { params: SlugParams }, preValidation: moderator }, async (request, reply) => {
    const post = await staffPost(request.params.slug);
    await unpinAnswer(db(), request.user!, post.id);
    return reply.code(204).send();
  });

  app.get('/posts/:slug/summary', { schema: { params: SlugParams } }, async (request) => {
    const post = await getPublicQuestion(db(), request.params.slug);
    const summary = await themeSummary(db(), post.id, SUMMARY_QUOTES.api);
    const url = postUrl(post.slug);
    return {
      post: { id: post.id, slug: post.slug, title: post.title, url },
      mentions: summary.mentions,
      themes: summary.themes.map((t) => ({
        id: t.id,
        name: t.name,
        mentions: t.mentions,
        quotes: t.quotes.map((q) => ({ comment_id: q.comment_id, text: q.text, url: `${url}#comment-${q.comment_id}` })),
      })),
    };
  });

  app.get('/posts/:slug/themes', { schema: { params: SlugParams }, preValidation: moderator }, async (request) => {
    const post = await staffPost(request.params.slug);
    const themes = await listThemesWithCounts(db(), post.id);
    return { themes: themes.sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' })) };
  });

  app.post('/comments/:id/themes', { schema: { params: IdParams, body: TagBody }, preValidation: moderator }, async (request) => {
    const themes = await tagComment(db(), request.user!, request.params.id, { names: request.body.themes, themeIds: request.body.theme_ids });
    return { comment_id: request.params.id, themes };
  });

  app.delete('/comments/:id/themes/:themeId', { schema: { params: CommentThemeParams }, preValidation: moderator }, async (request, reply) => {
    await untagComment(db(), request.user!, request.params.id, request.params.themeId);
    return reply.code(204).send();
  });
}
