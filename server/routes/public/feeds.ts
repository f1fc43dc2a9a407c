import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SlugParams } from '../../schemas/common.js';
import { buildCommentsFeed, buildPostsFeed, type BuiltFeed, type FeedFormat } from '../../services/feeds.js';
import { getPublicPost } from '../../services/posts.js';
import { loadSettings } from '../../services/settings.js';
import { findTerm } from '../../data/terms.js';
import { findUserByUsername } from '../../data/users.js';
import { notFound } from '../../errors.js';
import type { TermKind } from '../../db/schema.js';
import { sendCacheable } from './cacheable.js';

const FORMATS: [FeedFormat, string][] = [
  ['rss', 'xml'],
  ['atom', 'atom'],
];

export default async function feedRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const context = async () => ({ baseUrl: app.config.baseUrl, site: await loadSettings(db()) });
  const send = (request: FastifyRequest, reply: FastifyReply, feed: BuiltFeed) =>
    sendCacheable(request, reply, { body: feed.xml, contentType: feed.contentType, lastModified: feed.lastModified });

  for (const [format, ext] of FORMATS) {
    app.get(`/feed.${ext}`, async (request, reply) =>
      send(request, reply, await buildPostsFeed(db(), await context(), { kind: 'site' }, format)),
    );

    app.get(`/comments/feed.${ext}`, async (request, reply) =>
      send(request, reply, await buildCommentsFeed(db(), await context(), null, format)),
    );

    app.get(`/posts/:slug/feed.${ext}`, { schema: { params: SlugParams } }, async (request, reply) => {
      const post = await getPublicPost(db(), request.params.slug, 'post');
      return send(request, reply, await buildCommentsFeed(db(), await context(), post, format));
    });

    for (const kind of ['category', 'tag'] as TermKind[]) {
      app.get(`/${kind}/:slug/feed.${ext}`, { schema: { params: SlugParams } }, async (request, reply) => {
        const term = await findTerm(db(), kind, request.params.slug);
        if (!term) throw notFound(kind === 'category' ? 'Category' : 'Tag');
        const scope = { kind, slug: term.slug, name: term.name, termId: term.id };
        return send(request, reply, await buildPostsFeed(db(), await context(), scope, format));
      });
    }

    app.get(
      `/author/:username/feed.${ext}`,
      { schema: { params: Type.Object({ username: Type.String({ maxLength: 64 }) }) } },
      async (request, reply) => {
        const author = await findUserByUsername(db(), request.params.username);
        if (!author || author.role === 'patron') throw notFound('Author');
        const scope = { kind: 'author' as const, username: author.username, displayName: author.display_name, userId: author.id };
        return send(request, reply, await buildPostsFeed(db(), await context(), scope, format));
      },
    );
  }
}
