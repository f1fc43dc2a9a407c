import type { FastifyInstance } from 'fastify';
import { listLogoChoices, loadSettings, saveGeneralSettings } from '../../services/settings.js';
import { field, handleForm } from './forms.js';

const optionalField = (body: unknown, name: string) => ((body as Record<string, unknown> | undefined)?.[name] === undefined ? undefined : field(body, name));

/** Administrators only: site settings (accounts are in users.ts). */
export default async function siteRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const settingsAccess = app.requireRole('manage-settings');
  const timezones = Intl.supportedValuesOf('timeZone');

  app.get('/settings', { preHandler: settingsAccess }, async (request, reply) => {
    const values = await loadSettings(db());
    const saved = (request.query as Record<string, unknown>).saved === '1';
    const logos = await listLogoChoices(db());
    return reply.page('admin/settings', { title: 'Settings', values, errors: {}, timezones, logos, notice: saved ? 'Settings saved.' : null });
  });

  app.post('/settings', { preHandler: [settingsAccess, app.csrfProtection] }, async (request, reply) => {
    const values = {
      site_name: field(request.body, 'site_name'),
      tagline: field(request.body, 'tagline'),
      timezone: field(request.body, 'timezone'),
      posts_per_page: field(request.body, 'posts_per_page'),
      // Absent (an older form) leaves the setting as it is; the checkbox comes with a hidden 'off'.
      patron_registration: optionalField(request.body, 'patron_registration'),
      ip_hash_retention_days: optionalField(request.body, 'ip_hash_retention_days'),
      logo_url: optionalField(request.body, 'logo_url'),
    };
    return handleForm(
      reply,
      async () => {
        await saveGeneralSettings(db(), values);
        return reply.redirect('/admin/settings?saved=1', 303);
      },
      async (errors, _m, status) => reply.page('admin/settings', { title: 'Settings', values, errors, timezones, logos: await listLogoChoices(db()), notice: null }, status),
    );
  });
}
