import fp from 'fastify-plugin';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { resolveApiToken, resolveSession, SESSION_ABSOLUTE_MS, type SessionUser } from '../services/auth.js';
import { can, type Action } from '../services/permissions.js';
import { AppError, forbidden, unauthorized } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user (cookie session or API token), or null for a visitor. */
    user: SessionUser | null;
    /** The raw session cookie value, when a valid session was found. */
    sessionToken: string | null;
    /** True when `user` came from an API token (the staff API takes nothing else). */
    viaApiToken: boolean;
  }
  interface FastifyReply {
    startSessionCookie(token: string): void;
    clearSessionCookie(): void;
  }
  interface FastifyInstance {
    /** preHandler for the staff area: sign-in page for visitors, 403 for a role that may not. */
    requireRole(action: Action): (request: FastifyRequest, reply: FastifyReply) => Promise<void>;
    /** preHandler for staff API routes: bearer token required. */
    requireApiRole(action: Action): (request: FastifyRequest) => Promise<void>;
  }
}

export const SESSION_COOKIE = 'lectern_session';

export default fp(
  async (app) => {
    app.decorateRequest('user', null);
    app.decorateRequest('sessionToken', null);
    app.decorateRequest('viaApiToken', false);

    app.decorateReply('startSessionCookie', function (this: FastifyReply, token: string) {
      this.setCookie(SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: this.request.protocol === 'https',
        maxAge: SESSION_ABSOLUTE_MS / 1000,
      });
    });
    app.decorateReply('clearSessionCookie', function (this: FastifyReply) {
      this.clearCookie(SESSION_COOKIE, { path: '/' });
    });

    // Only the staff area, the API and the comment form care who is asking; static files
    // and anonymous page views skip the lookup when no cookie or token is sent.
    app.addHook('onRequest', async (request) => {
      const authorization = request.headers.authorization;
      if (authorization !== undefined && request.url.startsWith('/api/')) {
        const match = /^Bearer\s+(\S+)$/i.exec(authorization);
        request.user = match?.[1] ? await resolveApiToken(app.db.kysely, match[1]) : null;
        if (!request.user) throw unauthorized('The API token is missing, malformed, revoked or unknown');
        request.viaApiToken = true;
        return;
      }
      // The API reads JSON only. A page on another site can make a browser send a form
      // (urlencoded, multipart, text/plain) with its cookies, but JSON needs a CORS
      // preflight this server never grants: so no cookie-identified API call is forgeable.
      if (request.url.startsWith('/api/') && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
        const type = request.headers['content-type'];
        if (type !== undefined && !/^\s*application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
          throw new AppError(415, 'unsupported_media_type', 'The API takes application/json');
        }
      }
      const token = request.cookies[SESSION_COOKIE];
      if (!token || request.url.startsWith('/static/') || request.url.startsWith('/uploads/')) return;
      const resolved = await resolveSession(app.db.kysely, token);
      if (resolved) {
        request.user = resolved.user;
        request.sessionToken = token;
      }
    });

    app.decorate('requireRole', (action: Action) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.user) {
        const next = encodeURIComponent(request.url);
        if (request.method === 'GET') return reply.redirect(`/admin/login?next=${next}`, 303);
        throw new AppError(401, 'unauthorized', 'Your session has ended. Sign in again to continue.');
      }
      if (!can(request.user.role, action)) throw forbidden();
    });

    app.decorate('requireApiRole', (action: Action) => async (request: FastifyRequest) => {
      // A session cookie is not enough: staff endpoints take a bearer token (product.md),
      // which no other site can make a browser send.
      if (!request.user || !request.viaApiToken) throw unauthorized();
      if (!can(request.user.role, action)) throw forbidden();
    });
  },
  { name: 'lectern-auth', dependencies: ['lectern-context', '@fastify/cookie'] },
);
