import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams } from '../../schemas/common.js';
import { updateProfile } from '../../services/users.js';
import { createApiToken, createApiTokenFor, revokeApiToken } from '../../services/api-tokens.js';
import { listTokens } from '../../data/tokens.js';
import { findUserById } from '../../data/users.js';
import { can } from '../../services/permissions.js';
import { field, handleForm } from './forms.js';

/** The signed-in person's own things: profile and bio, and API tokens. */
export default async function accountRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const staff = app.requireRole('staff-area');

  app.get('/profile', { preHandler: staff }, async (request, reply) => {
    const user = (await findUserById(db(), request.user!.id))!;
    const values = { display_name: user.display_name, email: user.email ?? '', bio: user.bio_md };
    const saved = (request.query as Record<string, unknown>).saved === '1';
    return reply.page('admin/profile', { title: 'Your profile', values, errors: {}, notice: saved ? 'Profile saved.' : null });
  });

  app.post('/profile', { preHandler: [staff, app.csrfProtection] }, async (request, reply) => {
    const values = { display_name: field(request.body, 'display_name'), email: field(request.body, 'email'), bio: field(request.body, 'bio') };
    return handleForm(
      reply,
      async () => {
        await updateProfile(db(), request.user!.id, values);
        return reply.redirect('/admin/profile?saved=1', 303);
      },
      (errors, _m, status) => reply.page('admin/profile', { title: 'Your profile', values, errors, notice: null }, status),
    );
  });

  const showTokens = async (request: { user: { id: number; role: 'admin' | 'editor' | 'author' | 'patron' } | null }, extra: Record<string, unknown> = {}) => {
    const user = request.user!;
    const tokens = await listTokens(db(), can(user.role, 'manage-tokens-of-others') ? undefined : user.id);
    return { title: 'API tokens', tokens, created: null, errors: {}, values: { name: '', username: '' }, ...extra };
  };

  app.get('/tokens', { preHandler: staff }, async (request, reply) => reply.page('admin/tokens', await showTokens(request)));

  app.post('/tokens', { preHandler: [staff, app.csrfProtection] }, async (request, reply) => {
    const user = request.user!;
    const name = field(request.body, 'name');
    const username = field(request.body, 'username').trim();
    return handleForm(
      reply,
      async () => {
        // Admins may create tokens for others (product.md); everyone else only for themselves.
        const created =
          username && username !== user.username && can(user.role, 'manage-tokens-of-others')
            ? await createApiTokenFor(db(), username, name)
            : await createApiToken(db(), user, name);
        return reply.code(201).page('admin/tokens', await showTokens(request, { created: created.token }), 201);
      },
      async (errors, _m, status) => reply.page('admin/tokens', await showTokens(request, { errors, values: { name, username } }), status),
    );
  });

  app.post('/tokens/:id/revoke', { schema: { params: IdParams }, preHandler: [staff, app.csrfProtection] }, async (request, reply) => {
    await revokeApiToken(db(), request.user!, request.params.id);
    return reply.redirect('/admin/tokens', 303);
  });
}
