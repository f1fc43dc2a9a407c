import type { FastifyInstance } from 'fastify';
import { erasePersonalData, exportPersonalData, findPersonalData, recentPrivacyLog } from '../../services/privacy.js';
import { loadSettings } from '../../services/settings.js';
import { AppError, invalid } from '../../errors.js';
import { field } from './forms.js';

/** Administrators only: find, export and erase what is stored for one email (issue 12). */
export default async function privacyRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const access = app.requireRole('manage-users');

  const privacyPage = async (extra: Record<string, unknown> = {}) => ({
    title: 'Personal data',
    email: '',
    data: null,
    errors: {},
    log: await recentPrivacyLog(db()),
    retentionDays: (await loadSettings(db())).ip_hash_retention_days,
    ...extra,
  });

  app.get('/privacy', { preHandler: access }, async (request, reply) => {
    const email = String((request.query as Record<string, unknown>).email ?? '').trim();
    if (!email) return reply.page('admin/privacy', await privacyPage());
    try {
      return reply.page('admin/privacy', await privacyPage({ email, data: await findPersonalData(db(), email) }));
    } catch (err) {
      if (err instanceof AppError && err.status === 422) return reply.page('admin/privacy', await privacyPage({ email, errors: err.fields }), 422);
      throw err;
    }
  });

  app.post('/privacy/export', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const email = field(request.body, 'email');
    try {
      const data = await exportPersonalData(db(), request.user!, email);
      const day = data.exported_at.slice(0, 10);
      return reply
        .header('content-disposition', `attachment; filename="personal-data-${day}.json"`)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(data, null, 2));
    } catch (err) {
      if (err instanceof AppError && err.status === 422) return reply.page('admin/privacy', await privacyPage({ email, errors: err.fields }), 422);
      throw err;
    }
  });

  app.post('/privacy/erase', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const email = field(request.body, 'email');
    const mode = field(request.body, 'mode');
    try {
      if (field(request.body, 'confirm') !== 'yes') throw invalid({ confirm: 'Tick the box to confirm: erasing cannot be undone' });
      const result = await erasePersonalData(db(), request.user!, email, mode);
      return reply.page('admin/privacy-erased', { title: 'Personal data erased', result });
    } catch (err) {
      if (err instanceof AppError && (err.status === 422 || err.status === 409)) {
        const errors = Object.keys(err.fields).length ? err.fields : { form: err.message };
        const data = await findPersonalData(db(), email).catch(() => null);
        return reply.page('admin/privacy', await privacyPage({ email, data, errors, mode }), err.status);
      }
      throw err;
    }
  });
}
