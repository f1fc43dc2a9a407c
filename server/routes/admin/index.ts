import type { FastifyInstance } from 'fastify';
import sessionRoutes from './session.js';
import dashboardRoutes from './dashboard.js';
import postsAdminRoutes from './posts.js';
import uploadRoutes from './uploads.js';
import accountRoutes from './account.js';
import siteRoutes from './site.js';
import commentsAdminRoutes from './comments.js';

export default async function adminRoutes(app: FastifyInstance) {
  // The staff area is never cached by a browser or a proxy.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  await app.register(sessionRoutes);
  await app.register(dashboardRoutes);
  await app.register(postsAdminRoutes);
  await app.register(uploadRoutes);
  await app.register(accountRoutes);
  await app.register(siteRoutes);
  await app.register(commentsAdminRoutes);
}
