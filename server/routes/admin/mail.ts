import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { IdParams } from '../../schemas/common.js';
import type { MailStatus } from '../../db/schema.js';
import { countMailByStatus, listMail, retryMailNow } from '../../data/mail.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { RETRY_DELAYS_MS } from '../../services/mail/sender.js';
import { restartDigestClock } from '../../services/notifications.js';
import { loadSettings, MODERATOR_MAIL_MODES, saveNotificationSettings } from '../../services/settings.js';
import { field, handleForm, safeNext } from './forms.js';

const PAGE_SIZE = 50;
const MailQuery = Type.Object({
  status: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')], { default: 'queued' }),
  page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
});

/** Administrators: the notification settings and the outgoing mail (queued, sent, failed, with "retry now"). */
export default async function mailAdminRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const access = app.requireRole('manage-settings');
  const settingsValues = (s: Awaited<ReturnType<typeof loadSettings>>) => ({
    moderator_mail: s.moderator_mail as string,
    digest_minutes: String(s.digest_minutes),
    notify_approved: s.notify_approved,
    mail_from: s.mail_from,
  });
  type SettingsValues = ReturnType<typeof settingsValues>;

  /** One page: whether mail is on, the notification settings, then the queue. */
  async function mailPage(query: { status: MailStatus; page: number }, form: { values: SettingsValues; errors: Record<string, string> } | null, notice: string | null) {
    const [{ rows, total }, counts, settings] = await Promise.all([
      listMail(db(), query.status, query.page, PAGE_SIZE),
      countMailByStatus(db()),
      loadSettings(db()),
    ]);
    return {
      title: 'Mail',
      status: query.status,
      counts,
      mails: rows,
      page: query.page,
      pages: Math.max(1, Math.ceil(total / PAGE_SIZE)),
      smtp: { enabled: mailEnabled(app.config), retries: RETRY_DELAYS_MS.length },
      values: form?.values ?? settingsValues(settings),
      errors: form?.errors ?? {},
      modes: MODERATOR_MAIL_MODES,
      notice,
    };
  }

  const NOTICES: Record<string, string> = {
    retried: 'The mail will be tried again within a minute.',
    busy: 'That mail is being sent right now, or is already sent.',
    saved: 'Notification settings saved.',
  };

  app.get('/mail', { schema: { querystring: MailQuery }, preHandler: access }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>).done;
    return reply.page('admin/mail', await mailPage(request.query, null, typeof done === 'string' ? (NOTICES[done] ?? null) : null));
  });

  app.post('/mail/:id/retry', { schema: { params: IdParams }, preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const ok = await retryMailNow(db(), request.params.id, new Date().toISOString());
    const back = new URL(safeNext(field(request.body, 'return_to'), '/admin/mail?status=failed'), 'http://x');
    back.searchParams.set('done', ok ? 'retried' : 'busy');
    return reply.redirect(back.pathname + back.search, 303);
  });

  app.post('/mail/settings', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const values: SettingsValues = {
      moderator_mail: field(request.body, 'moderator_mail'),
      digest_minutes: field(request.body, 'digest_minutes'),
      notify_approved: field(request.body, 'notify_approved') === 'on',
      mail_from: field(request.body, 'mail_from'),
    };
    return handleForm(
      reply,
      async () => {
        const before = (await loadSettings(db())).moderator_mail;
        await saveNotificationSettings(db(), values);
        if (values.moderator_mail === 'digest' && before !== 'digest') await restartDigestClock(db());
        return reply.redirect('/admin/mail?done=saved', 303);
      },
      async (errors, _m, status) => reply.page('admin/mail', await mailPage({ status: 'queued', page: 1 }, { values, errors }, null), status),
    );
  });
}
