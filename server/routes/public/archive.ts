import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PageQuery } from '../../schemas/common.js';
import { archiveIndex, monthHref, monthLabel, monthListing, parseArchiveMonth } from '../../services/archive.js';
import { loadSettings } from '../../services/settings.js';
import { pageSeo } from '../../services/seo.js';
import { notFound } from '../../errors.js';

export default async function archiveRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const seoSite = (settings: { site_name: string; tagline: string }) => ({
    baseUrl: app.config.baseUrl,
    siteName: settings.site_name,
    tagline: settings.tagline,
  });

  app.get('/archive', async (_request, reply) => {
    const settings = await loadSettings(db());
    const years = await archiveIndex(db(), settings.timezone);
    return reply.page('archive', {
      title: 'Archive',
      years,
      seo: pageSeo(seoSite(settings), { path: '/archive', title: 'Archive', description: `Everything published on ${settings.site_name}, by month` }),
    });
  });

  // Only /dddd/dd reaches the handler; anything else falls through to the 404 page as before.
  app.get(
    '/:year(^\\d{4}$)/:month(^\\d{2}$)',
    { schema: { params: Type.Object({ year: Type.String(), month: Type.String() }), querystring: PageQuery } },
    async (request, reply) => {
      const when = parseArchiveMonth(request.params.year, request.params.month);
      if (!when) throw notFound('Page');
      const settings = await loadSettings(db());
      const listing = await monthListing(db(), when.year, when.month, settings.timezone, request.query.page, settings.posts_per_page);
      // An empty month, or a page past the last, is not a page (as in WordPress).
      if (listing.total === 0 || listing.page > listing.pages) throw notFound('Page');
      const label = monthLabel(when.year, when.month);
      const path = monthHref(when.year, when.month) + (listing.page > 1 ? `?page=${listing.page}` : '');
      return reply.page('listing', {
        title: label,
        heading: `Posts from ${label}`,
        listing,
        seo: pageSeo(seoSite(settings), { path, title: `Posts from ${label}` }),
      });
    },
  );
}
