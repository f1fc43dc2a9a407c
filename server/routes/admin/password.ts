import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { findResetUser, requestPasswordReset, resetPassword } from '../../services/password-reset.js';
import { endSession, startSession } from '../../services/auth.js';
import { isStaff } from '../../services/permissions.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { loadSettings } from '../../services/settings.js';
import { field, handleForm } from './forms.js';
import { changePasswordFromForm } from '../password-form.js';

// Loose on purpose: an unknown or malformed token is the service's 404, after the CSRF check.
const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });

/** Passwords: change your own, and "forgot password" with a single-use link (issue 12). */
export default async function passwordRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const staff = app.requireRole('staff-area');
  const csrf = { preHandler: app.csrfProtection };

  app.get('/password', { preHandler: staff }, async (request, reply) => {
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return reply.page('admin/password', { title: 'Change your password', errors: {}, notice: saved ? 'Password changed. You were signed out everywhere else.' : null });
  });

  app.post('/password', { preHandler: [staff, app.csrfProtection] }, async (request, reply) =>
    handleForm(
      reply,
      async () => {
        await changePasswordFromForm(app, request);
        return reply.redirect('/admin/password?saved=1', 303);
      },
      (errors, _m, status) => reply.page('admin/password', { title: 'Change your password', errors, notice: null }, status),
    ),
  );

  const forgotPage = (extra: Record<string, unknown> = {}) => ({
    title: 'Forgot your password?',
    mail: mailEnabled(app.config),
    login: '',
    sent: false,
    errors: {},
    ...extra,
  });

  app.get('/forgot', async (_request, reply) => reply.page('admin/forgot', forgotPage()));

  app.post('/forgot', csrf, async (request, reply) => {
    const login = field(request.body, 'login');
    return handleForm(
      reply,
      async () => {
        const site = await loadSettings(db());
        await requestPasswordReset(db(), login, { baseUrl: app.config.baseUrl, mail: mailEnabled(app.config), siteName: site.site_name });
        // The same answer whether an account matched or not.
        return reply.page('admin/forgot', forgotPage({ login, sent: true }));
      },
      (errors, _m, status) => reply.page('admin/forgot', forgotPage({ login, errors }), status),
    );
  });

  // Opening the link changes nothing (mail scanners open links too); only the form spends it.
  app.get('/reset/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const user = await findResetUser(db(), request.params.token);
    return reply.page('admin/password-reset', { title: 'Choose a new password', username: user.username, token: request.params.token, errors: {} });
  });

  app.post('/reset/:token', { schema: { params: TokenParams }, ...csrf }, async (request, reply) => {
    const token = request.params.token;
    return handleForm(
      reply,
      async () => {
        const user = await resetPassword(
          db(),
          token,
          { password: field(request.body, 'password'), password_confirm: field(request.body, 'password_confirm') },
          app.config.passwordCost,
        );
        if (request.sessionToken) await endSession(db(), request.sessionToken);
        reply.startSessionCookie(await startSession(db(), user.id));
        return reply.redirect(isStaff(user.role) ? '/admin?password_reset=1' : '/account?done=password', 303);
      },
      async (errors, _m, status) => {
        const user = await findResetUser(db(), token);
        return reply.page('admin/password-reset', { title: 'Choose a new password', username: user.username, token, errors }, status);
      },
    );
  });
}
