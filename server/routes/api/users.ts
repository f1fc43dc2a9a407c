import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { createUser } from '../../services/users.js';
import { generatePassword } from '../../services/passwords.js';
import { changeRole, deleteUser, disableUser, enableUser, getPerson, listPeople, type Person } from '../../services/people.js';
import { createInvitation } from '../../services/invitations.js';
import { createResetLink } from '../../services/password-reset.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { loadSettings } from '../../services/settings.js';
import { invalid, notFound } from '../../errors.js';

/* Types only; meaning and lengths are the services' checks, with field messages. */
const Role = Type.Union([Type.Literal('admin'), Type.Literal('editor'), Type.Literal('author'), Type.Literal('patron')]);

const CreateUserBody = Type.Object(
  {
    username: Type.String(),
    role: Type.String(),
    email: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    display_name: Type.Optional(Type.String()),
    password: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

const InviteBody = Type.Object({ role: Type.String(), email: Type.Optional(Type.Union([Type.String(), Type.Null()])) }, { additionalProperties: false });

const UpdateUserBody = Type.Object({ role: Type.Optional(Role), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false });

const DeleteQuery = Type.Object({ reassign_to: Type.Optional(Type.Integer({ minimum: 1 })) });

/** The API's view of an account: never the password hash. */
function apiUser(p: Person) {
  return {
    id: p.id,
    username: p.username,
    display_name: p.display_name,
    email: p.email,
    role: p.role,
    disabled: p.disabled_at !== null,
    disabled_at: p.disabled_at,
    email_confirmed: p.email_confirmed_at !== null,
    last_login_at: p.last_login_at,
    created_at: p.created_at,
    post_count: p.post_count,
    comment_count: p.comment_count,
  };
}

/** Administrators' token only: the people who run the site (docs/api-people.md). */
export default async function usersApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const admin = app.requireApiRole('manage-users');
  const one = async (id: number) => {
    const person = (await listPeople(db())).find((p) => p.id === id);
    if (!person) throw notFound('User');
    return apiUser(person);
  };

  app.get('/users', { preHandler: admin }, async () => ({ users: (await listPeople(db())).map(apiUser) }));

  app.post('/users', { schema: { body: CreateUserBody }, preHandler: admin }, async (request, reply) => {
    const generated = request.body.password === undefined ? generatePassword() : null;
    const user = await createUser(db(), { ...request.body, password: request.body.password ?? generated! }, app.config.passwordCost);
    // A generated password is in this answer once, and nowhere else.
    return reply.code(201).send({ user: await one(user.id), ...(generated ? { password: generated } : {}) });
  });

  app.post('/invitations', { schema: { body: InviteBody }, preHandler: admin }, async (request, reply) => {
    const site = await loadSettings(db());
    const invitation = await createInvitation(
      db(),
      request.user!,
      { role: request.body.role, email: request.body.email ?? undefined },
      { baseUrl: app.config.baseUrl, mail: mailEnabled(app.config), siteName: site.site_name },
    );
    return reply.code(201).send({
      invitation: { id: invitation.id, role: invitation.role, email: invitation.email, url: invitation.url, expires_at: invitation.expiresAt, mailed: invitation.mailed },
    });
  });

  app.get('/users/:id', { schema: { params: IdParams }, preHandler: admin }, async (request) => ({ user: await one(request.params.id) }));

  app.patch('/users/:id', { schema: { params: IdParams, body: UpdateUserBody }, preHandler: admin }, async (request) => {
    const { id } = request.params;
    await getPerson(db(), id);
    if (request.body.role === undefined && request.body.disabled === undefined) throw invalid({ role: 'Send role, disabled or both' });
    if (request.body.role !== undefined) await changeRole(db(), id, request.body.role);
    if (request.body.disabled === true) await disableUser(db(), id);
    if (request.body.disabled === false) await enableUser(db(), id);
    return { user: await one(id) };
  });

  app.delete('/users/:id', { schema: { params: IdParams, querystring: DeleteQuery }, preHandler: admin }, async (request, reply) => {
    await deleteUser(db(), request.params.id, request.query.reassign_to ?? null);
    return reply.code(204).send();
  });

  // For sites without mail: the link goes to the person by another way.
  app.post('/users/:id/reset-link', { schema: { params: IdParams }, preHandler: admin }, async (request, reply) => {
    const person = await getPerson(db(), request.params.id);
    const link = await createResetLink(db(), person.id, app.config.baseUrl);
    return reply.code(201).send({ reset: { url: link.url, expires_at: link.expiresAt } });
  });
}
