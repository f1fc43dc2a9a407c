import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../schemas/common.js';
import { queryText, searchSite } from '../../services/search.js';
import { loadSettings } from '../../services/settings.js';
import { pageSeo } from '../../services/seo.js';

// `q` is read leniently (missing, repeated, anything at all): a search box never answers with an error.
const SearchQuery = Type.Object({ q: Type.Optional(Type.Any()), page: PageQuery.properties.page });

export default async function searchRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/search', { schema: { querystring: SearchQuery } }, async (request, reply) => {
    const settings = await loadSettings(app.db.kysely);
    const results = await searchSite(app.db, queryText(request.query.q), request.query.page, settings.posts_per_page);
    const title = results.query ? `Search results for “${results.query}”` : 'Search';
    return reply.page('search', {
      title,
      results,
      searchQuery: results.query,
      seo: pageSeo(
        { baseUrl: app.config.baseUrl, siteName: settings.site_name, tagline: settings.tagline },
        { path: '/search', title, robots: 'noindex, follow' },
      ),
    });
  });
}
