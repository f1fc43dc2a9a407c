import Fastify, { type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import staticFiles from '@fastify/static';
import { mkdirSync } from 'node:fs';
import type { Config } from './config.js';
import type { Db } from './db/connect.js';
import { staticDir } from './paths.js';
import { uploadsDir } from './services/uploads.js';
import contextPlugin from './plugins/context.js';
import authPlugin from './plugins/auth.js';
import viewsPlugin from './plugins/views.js';
import errorsPlugin from './plugins/errors.js';
import pageCachePlugin from './plugins/page-cache.js';
import inputGuard from './plugins/input-guard.js';
import securityHeaders from './plugins/security-headers.js';
import { logSerializers } from './plugins/log-redaction.js';
import publicRoutes from './routes/public/index.js';
import apiRoutes from './routes/api/index.js';
import adminRoutes from './routes/admin/index.js';

export interface AppDeps {
  config: Config;
  db: Db;
  /** Signs cookies; see services/secrets.ts. */
  secret: string;
  /** Where logs go; tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
}

/** The whole application, ready to `inject` or `listen`; it never listens by itself. */
export async function buildApp({ config, db, secret, logStream }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      ...(logStream ? { stream: logStream } : {}),
      // Credentials never reach the log.
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      // …and tokens that travel in addresses (?_csrf=, ?token=, /reset/:token).
      serializers: logSerializers,
    },
    trustProxy: config.trustProxy,
    bodyLimit: 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  });

  // 1. Infrastructure.
  await app.register(securityHeaders);
  await app.register(inputGuard);
  await app.register(cookie, { secret });
  await app.register(csrf, {
    cookieKey: 'lectern_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', signed: true, secure: 'auto' },
    // The default places (form field, headers), plus the query string for multipart forms:
    // their body is a stream the check cannot read, so the no-JS upload form carries it there.
    getToken: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      const header = (name: string) => req.headers[name] as string | undefined;
      const multipartQuery = req.isMultipart() ? (req.query as Record<string, unknown>)._csrf : undefined;
      return (
        (typeof body?._csrf === 'string' ? body._csrf : undefined) ||
        header('csrf-token') ||
        header('xsrf-token') ||
        header('x-csrf-token') ||
        header('x-xsrf-token') ||
        (typeof multipartQuery === 'string' ? multipartQuery : undefined)
      );
    },
  });
  await app.register(formbody);
  await app.register(multipart, { limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10 } });
  await app.register(staticFiles, { root: staticDir, prefix: '/static/', maxAge: config.production ? '1d' : 0 });
  const uploads = uploadsDir(config.dataDir);
  mkdirSync(uploads, { recursive: true });
  await app.register(staticFiles, {
    root: uploads,
    prefix: '/uploads/',
    decorateReply: false,
    // Upload names are random and never reused, so they can be cached for good.
    immutable: true,
    maxAge: '365d',
    index: false,
    list: false,
  });

  // 2. Lectern's own decorators.
  await app.register(contextPlugin, { config, db, secret });
  await app.register(authPlugin);
  await app.register(viewsPlugin);
  await app.register(errorsPlugin);
  // Anonymous readers' pages from memory while the content version holds (issue 9).
  await app.register(pageCachePlugin);

  // 3. Routes.
  await app.register(publicRoutes);
  await app.register(apiRoutes, { prefix: '/api/v1' });
  await app.register(adminRoutes, { prefix: '/admin' });

  return app;
}
