import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { PageQuery, SlugParams } from '../../schemas/common.js';
import { getPublicPost, listPublicPosts, type PostPage } from '../../services/posts.js';
import { loadSettings } from '../../services/settings.js';
import { findTerm } from '../../data/terms.js';
import { findUserByUsername } from '../../data/users.js';
import { notFound } from '../../errors.js';
import postRoutes from './posts.js';
import ownCommentRoutes from './own-comments.js';
import questionRoutes from './questions.js';
import reactionRoutes from './reactions.js';
import accountRoutes from './account.js';
import unsubscribeRoutes from './unsubscribe.js';
import discoveryRoutes from './discovery.js';
import wordpressRedirects from './redirects.js';
import { postsFeedLink } from '../../services/feeds.js';
import type { TermKind } from '../../db/schema.js';

/** A page past the last one is a 404, as in WordPress, not an empty list. */
function ensurePageExists(listing: PostPage): PostPage {
  if (listing.page > 1 && listing.page > listing.pages) throw notFound('Page');
  return listing;
}

export default async function publicRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const perPage = async () => (await loadSettings(db())).posts_per_page;

  await app.register(postRoutes);
  await app.register(ownCommentRoutes);
  await app.register(questionRoutes);
  await app.register(reactionRoutes);
  await app.register(accountRoutes);
  await app.register(unsubscribeRoutes);
  await app.register(discoveryRoutes);
  // Old WordPress addresses (issue 7); its hook also answers /?p=<id> on the home page.
  await app.register(wordpressRedirects);

  app.get('/', { schema: { querystring: PageQuery } }, async (request, reply) => {
    const listing = ensurePageExists(await listPublicPosts(db(), {}, request.query.page, await perPage()));
    return reply.page('home', { listing, heading: null });
  });

  app.get('/pages/:slug', { schema: { params: SlugParams } }, async (request, reply) => {
    const post = await getPublicPost(db(), request.params.slug, 'page');
    return reply.page('page', { title: post.title, post });
  });

  for (const kind of ['category', 'tag'] as TermKind[]) {
    app.get(`/${kind}/:slug`, { schema: { params: SlugParams, querystring: PageQuery } }, async (request, reply) => {
      const term = await findTerm(db(), kind, request.params.slug);
      if (!term) throw notFound(kind === 'category' ? 'Category' : 'Tag');
      const listing = ensurePageExists(await listPublicPosts(db(), { termId: term.id }, request.query.page, await perPage()));
      const heading = kind === 'category' ? `Posts in ${term.name}` : `Posts tagged ${term.name}`;
      const feeds = [postsFeedLink({ kind, slug: term.slug, name: term.name, termId: term.id })];
      return reply.page('listing', { title: term.name, heading, description: term.description, listing, feeds });
    });
  }

  app.get(
    '/author/:username',
    { schema: { params: Type.Object({ username: Type.String({ maxLength: 64 }) }), querystring: PageQuery } },
    async (request, reply) => {
      const author = await findUserByUsername(db(), request.params.username);
      if (!author || author.role === 'patron') throw notFound('Author');
      const listing = ensurePageExists(await listPublicPosts(db(), { authorId: author.id }, request.query.page, await perPage()));
      return reply.page('listing', {
        title: author.display_name,
        heading: `Posts by ${author.display_name}`,
        bioHtml: author.bio_html,
        listing,
        feeds: [postsFeedLink({ kind: 'author', username: author.username, displayName: author.display_name, userId: author.id })],
      });
    },
  );

  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(db());
      return { status: 'ok' };
    } catch (err) {
      app.log.error({ err }, 'health check failed');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
