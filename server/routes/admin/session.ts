import type { FastifyInstance } from 'fastify';
import { checkCredentials, endSession, startSession, throttledSignIn } from '../../services/auth.js';
import { throttleMessage } from '../../services/login-throttle.js';
import { decoyPasswordHash } from '../../services/passwords.js';
import { createUser, needsSetup } from '../../services/users.js';
import { isStaff } from '../../services/permissions.js';
import { notFound } from '../../errors.js';
import { field, handleForm, safeNext } from './forms.js';

/** First-run setup, sign-in and sign-out. */
export default async function sessionRoutes(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const csrf = { preHandler: app.csrfProtection };
  // Made now, so the first sign-in with an unknown name takes no longer than any other.
  void decoyPasswordHash(app.config.passwordCost);

  app.get('/setup', async (_request, reply) => {
    if (!(await needsSetup(db()))) throw notFound();
    return reply.page('admin/setup', { title: 'Set up Lectern', values: {}, errors: {} });
  });

  app.post('/setup', csrf, async (request, reply) => {
    const values = {
      username: field(request.body, 'username'),
      display_name: field(request.body, 'display_name'),
      email: field(request.body, 'email'),
    };
    return handleForm(
      reply,
      async () => {
        const password = field(request.body, 'password');
        const mismatch: Record<string, string> = password !== field(request.body, 'password_confirm') ? { password_confirm: 'The two passwords differ' } : {};
        // Checked inside the transaction, so two browsers racing through setup make one admin.
        const user = await db().transaction().execute(async (trx) => {
          if (!(await needsSetup(trx))) throw notFound();
          return createUser(trx, { ...values, role: 'admin', password }, app.config.passwordCost, mismatch);
        });
        reply.startSessionCookie(await startSession(db(), user.id));
        return reply.redirect('/admin?welcome=1', 303);
      },
      (errors, _message, status) => reply.page('admin/setup', { title: 'Set up Lectern', values, errors }, status),
    );
  });

  app.get('/login', async (request, reply) => {
    if (await needsSetup(db())) return reply.redirect('/admin/setup', 303);
    const next = safeNext((request.query as Record<string, unknown>).next);
    if (request.user && isStaff(request.user.role)) return reply.redirect(next, 303);
    return reply.page('admin/login', { title: 'Sign in', next, username: '', error: null });
  });

  app.post('/login', csrf, async (request, reply) => {
    const username = field(request.body, 'username');
    const next = safeNext(field(request.body, 'next'));
    const { user, retryAfterS } = await throttledSignIn(db(), app.secret, { login: username, ip: request.ip }, () =>
      checkCredentials(db(), username, field(request.body, 'password'), app.config.passwordCost),
    );
    if (retryAfterS !== null) {
      reply.header('retry-after', String(retryAfterS));
      return reply.page('admin/login', { title: 'Sign in', next, username, error: throttleMessage(retryAfterS) }, 429);
    }
    if (!user) {
      // One message for a wrong name and a wrong password: no hint which accounts exist.
      return reply.page('admin/login', { title: 'Sign in', next, username, error: 'That username and password do not match.' }, 401);
    }
    // A fresh session id at every sign-in; an old cookie (fixation) is dropped.
    if (request.sessionToken) await endSession(db(), request.sessionToken);
    reply.startSessionCookie(await startSession(db(), user.id));
    return reply.redirect(isStaff(user.role) ? next : '/', 303);
  });

  app.post('/logout', csrf, async (request, reply) => {
    if (request.sessionToken) await endSession(db(), request.sessionToken);
    reply.clearSessionCookie();
    return reply.redirect('/admin/login?signed_out=1', 303);
  });
}
