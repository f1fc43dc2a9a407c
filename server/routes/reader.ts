import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keyedHash } from '../services/comments.js';
import type { Reader } from '../services/reactions.js';

/**
 * The browser a like or a report comes from (issue 11): a random id in a long-lived,
 * HttpOnly, SameSite=Lax cookie, made on the first like or report. The server keeps only a
 * keyed hash of it. The cookie is not personal in the page cache's sense: the pages every
 * reader gets are the same whether they have one or not (plugins/page-cache.ts).
 */
export const READER_COOKIE = 'lectern_reader';
const READER_ID = /^[A-Za-z0-9_-]{22}$/;
const TWO_YEARS_S = 2 * 365 * 24 * 3600;

function readerId(request: FastifyRequest): string | null {
  const value = request.cookies[READER_COOKIE];
  return value && READER_ID.test(value) ? value : null;
}

/** This browser's reader hash, or null when it has never liked or reported anything. */
export function existingReaderHash(app: FastifyInstance, request: FastifyRequest): string | null {
  const id = readerId(request);
  return id ? keyedHash(app.secret, 'reader', id) : null;
}

/** The reader behind a like or report; a browser without the cookie is given one. */
export function readerFor(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Reader {
  let id = readerId(request);
  if (!id) {
    id = randomBytes(16).toString('base64url');
    reply.setCookie(READER_COOKIE, id, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: TWO_YEARS_S,
    });
  }
  return { readerHash: keyedHash(app.secret, 'reader', id), ipHash: keyedHash(app.secret, 'ip', request.ip) };
}
