import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SlugParams } from '../../schemas/common.js';
import { getPublicQuestion } from '../../services/questions.js';
import { mentionsLabel, summaryCsv, SUMMARY_QUOTES, themeSummary } from '../../services/theme-summary.js';
import { sendCacheable } from './cacheable.js';

/**
 * "What you told us" on a page of its own, and as CSV. Both are public: they hold only what
 * the question post already shows everyone (theme names, counts and the text of approved
 * comments), no names or addresses, and a public link is what staff share in a report.
 */
export default async function questionRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;

  app.get('/posts/:slug/summary', { schema: { params: SlugParams } }, async (request, reply) => {
    const post = await getPublicQuestion(db(), request.params.slug);
    const summary = await themeSummary(db(), post.id, SUMMARY_QUOTES.page);
    return reply.page('question-summary', {
      title: `What you told us: ${post.title}`,
      description: `What readers said about “${post.title}”, by theme.`,
      post,
      summary,
      mentionsLabel,
    });
  });

  app.get('/posts/:slug/summary.csv', { schema: { params: SlugParams } }, async (request, reply) => {
    const post = await getPublicQuestion(db(), request.params.slug);
    const summary = await themeSummary(db(), post.id, SUMMARY_QUOTES.csv);
    // Only ASCII goes in a header: an imported slug may hold anything.
    const name = post.slug.replace(/[^a-z0-9-]+/gi, '').slice(0, 80) || 'question';
    reply.header('content-disposition', `attachment; filename="${name}-summary.csv"`);
    return sendCacheable(request, reply, { body: summaryCsv(summary), contentType: 'text/csv; charset=utf-8', lastModified: null });
  });
}
