import type { FastifyInstance } from 'fastify';
import { loadSettings, saveGeneralSettings } from '../../services/settings.js';
import { createUser } from '../../services/users.js';
import { generatePassword } from '../../services/passwords.js';
import { listUsers } from '../../data/users.js';
import { ROLES } from '../../services/permissions.js';
import { field, handleForm } from './forms.js';

/** Administrators only: site settings and accounts. */
export default async function siteRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const settingsAccess = app.requireRole('manage-settings');
  const usersAccess = app.requireRole('manage-users');
  const timezones = Intl.supportedValuesOf('timeZone');

  app.get('/settings', { preHandler: settingsAccess }, async (request, reply) => {
    const values = await loadSettings(db());
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return reply.page('admin/settings', { title: 'Settings', values, errors: {}, timezones, notice: saved ? 'Settings saved.' : null });
  });

  app.post('/settings', { preHandler: [settingsAccess, app.csrfProtection] }, async (request, reply) => {
    const values = {
      site_name: field(request.body, 'site_name'),
      tagline: field(request.body, 'tagline'),
      timezone: field(request.body, 'timezone'),
      posts_per_page: field(request.body, 'posts_per_page'),
    };
    return handleForm(
      reply,
      async () => {
        await saveGeneralSettings(db(), values);
        return reply.redirect('/admin/settings?saved=1', 303);
      },
      (errors, _m, status) => reply.page('admin/settings', { title: 'Settings', values, errors, timezones, notice: null }, status),
    );
  });

  const usersPage = async (extra: Record<string, unknown> = {}) => ({
    title: 'Users',
    users: await listUsers(db()),
    roles: ROLES,
    values: { username: '', display_name: '', email: '', role: 'author' },
    errors: {},
    created: null,
    ...extra,
  });

  app.get('/users', { preHandler: usersAccess }, async (_request, reply) => reply.page('admin/users', await usersPage()));

  app.post('/users', { preHandler: [usersAccess, app.csrfProtection] }, async (request, reply) => {
    const values = {
      username: field(request.body, 'username'),
      display_name: field(request.body, 'display_name'),
      email: field(request.body, 'email'),
      role: field(request.body, 'role'),
    };
    return handleForm(
      reply,
      async () => {
        // The new person gets a generated password, shown once, to change at first sign-in.
        const password = generatePassword();
        const user = await createUser(db(), { ...values, password }, app.config.passwordCost);
        return reply.page('admin/users', await usersPage({ created: { username: user.username, password } }), 201);
      },
      async (errors, _m, status) => reply.page('admin/users', await usersPage({ values, errors }), status),
    );
  });
}
