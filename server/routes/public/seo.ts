import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { planSitemap, renderSitemapIndex, renderUrlset, robotsTxt, sitemapUrls, type SitemapUrl } from '../../services/seo.js';
import { notFound } from '../../errors.js';
import { sendCacheable } from './cacheable.js';

const XML = 'application/xml; charset=utf-8';

const newest = (urls: SitemapUrl[]) => {
  const max = urls.reduce<string | null>((m, u) => (u.lastmod && (!m || u.lastmod > m) ? u.lastmod : m), null);
  return max ? new Date(max) : null;
};

export default async function seoRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/sitemap.xml', async (request, reply) => {
    const urls = await sitemapUrls(app.db.kysely);
    const plan = planSitemap(urls);
    const body = plan.index ? renderSitemapIndex(app.config.baseUrl, plan.index) : renderUrlset(app.config.baseUrl, urls);
    return sendCacheable(request, reply, { body, contentType: XML, lastModified: newest(urls) });
  });

  // The parts of a sitemap index, once the site has more addresses than one file may hold.
  app.get(
    '/sitemap-:part(^\\d{1,4}$).xml',
    { schema: { params: Type.Object({ part: Type.Integer({ minimum: 1 }) }) } },
    async (request, reply) => {
      const plan = planSitemap(await sitemapUrls(app.db.kysely));
      const part = plan.index ? plan.parts[request.params.part - 1] : undefined;
      if (!part) throw notFound('Sitemap');
      return sendCacheable(request, reply, { body: renderUrlset(app.config.baseUrl, part), contentType: XML, lastModified: newest(part) });
    },
  );

  app.get('/robots.txt', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').header('cache-control', 'public, max-age=3600').send(robotsTxt(app.config.baseUrl)),
  );
}
