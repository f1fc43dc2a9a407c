import type { FastifyInstance } from 'fastify';
import sessionRoutes from './session.js';
import dashboardRoutes from './dashboard.js';
import postsAdminRoutes from './posts.js';
import uploadRoutes from './uploads.js';
import accountRoutes from './account.js';
import siteRoutes from './site.js';
import usersRoutes from './users.js';
import passwordRoutes from './password.js';
import privacyRoutes from './privacy.js';
import commentsAdminRoutes from './comments.js';
import categoriesAdminRoutes from './categories.js';
import workspaceRoutes from './workspace.js';
import questionsAdminRoutes from './questions.js';
import mailAdminRoutes from './mail.js';
import subscriptionsAdminRoutes from './subscriptions.js';
import importExportRoutes from './import-export.js';

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
  await app.register(usersRoutes);
  await app.register(passwordRoutes);
  await app.register(privacyRoutes);
  await app.register(commentsAdminRoutes);
  await app.register(categoriesAdminRoutes);
  await app.register(workspaceRoutes);
  await app.register(questionsAdminRoutes);
  await app.register(mailAdminRoutes);
  await app.register(subscriptionsAdminRoutes);
  await app.register(importExportRoutes);
}
