import type { FastifyInstance, FastifyReply } from 'fastify';
import { listCategories, saveCategoryModes } from '../../services/categories.js';
import { MODE_LABELS } from '../../services/discussion.js';
import { field, handleForm } from './forms.js';

/**
 * Categories and the discussion mode each gives its posts by default (issue 11). Editors and
 * administrators (the `moderate` permission), as who may comment is a moderation matter.
 */
export default async function categoriesAdminRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const access = app.requireRole('moderate');

  const show = async (reply: FastifyReply, values: Record<string, string> | null, errors: Record<string, string>, notice: string | null, status = 200) => {
    const categories = await listCategories(db());
    return reply.page(
      'admin/categories',
      {
        title: 'Categories',
        categories,
        // Typed values win over stored ones when the form comes back with an error.
        values: values ?? Object.fromEntries(categories.map((c) => [`mode_${c.id}`, c.discussion_mode ?? ''])),
        errors,
        notice,
        modeLabels: MODE_LABELS,
      },
      status,
    );
  };

  app.get('/categories', { preHandler: access }, async (request, reply) =>
    show(reply, null, {}, (request.query as Record<string, unknown>).saved === '1' ? 'Category defaults saved.' : null),
  );

  app.post('/categories', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const values: Record<string, string> = {};
    const byId = new Map<number, string>();
    for (const name of Object.keys(body)) {
      const m = /^mode_(\d{1,9})$/.exec(name);
      if (!m) continue;
      values[name] = field(body, name);
      byId.set(Number(m[1]), values[name]);
    }
    return handleForm(
      reply,
      async () => {
        await saveCategoryModes(db(), byId);
        return reply.redirect('/admin/categories?saved=1', 303);
      },
      (errors, _message, status) => show(reply, values, errors, null, status),
    );
  });
}
