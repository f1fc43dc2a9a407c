import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Conditional GET for generated documents (feeds, sitemaps): a strong ETag from the bytes
 * and Last-Modified from the newest item; 304 when the client's copy is current
 * (RFC 9110 §13: If-None-Match wins over If-Modified-Since when both are sent).
 * `no-cache` makes readers and proxies revalidate every time, which costs a 304, so a
 * comment moved to spam leaves every copy at once.
 */
export function sendCacheable(
  request: FastifyRequest,
  reply: FastifyReply,
  doc: { body: string; contentType: string; lastModified: Date | null },
): FastifyReply {
  const etag = `"${createHash('sha256').update(doc.body).digest('base64url').slice(0, 27)}"`;
  reply.header('etag', etag).header('cache-control', 'public, no-cache');
  // HTTP dates have whole seconds.
  const lastModified = doc.lastModified ? Math.floor(doc.lastModified.getTime() / 1000) * 1000 : null;
  if (lastModified !== null) reply.header('last-modified', new Date(lastModified).toUTCString());
  if (isNotModified(request, etag, lastModified)) return reply.code(304).send();
  return reply.type(doc.contentType).send(doc.body);
}

function isNotModified(request: FastifyRequest, etag: string, lastModified: number | null): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    return ifNoneMatch
      .split(',')
      .map((tag) => tag.trim().replace(/^W\//, ''))
      .some((tag) => tag === etag || tag === '*');
  }
  const since = request.headers['if-modified-since'];
  if (since === undefined || lastModified === null) return false;
  const sinceMs = Date.parse(since);
  return !Number.isNaN(sinceMs) && lastModified <= sinceMs;
}
