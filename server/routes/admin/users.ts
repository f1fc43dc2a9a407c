import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams } from '../../schemas/common.js';
import { createUser } from '../../services/users.js';
import { generatePassword } from '../../services/passwords.js';
import { ROLES, STAFF_ROLES } from '../../services/permissions.js';
import { changeRole, deleteUser, disableUser, enableUser, getPerson, listPeople, reassignCandidates } from '../../services/people.js';
import { createInvitation, openInvitations, revokeInvitation, type LinkOptions } from '../../services/invitations.js';
import { createResetLink } from '../../services/password-reset.js';
import { markEmailConfirmed } from '../../services/registration.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { loadSettings } from '../../services/settings.js';
import { AppError } from '../../errors.js';
import { field, handleForm } from './forms.js';

/** What a finished action says on the page it leads back to (?done=…). */
const NOTICES: Record<string, string> = {
  role: 'Role changed.',
  disabled: 'Account disabled: its sessions and API tokens have ended.',
  enabled: 'Account enabled again.',
  deleted: 'Account deleted.',
  confirmed: 'Email address marked as confirmed.',
  revoked: 'Invitation withdrawn.',
};

/** Administrators only: the people who run the site (issue 12). */
export default async function usersRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const access = app.requireRole('manage-users');
  const csrfAccess = { preHandler: [access, app.csrfProtection] };
  const linkOptions = async (): Promise<LinkOptions> => ({
    baseUrl: app.config.baseUrl,
    mail: mailEnabled(app.config),
    siteName: (await loadSettings(db())).site_name,
  });
  const notice = (query: unknown) => NOTICES[String((query as Record<string, unknown>).done ?? '')] ?? null;

  const usersPage = async (extra: Record<string, unknown> = {}) => ({
    title: 'Users',
    people: await listPeople(db()),
    invitations: await openInvitations(db()),
    roles: ROLES,
    staffRoles: STAFF_ROLES,
    mail: mailEnabled(app.config),
    values: { username: '', display_name: '', email: '', role: 'author' },
    errors: {},
    inviteValues: { invite_role: 'author', invite_email: '' },
    inviteErrors: {},
    created: null,
    invited: null,
    notice: null,
    ...extra,
  });

  app.get('/users', { preHandler: access }, async (request, reply) => reply.page('admin/users', await usersPage({ notice: notice(request.query) })));

  // Adds an account at once with a generated password, shown once (no mail needed).
  app.post('/users', csrfAccess, async (request, reply) => {
    const values = {
      username: field(request.body, 'username'),
      display_name: field(request.body, 'display_name'),
      email: field(request.body, 'email'),
      role: field(request.body, 'role'),
    };
    return handleForm(
      reply,
      async () => {
        const password = generatePassword();
        const user = await createUser(db(), { ...values, password }, app.config.passwordCost);
        return reply.page('admin/users', await usersPage({ created: { username: user.username, password } }), 201);
      },
      async (errors, _m, status) => reply.page('admin/users', await usersPage({ values, errors }), status),
    );
  });

  app.post('/users/invite', csrfAccess, async (request, reply) => {
    const inviteValues = { invite_role: field(request.body, 'invite_role'), invite_email: field(request.body, 'invite_email') };
    return handleForm(
      reply,
      async () => {
        const invited = await createInvitation(db(), request.user!, { role: inviteValues.invite_role, email: inviteValues.invite_email }, await linkOptions());
        return reply.page('admin/users', await usersPage({ invited }), 201);
      },
      async (errors, _m, status) => {
        const inviteErrors = Object.fromEntries(Object.entries(errors).map(([k, v]) => [k === 'form' ? k : `invite_${k}`, v]));
        return reply.page('admin/users', await usersPage({ inviteValues, inviteErrors }), status);
      },
    );
  });

  app.post('/users/invitations/:id/revoke', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    await revokeInvitation(db(), request.params.id);
    return reply.redirect('/admin/users?done=revoked', 303);
  });

  const personPage = async (id: number, extra: Record<string, unknown> = {}) => {
    const person = await getPerson(db(), id);
    const { password_hash: _p, ...shown } = person;
    return { title: `User ${person.username}`, person: shown, roles: ROLES, errors: {}, notice: null, resetLink: null, ...extra };
  };

  /**
   * Runs an action that may be refused (409 for the last admin, 422 for a bad value), showing
   * the refusal on the page with its own status instead of a bare error page.
   */
  async function orRefuse(reply: FastifyReply, action: () => Promise<unknown>, page: string, data: () => Promise<Record<string, unknown>>) {
    try {
      return await action();
    } catch (err) {
      if (err instanceof AppError && (err.status === 409 || err.status === 422)) {
        const errors = Object.keys(err.fields).length ? err.fields : { form: err.message };
        return reply.page(page, { ...(await data()), errors }, err.status);
      }
      throw err;
    }
  }

  app.get('/users/:id', { schema: { params: IdParams }, preHandler: access }, async (request, reply) =>
    reply.page('admin/users-edit', await personPage(request.params.id, { notice: notice(request.query) })),
  );

  const back = (request: { user: { id: number } | null }, id: number, done: string) =>
    // Someone who just changed their own access goes where they still may.
    id === request.user!.id && done !== 'enabled' ? '/admin' : `/admin/users/${id}?done=${done}`;

  app.post('/users/:id/role', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    const id = request.params.id;
    return orRefuse(
      reply,
      async () => {
        await changeRole(db(), id, field(request.body, 'role'));
        return reply.redirect(back(request, id, 'role'), 303);
      },
      'admin/users-edit',
      () => personPage(id),
    );
  });

  app.post('/users/:id/disable', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    const id = request.params.id;
    return orRefuse(
      reply,
      async () => {
        await disableUser(db(), id);
        return reply.redirect(back(request, id, 'disabled'), 303);
      },
      'admin/users-edit',
      () => personPage(id),
    );
  });

  app.post('/users/:id/enable', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    await enableUser(db(), request.params.id);
    return reply.redirect(`/admin/users/${request.params.id}?done=enabled`, 303);
  });

  app.post('/users/:id/confirm-email', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    await markEmailConfirmed(db(), request.params.id);
    return reply.redirect(`/admin/users/${request.params.id}?done=confirmed`, 303);
  });

  // For sites without mail: the admin hands the link over themselves.
  app.post('/users/:id/reset-link', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    const person = await getPerson(db(), request.params.id);
    const resetLink = await createResetLink(db(), person.id, app.config.baseUrl);
    return reply.page('admin/users-edit', await personPage(person.id, { resetLink }), 201);
  });

  const deletePage = async (id: number, extra: Record<string, unknown> = {}) => ({
    ...(await personPage(id)),
    title: 'Delete user',
    candidates: await reassignCandidates(db(), id),
    owned: (await listPeople(db())).find((p) => p.id === id),
    values: { reassign_to: '' },
    ...extra,
  });

  app.get('/users/:id/delete', { schema: { params: IdParams }, preHandler: access }, async (request, reply) =>
    reply.page('admin/users-delete', await deletePage(request.params.id)),
  );

  app.post('/users/:id/delete', { schema: { params: IdParams }, ...csrfAccess }, async (request, reply) => {
    const id = request.params.id;
    const raw = field(request.body, 'reassign_to');
    return orRefuse(
      reply,
      async () => {
        await deleteUser(db(), id, raw ? Number(raw) : null);
        return reply.redirect(id === request.user!.id ? '/admin/login' : '/admin/users?done=deleted', 303);
      },
      'admin/users-delete',
      () => deletePage(id, { values: { reassign_to: raw } }),
    );
  });
}
