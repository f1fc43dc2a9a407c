import fp from 'fastify-plugin';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorEnvelope } from '../errors.js';

const isApi = (request: FastifyRequest) => request.url.startsWith('/api/');
/** A script that asked for JSON (the editor's preview and upload) gets its errors as JSON too. */
const wantsJson = (request: FastifyRequest) => {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
};

/** fastify's schema errors → { field: message }, named as the client sent them. */
function validationFields(error: FastifyError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const v of error.validation ?? []) {
    const params = v.params as Record<string, unknown>;
    const fromPath = v.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const name = (params.missingProperty as string) || (params.additionalProperty as string) || fromPath || error.validationContext || 'body';
    fields[name] ??= params.additionalProperty ? 'Unknown field' : (v.message ?? 'Invalid value');
  }
  return fields;
}

/**
 * PostgreSQL's data exceptions that only a request's own values can cause: a number out of
 * range for the column (/posts/99999999999999999999), text where a number goes, a NUL.
 * The request is at fault, not the server (issue 5); SQLite stores or misses such values.
 */
const PG_BAD_VALUE = new Set(['22003', '22P02', '22021']);
const isPgBadValue = (error: unknown) =>
  typeof error === 'object' && error !== null && 'severity' in error && PG_BAD_VALUE.has(String((error as { code?: unknown }).code));

/** Errors fastify and its plugins raise, as the user should see them. */
function classify(error: FastifyError): AppError {
  if (error instanceof AppError) return error;
  if (isPgBadValue(error)) return new AppError(400, 'bad_request', 'A value in the request is out of range');
  if (error.validation) {
    const fields = validationFields(error);
    return new AppError(422, 'validation_failed', 'Some fields need attention', fields);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return new AppError(413, 'payload_too_large', 'The request is too large');
    case 'FST_CSRF_MISSING_SECRET':
    case 'FST_CSRF_INVALID_TOKEN':
      return new AppError(403, 'csrf_invalid', 'This form had expired, so it was not sent');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError(415, 'unsupported_media_type', 'Unsupported content type');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError(400, 'bad_request', 'The request body could not be read');
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return new AppError(status, status === 404 ? 'not_found' : 'bad_request', error.message);
  return new AppError(500, 'internal_error', 'Something went wrong on our side. It has been logged.');
}

/** The typed fields of a rejected form, to send again (never the token, never passwords). */
function resubmittableFields(body: unknown): [string, string][] {
  if (!body || typeof body !== 'object') return [];
  const out: [string, string][] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === '_csrf' || /password/i.test(key)) continue;
    for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') out.push([key, v]);
  }
  return out;
}

async function sendHtmlError(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  if (error.code === 'csrf_invalid' && request.method === 'POST') {
    return reply.page('resubmit', { title: 'Send again', action: request.url, fields: resubmittableFields(request.body) }, 403);
  }
  const titles: Record<number, string> = {
    401: 'Please sign in',
    403: 'Not allowed',
    404: 'Page not found',
    409: 'That could not be done',
    413: 'Too large',
    429: 'Too many requests',
    500: 'Something went wrong',
  };
  return reply.page(
    'error',
    { title: titles[error.status] ?? 'Something went wrong', status: error.status, message: error.message, back: backLink(request) },
    error.status,
  );
}

/** Where a refused staff action leads back to: the queue a moderator was working, or the staff area. */
function backLink(request: FastifyRequest): { href: string; label: string } {
  if (request.url.startsWith('/admin/comments')) return { href: '/admin/comments', label: 'Back to the moderation queue' };
  if (request.url.startsWith('/admin')) return { href: '/admin', label: 'Back to the staff area' };
  return { href: '/', label: 'Go to the home page' };
}

export default fp(
  async (app) => {
    app.setErrorHandler(async (rawError: FastifyError, request, reply) => {
      const error = classify(rawError);
      if (error.status >= 500) request.log.error({ err: rawError }, 'request failed');
      if (error.status === 429 && rawError instanceof AppError === false) reply.header('retry-after', '60');
      if (isApi(request) || wantsJson(request) || !reply.page) {
        return reply.code(error.status).send(errorEnvelope(error.code, error.message, error.fields));
      }
      try {
        return await sendHtmlError(reply, request, error);
      } catch (renderError) {
        // The error page itself failed (database down): plain text, still no stack.
        request.log.error({ err: renderError }, 'error page failed');
        return reply.code(error.status).type('text/plain; charset=utf-8').send(error.message);
      }
    });

    app.setNotFoundHandler(async (request, reply) => {
      if (isApi(request)) return reply.code(404).send(errorEnvelope('not_found', 'No such endpoint'));
      return reply.page('error', { title: 'Page not found', status: 404, message: 'There is nothing at this address. It may have moved, or never existed.' }, 404);
    });
  },
  { name: 'lectern-errors', dependencies: ['lectern-views'] },
);
