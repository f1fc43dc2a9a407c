import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { endSession, startSession, throttledSignIn } from '../../services/auth.js';
import { throttleMessage } from '../../services/login-throttle.js';
import { acceptInvitation, findUsableInvitation } from '../../services/invitations.js';
import {
  checkAccountCredentials,
  closeAccount,
  confirmEmail,
  ownComments,
  registerPatron,
  renamePatron,
  sendConfirmation,
} from '../../services/registration.js';
import { isStaff } from '../../services/permissions.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { loadSettings } from '../../services/settings.js';
import { findUserById } from '../../data/users.js';
import { AppError } from '../../errors.js';
import { field, handleForm, safeNext } from '../admin/forms.js';
import { changePasswordFromForm } from '../password-form.js';

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 500 }) });

const NOTICES: Record<string, string> = {
  registered: 'Welcome! Your account is ready.',
  confirmed: 'Thank you: your email address is confirmed. You can comment now.',
  sent: 'We sent you a new confirmation link. It works for 7 days.',
  saved: 'Your name is saved.',
  password: 'Password changed. You were signed out everywhere else.',
};

/** Patron accounts, sign-in for patrons, and accepting a staff invitation (issue 12). */
export default async function accountRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const csrf = { preHandler: app.csrfProtection };
  const settings = () => loadSettings(db());
  const linkOptions = async () => ({ baseUrl: app.config.baseUrl, mail: mailEnabled(app.config), siteName: (await settings()).site_name });

  // Pages about one person are never cached.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.user) return;
    if (request.method === 'GET') return reply.redirect(`/account/login?next=${encodeURIComponent(request.url)}`, 303);
    throw new AppError(401, 'unauthorized', 'Your session has ended. Sign in again to continue.');
  };

  const registrationOpen = async () => {
    if (!(await settings()).patron_registration) {
      throw new AppError(404, 'not_found', 'This site does not take new accounts at the moment. You can still comment with your name and email.');
    }
  };

  /* Registration */

  const registerPage = (extra: Record<string, unknown> = {}) => ({ title: 'Create an account', values: { name: '', email: '' }, errors: {}, ...extra });

  app.get('/account/register', async (request, reply) => {
    await registrationOpen();
    if (request.user) return reply.redirect('/account', 303);
    return reply.page('account/register', registerPage());
  });

  app.post('/account/register', csrf, async (request, reply) => {
    await registrationOpen();
    const values = { name: field(request.body, 'name'), email: field(request.body, 'email') };
    return handleForm(
      reply,
      async () => {
        const user = await registerPatron(
          db(),
          { ...values, password: field(request.body, 'password'), password_confirm: field(request.body, 'password_confirm') },
          app.config.passwordCost,
        );
        await sendConfirmation(db(), app.secret, await linkOptions(), user);
        if (request.sessionToken) await endSession(db(), request.sessionToken);
        reply.startSessionCookie(await startSession(db(), user.id));
        return reply.redirect('/account?done=registered', 303);
      },
      (errors, _m, status) => reply.page('account/register', registerPage({ values, errors }), status),
    );
  });

  app.get('/account/confirm/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const user = await confirmEmail(db(), app.secret, request.params.token);
    return reply.redirect(request.user?.id === user.id ? '/account?done=confirmed' : '/account/login?confirmed=1', 303);
  });

  app.post('/account/confirm', { preHandler: [signedIn, app.csrfProtection] }, async (request, reply) => {
    const user = (await findUserById(db(), request.user!.id))!;
    if (user.email_confirmed_at) return reply.redirect('/account?done=confirmed', 303);
    const sent = await sendConfirmation(db(), app.secret, await linkOptions(), user);
    return reply.redirect(sent ? '/account?done=sent' : '/account', 303);
  });

  /* Signing in and out */

  const loginPage = (extra: Record<string, unknown> = {}) => ({ title: 'Sign in', login: '', next: '/account', error: null, notice: null, ...extra });

  app.get('/account/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const next = safeNext(query.next, '/account');
    if (request.user) return reply.redirect(isStaff(request.user.role) ? '/admin' : next, 303);
    const notice = query.confirmed === '1' ? NOTICES.confirmed : query.closed === '1' ? 'Your account is closed.' : null;
    return reply.page('account/login', loginPage({ next, notice, registration: (await settings()).patron_registration }));
  });

  app.post('/account/login', csrf, async (request, reply) => {
    const login = field(request.body, 'login');
    const next = safeNext(field(request.body, 'next'), '/account');
    // Throttled like every sign-in form (services/login-throttle.ts, issue 5).
    const { user, retryAfterS } = await throttledSignIn(db(), app.secret, { login, ip: request.ip }, () =>
      checkAccountCredentials(db(), login, field(request.body, 'password'), app.config.passwordCost),
    );
    if (retryAfterS !== null) {
      reply.header('retry-after', String(retryAfterS));
      return reply.page('account/login', loginPage({ login, next, error: throttleMessage(retryAfterS), registration: (await settings()).patron_registration }), 429);
    }
    if (!user) {
      const error = 'That email address and password do not match.';
      return reply.page('account/login', loginPage({ login, next, error, registration: (await settings()).patron_registration }), 401);
    }
    if (request.sessionToken) await endSession(db(), request.sessionToken);
    reply.startSessionCookie(await startSession(db(), user.id));
    return reply.redirect(isStaff(user.role) ? '/admin' : next, 303);
  });

  app.post('/account/logout', csrf, async (request, reply) => {
    if (request.sessionToken) await endSession(db(), request.sessionToken);
    reply.clearSessionCookie();
    return reply.redirect('/', 303);
  });

  /* The account page */

  const accountPage = async (userId: number, extra: Record<string, unknown> = {}) => {
    const account = (await findUserById(db(), userId))!;
    return {
      title: 'Your account',
      account: { display_name: account.display_name, email: account.email, confirmed: account.email_confirmed_at !== null, created_at: account.created_at },
      comments: await ownComments(db(), userId),
      mail: mailEnabled(app.config),
      values: { display_name: account.display_name },
      errors: {},
      notice: null,
      ...extra,
    };
  };

  app.get('/account', { preHandler: signedIn }, async (request, reply) => {
    // Staff have their own profile page.
    if (isStaff(request.user!.role)) return reply.redirect('/admin/profile', 303);
    const done = String((request.query as Record<string, unknown>).done ?? '');
    return reply.page('account/index', await accountPage(request.user!.id, { notice: NOTICES[done] ?? null }));
  });

  app.post('/account/profile', { preHandler: [signedIn, app.csrfProtection] }, async (request, reply) => {
    const values = { display_name: field(request.body, 'display_name') };
    return handleForm(
      reply,
      async () => {
        await renamePatron(db(), request.user!.id, values.display_name);
        return reply.redirect('/account?done=saved', 303);
      },
      async (errors, _m, status) => reply.page('account/index', await accountPage(request.user!.id, { values, errors }), status),
    );
  });

  app.post('/account/password', { preHandler: [signedIn, app.csrfProtection] }, async (request, reply) =>
    handleForm(
      reply,
      async () => {
        await changePasswordFromForm(app, request);
        return reply.redirect('/account?done=password', 303);
      },
      async (errors, _m, status) => reply.page('account/index', await accountPage(request.user!.id, { errors }), status),
    ),
  );

  app.post('/account/close', { preHandler: [signedIn, app.csrfProtection] }, async (request, reply) =>
    handleForm(
      reply,
      async () => {
        await closeAccount(db(), request.user!.id, field(request.body, 'close_password'));
        reply.clearSessionCookie();
        return reply.redirect('/account/login?closed=1', 303);
      },
      async (errors, _m, status) => reply.page('account/index', await accountPage(request.user!.id, { errors }), status),
    ),
  );

  /* Accepting a staff invitation */

  const invitePage = (invitation: { role: string; email: string | null }, token: string, extra: Record<string, unknown> = {}) => ({
    title: 'Accept your invitation',
    role: invitation.role,
    token,
    values: { username: '', display_name: '', email: invitation.email ?? '' },
    errors: {},
    ...extra,
  });

  app.get('/invite/:token', { schema: { params: TokenParams } }, async (request, reply) => {
    const invitation = await findUsableInvitation(db(), request.params.token);
    return reply.page('admin/invite', invitePage(invitation, request.params.token));
  });

  app.post('/invite/:token', { schema: { params: TokenParams }, ...csrf }, async (request, reply) => {
    const token = request.params.token;
    const values = { username: field(request.body, 'username'), display_name: field(request.body, 'display_name'), email: field(request.body, 'email') };
    return handleForm(
      reply,
      async () => {
        const user = await acceptInvitation(
          db(),
          token,
          { ...values, password: field(request.body, 'password'), password_confirm: field(request.body, 'password_confirm') },
          app.config.passwordCost,
        );
        if (request.sessionToken) await endSession(db(), request.sessionToken);
        reply.startSessionCookie(await startSession(db(), user.id));
        return reply.redirect('/admin?welcome=1', 303);
      },
      async (errors, _m, status) => {
        const invitation = await findUsableInvitation(db(), token);
        return reply.page('admin/invite', invitePage(invitation, token, { values, errors }), status);
      },
    );
  });
}
