import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, SlugParams } from '../../schemas/common.js';
import { ReportBody } from '../../schemas/reactions.js';
import { like, resolveLikeTarget, unlike, type LikeSubject, type PostLikesView } from '../../services/likes.js';
import { reportComment } from '../../services/reports.js';
import { loadSettings } from '../../services/settings.js';
import { readerFor } from '../reader.js';

/**
 * Likes and reports through the JSON API (docs/api-reactions.md). Public: the reader is the
 * browser's lectern_reader cookie (set here when missing), as on the HTML forms.
 */
export default async function reactionsApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;

  async function likeRoute(request: FastifyRequest, reply: FastifyReply, subject: LikeSubject, action: 'like' | 'unlike') {
    const { target } = await resolveLikeTarget(db(), subject);
    const state = await (action === 'like' ? like : unlike)(db(), target, readerFor(app, request, reply));
    const status = action === 'like' && state.changed ? 201 : 200;
    return reply.code(status).send({ like: { count: state.count, liked: state.liked } });
  }

  const post = (slug: string): LikeSubject => ({ kind: 'post', slug });
  const comment = (id: number): LikeSubject => ({ kind: 'comment', id });

  app.post('/posts/:slug/like', { schema: { params: SlugParams } }, (request, reply) => likeRoute(request, reply, post(request.params.slug), 'like'));
  app.delete('/posts/:slug/like', { schema: { params: SlugParams } }, (request, reply) => likeRoute(request, reply, post(request.params.slug), 'unlike'));
  app.post('/comments/:id/like', { schema: { params: IdParams } }, (request, reply) => likeRoute(request, reply, comment(request.params.id), 'like'));
  app.delete('/comments/:id/like', { schema: { params: IdParams } }, (request, reply) => likeRoute(request, reply, comment(request.params.id), 'unlike'));

  app.post('/comments/:id/reports', { schema: { params: IdParams, body: ReportBody } }, async (request, reply) => {
    const result = await reportComment(db(), request.params.id, request.body ?? {}, readerFor(app, request, reply), await loadSettings(db()));
    return reply.code(result.created ? 201 : 200).send({ report: { comment_id: request.params.id, created: result.created } });
  });
}

type ApiComment = Record<string, unknown> & { id: number; replies: ApiComment[] };

/** GET /api/v1/posts/:slug: each comment of the tree with its like count. */
export function withLikeCounts(comments: Record<string, unknown>[], likes: PostLikesView): Record<string, unknown>[] {
  return (comments as ApiComment[]).map((c) => ({ ...c, like_count: likes.comment(c.id).count, replies: withLikeCounts(c.replies, likes) }));
}
