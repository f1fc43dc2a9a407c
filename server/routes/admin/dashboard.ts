import type { FastifyInstance } from 'fastify';
import { needsSetup } from '../../services/users.js';
import { countPostsByStatus, listPostsForStaff } from '../../data/posts.js';
import { countByStatus } from '../../data/comments.js';
import { can } from '../../services/permissions.js';
import { countAwaiting } from '../../services/questions.js';

export default async function dashboardRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;

  app.get('/', async (request, reply) => {
    if (await needsSetup(db())) return reply.redirect('/admin/setup', 303);
    await app.requireRole('staff-area')(request, reply);
    if (reply.sent) return reply;
    const user = request.user!;
    const counts = await countPostsByStatus(db());
    const pendingComments = can(user.role, 'moderate') ? (await countByStatus(db())).pending : null;
    const recent = await listPostsForStaff(db(), {
      authorId: user.role === 'author' ? user.id : undefined,
      page: 1,
      perPage: 5,
    });
    return reply.page('admin/dashboard', {
      title: 'Dashboard',
      counts,
      pendingComments,
      awaitingQuestions: await countAwaiting(db(), user),
      recent: recent.rows,
      welcome: (request.query as Record<string, string>).welcome === '1',
    });
  });
}
