import type { FastifyInstance } from 'fastify';
import feedRoutes from './feeds.js';
import searchRoutes from './search.js';
import archiveRoutes from './archive.js';
import seoRoutes from './seo.js';

/** Issue 6, "Discovery": feeds, search, archives, sitemap and robots.txt. */
export default async function discoveryRoutes(app: FastifyInstance) {
  await app.register(feedRoutes);
  await app.register(searchRoutes);
  await app.register(archiveRoutes);
  await app.register(seoRoutes);
}
