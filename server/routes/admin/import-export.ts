import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Job } from '../../db/schema.js';
import { findJob, listRecentJobs } from '../../data/jobs.js';
import { AppError } from '../../errors.js';
import { jsonExport } from '../../services/export-json.js';
import { wordpressExport } from '../../services/wordpress/export.js';
import { beginImportJob, IMPORT_JOB_KIND, importWordPress } from '../../services/wordpress/import.js';
import { KIND_LABELS, SUMMARY_KINDS, type ImportSummary } from '../../services/wordpress/summary.js';

/** Import files are far bigger than images: their own limit, streamed to disk, never buffered. */
export const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

/** A job as the page shows it. */
function jobView(job: Job) {
  let summary: ImportSummary | null = null;
  try {
    summary = job.summary ? (JSON.parse(job.summary) as ImportSummary) : null;
  } catch {
    summary = null;
  }
  const percent = job.total_kib > 0 ? Math.min(100, Math.floor((job.done_kib / job.total_kib) * 100)) : 0;
  return {
    id: job.id,
    label: job.label,
    status: job.status,
    phase: job.phase,
    percent,
    message: job.message,
    createdAt: job.created_at,
    finishedAt: job.finished_at,
    summary,
    rows: summary ? SUMMARY_KINDS.map((k) => ({ label: KIND_LABELS[k], ...summary!.counts[k] })) : [],
    details: summary
      ? SUMMARY_KINDS.flatMap((k) => [
          ...Object.entries(summary!.counts[k].reasons).map(([text, n]) => ({ kind: KIND_LABELS[k], text: `${n} skipped: ${text}` })),
          ...Object.entries(summary!.counts[k].notes).map(([text, n]) => ({ kind: KIND_LABELS[k], text: `${n} ${text}` })),
        ])
      : [],
  };
}

const day = () => new Date().toISOString().slice(0, 10);

/**
 * Administrators only: import a WordPress export (run in the background of the server, its
 * progress in the jobs table, so the page can follow it without JavaScript) and download
 * the site as WXR or JSON (issue 7).
 */
export default async function importExportRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const access = app.requireRole('manage-settings');
  const running = new Map<number, { controller: AbortController; done: Promise<void> }>();

  // A server shutting down stops its import; the journal undoes what it wrote.
  app.addHook('onClose', async () => {
    for (const job of running.values()) job.controller.abort(new Error('The server stopped during the import; nothing was kept.'));
    await Promise.all([...running.values()].map((j) => j.done));
  });

  const page = async (extra: Record<string, unknown> = {}, jobId?: number) => {
    const jobs = (await listRecentJobs(db(), IMPORT_JOB_KIND, 6)).map(jobView);
    const current = jobId ? jobs.find((j) => j.id === jobId) ?? (await findJob(db(), jobId).then((j) => (j ? jobView(j) : null))) : jobs[0] ?? null;
    const active = current?.status === 'running';
    return {
      title: 'Import and export',
      current,
      earlier: jobs.filter((j) => j.id !== current?.id),
      // Follows a running import without JavaScript; CSP allows a meta refresh.
      refresh: active ? 2 : null,
      maxMb: MAX_IMPORT_BYTES / 1024 / 1024,
      errors: {},
      ...extra,
    };
  };

  app.get(
    '/import-export',
    { preHandler: access, schema: { querystring: Type.Object({ job: Type.Optional(Type.Integer({ minimum: 1 })) }) } },
    async (request, reply) => reply.page('admin/import-export', await page({}, request.query.job)),
  );

  // multipart: the CSRF token travels in the query string (see app.ts).
  app.post('/import-export/import', { preHandler: [access, app.csrfProtection] }, async (request, reply) => {
    const tmpDir = join(app.config.dataDir, 'tmp');
    mkdirSync(tmpDir, { recursive: true });
    const path = join(tmpDir, `import-${randomBytes(8).toString('hex')}.xml`);
    let label = 'upload.xml';
    try {
      const file = await request.file({ limits: { fileSize: MAX_IMPORT_BYTES, files: 1 } });
      if (!file) throw new AppError(422, 'validation_failed', 'Choose a WordPress export file', { file: 'Choose a WordPress export file (.xml)' });
      label = file.filename || label;
      await pipeline(file.file, createWriteStream(path));
      if (file.file.truncated) throw new AppError(413, 'payload_too_large', `The file is larger than ${MAX_IMPORT_BYTES / 1024 / 1024} MB`);
      const bytes = statSync(path).size;
      if (bytes === 0) throw new AppError(422, 'validation_failed', 'The file is empty', { file: 'The file is empty' });
      const job = await beginImportJob(db(), { label, bytes, createdBy: request.user!.id });
      const controller = new AbortController();
      const done = importWordPress(db(), path, { secret: app.secret, label, jobId: job.id, signal: controller.signal, createdBy: request.user!.id })
        .then(
          (summary) => request.log.info({ job: job.id, seconds: summary.seconds }, 'WordPress import finished'),
          // The job row holds the one-line message for the page.
          (err: unknown) => request.log.warn({ job: job.id, err }, 'WordPress import failed'),
        )
        .finally(() => {
          running.delete(job.id);
          rmSync(path, { force: true });
        });
      running.set(job.id, { controller, done });
      return reply.redirect(`/admin/import-export?job=${job.id}`, 303);
    } catch (err) {
      rmSync(path, { force: true });
      if (err instanceof AppError && (err.status === 409 || err.status === 422 || err.status === 413)) {
        const errors = Object.keys(err.fields).length ? err.fields : { file: err.message };
        return reply.page('admin/import-export', await page({ errors }), err.status);
      }
      throw err;
    }
  });

  const host = () => new URL(app.config.baseUrl).host.replace(/[^a-z0-9.-]+/gi, '-');

  app.get('/import-export/export/wordpress', { preHandler: access }, async (_request, reply) =>
    reply
      .type('application/xml; charset=utf-8')
      .header('content-disposition', `attachment; filename="${host()}.wordpress.${day()}.xml"`)
      .send(Readable.from(wordpressExport(db(), { baseUrl: app.config.baseUrl }))),
  );

  app.get('/import-export/export/json', { preHandler: access }, async (_request, reply) =>
    reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${host()}.lectern.${day()}.json"`)
      .send(Readable.from(jsonExport(db(), { baseUrl: app.config.baseUrl }))),
  );
}
