import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  applyUnsubscribe,
  attachNotifier,
  describeScope,
  readUnsubscribeToken,
  unsubscribeToken,
  type UnsubscribeScope,
} from '../../services/notifications.js';
import { field } from '../admin/forms.js';

const TokenQuery = Type.Object({ token: Type.Optional(Type.String({ maxLength: 2000 })) });

/**
 * The mail side of the public site. Every notification links here: GET shows what the link
 * stops and a button (link scanners fetch GETs, so GET never changes anything); POST does it,
 * from that button or from a mail program's RFC 8058 one-click request
 * (`List-Unsubscribe=One-Click`). The signed token is the permission: no sign-in, no CSRF
 * cookie (a mail program has none).
 *
 * It is also where the app hands the notification service what mail needs beyond the
 * database: the base URL for links, the secret that signs them, and the log for failures.
 */
export default async function unsubscribeRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;

  const detach = attachNotifier(app.db.kysely, {
    config: app.config,
    secret: app.secret,
    onError: (err) => app.log.error({ err }, 'queueing a notification failed'),
  });
  app.addHook('onClose', async () => detach());

  const noIndex = (reply: FastifyReply) => reply.header('x-robots-tag', 'noindex').header('cache-control', 'no-store');

  const invalidLink = (reply: FastifyReply) =>
    noIndex(reply).page('unsubscribe', { title: 'Unsubscribe', invalid: true }, 400);

  app.get('/unsubscribe', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const token = request.query.token ?? '';
    const scope = readUnsubscribeToken(app.secret, token);
    if (!scope) return invalidLink(reply);
    const everything: UnsubscribeScope = { e: scope.e, k: 'all' };
    return noIndex(reply).page('unsubscribe', {
      title: 'Unsubscribe',
      invalid: false,
      token,
      what: await describeScope(db(), scope),
      email: scope.e,
      // A second button for "everything", unless this link already means that.
      allToken: scope.k === 'all' ? null : unsubscribeToken(app.secret, everything),
    });
  });

  app.post('/unsubscribe', { schema: { querystring: TokenQuery } }, async (request, reply) => {
    const token = request.query.token || field(request.body, 'token');
    const scope = readUnsubscribeToken(app.secret, token);
    if (!scope) return invalidLink(reply);
    await applyUnsubscribe(db(), scope);
    request.log.info({ scope: scope.k ?? (scope.p ? 'post' : 'all') }, 'unsubscribed');
    return noIndex(reply).page('unsubscribe-done', { title: 'Unsubscribed', what: await describeScope(db(), scope), email: scope.e });
  });
}
