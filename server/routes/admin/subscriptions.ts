import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import { removeAllSubscriptions, removeSubscription, restoreMail, subscriptionsOf } from '../../services/notifications.js';
import { invalid } from '../../errors.js';
import { field } from './forms.js';

const EmailQuery = Type.Object({
  email: Type.Optional(Type.String({ maxLength: 254 })),
  done: Type.Optional(Type.String({ maxLength: 20 })),
});

const NOTICES: Record<string, string> = {
  removed: 'Subscription removed.',
  'removed-all': 'Every subscription of this address was removed.',
  restored: 'Moderation email is on again for this address.',
};

/** Administrators: what an email address is subscribed to, and removing it (privacy, product.md). */
export default async function subscriptionsAdminRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const access = app.requireRole('manage-settings');
  const backTo = (email: string, done: string) => `/admin/subscriptions?email=${encodeURIComponent(email)}&done=${done}`;
  const emailField = (body: unknown) => {
    const email = field(body, 'email').trim();
    if (!email) throw invalid({ email: 'Give an email address' }, 'Give an email address');
    return email;
  };

  app.get('/subscriptions', { schema: { querystring: EmailQuery }, preHandler: access }, async (request, reply) => {
    const email = (request.query.email ?? '').trim();
    const found = email ? await subscriptionsOf(db(), email) : null;
    const done = request.query.done;
    return reply.page('admin/subscriptions', { title: 'Subscriptions', email, found, notice: done ? (NOTICES[done] ?? null) : null });
  });

  app.post('/subscriptions/:id/delete', { schema: { params: IdParams }, preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const email = (await removeSubscription(db(), request.params.id)) ?? field(request.body, 'email');
    return reply.redirect(backTo(email, 'removed'), 303);
  });

  app.post('/subscriptions/remove-all', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const email = emailField(request.body);
    await removeAllSubscriptions(db(), email);
    return reply.redirect(backTo(email, 'removed-all'), 303);
  });

  app.post('/subscriptions/restore', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const email = emailField(request.body);
    await restoreMail(db(), email, field(request.body, 'kind') || 'moderation');
    return reply.redirect(backTo(email, 'restored'), 303);
  });
}
