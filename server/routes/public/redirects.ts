import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';
import { resolveAuthor, resolveOldPath, resolvePostBySlug, UPLOADS_PREFIX } from '../../services/wordpress/links.js';

/**
 * Old WordPress addresses answer with 301 to where the content is now (issue 7), so links
 * from other sites, search engines and bookmarks keep working after a move:
 *   /?p=<id>, /?page_id=<id>, /index.php?p=<id>  (and ?s=, ?feed=, ?tag=, ?category_name=, ?author=)
 *   /<yyyy>/<mm>/<dd>/<slug>/, /<yyyy>/<mm>/<slug>/, and their /feed/
 *   /category/<slug>/, /tag/<slug>/, /author/<login>/ (the trailing slash, and nested categories)
 *   /feed/, /comments/feed/, /wp-content/uploads/…
 * Only what the public may see is redirected to; anything else is a 404, as before.
 * `/<yyyy>/<mm>` itself is the month archive (routes/public/archive.ts), not handled here.
 *
 * A fastify-plugin so its hook covers the routes of the public area it is registered in
 * (the home page answers /?p=…).
 */

const QUERY_KEYS = ['p', 'page_id', 's', 'feed', 'tag', 'category_name', 'author'];
const YEAR = '^\\d{4}$';
const MONTH = '^\\d{2}$';

function splitUrl(url: string): { path: string; search: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, search: '' } : { path: url.slice(0, q), search: url.slice(q) };
}

async function wordpressRedirects(app: FastifyInstance) {
  const db = () => app.db.kysely;
  const moved = (reply: FastifyReply, location: string) => reply.redirect(location, 301);
  const visible = { publicOnly: true } as const;

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return;
    const { path, search } = splitUrl(request.url);
    if (path === '/' || path === '/index.php') {
      if (!search) return;
      const params = new URLSearchParams(search);
      if (!QUERY_KEYS.some((key) => params.has(key))) return;
      const target = await resolveOldPath(db(), '/', params, visible);
      if (target) return moved(reply, target);
      // An old link to a post that is not here (or not public): the 404 WordPress gave too.
      if (/^\d+$/.test(params.get('p') ?? params.get('page_id') ?? '')) throw notFound('Post');
      return;
    }
    // One address per page: /category/events/ → /category/events (fastify already matched it).
    if (path.length > 1 && path.endsWith('/') && request.routeOptions.config?.canonicalSlash !== false) {
      // WordPress's /author/<nicename>/ may not be the imported account's username.
      if (request.routeOptions.url === '/author/:username') {
        const login = decodeURIComponent(path.split('/')[2] ?? '');
        const author = login ? await resolveAuthor(db(), login) : null;
        if (author) return moved(reply, author + search);
      }
      const canonical = path.replace(/\/+$/, '') || '/';
      return moved(reply, canonical + search);
    }
  });

  const own = { config: { canonicalSlash: false } };

  // Without a home route here, /index.php would be a 404 before the hook could answer.
  app.get('/index.php', own, async () => {
    throw notFound('Page');
  });

  app.get<{ Params: { year: string; month: string; day: string; slug: string } }>(
    `/:year(${YEAR})/:month(${MONTH})/:day(${MONTH})/:slug`,
    own,
    async (request, reply) => {
      const { year, month, day, slug } = request.params;
      const target = await resolvePostBySlug(db(), slug, { ...visible, date: `${year}-${month}-${day}`, type: 'post' });
      if (!target) throw notFound('Post');
      return moved(reply, target);
    },
  );

  // /2025/04/29/slug/feed/ (a post's comments feed), /2025/04/29/slug/2/, …/comment-page-1/
  app.get<{ Params: { year: string; month: string; day: string; slug: string; extra: string } }>(
    `/:year(${YEAR})/:month(${MONTH})/:day(${MONTH})/:slug/:extra`,
    own,
    async (request, reply) => {
      const { year, month, day, slug, extra } = request.params;
      const target = await resolvePostBySlug(db(), slug, { ...visible, date: `${year}-${month}-${day}`, type: 'post' });
      if (!target) throw notFound('Post');
      return moved(reply, extra === 'feed' && target.startsWith('/posts/') ? `${target}/feed.xml` : target);
    },
  );

  // /2025/04/slug/ (the "month and name" permalink). A WordPress day archive (/2025/04/29/)
  // has no Lectern page: a 404, as routes/public/archive.ts expects.
  app.get<{ Params: { year: string; month: string; slug: string } }>(`/:year(${YEAR})/:month(${MONTH})/:slug`, own, async (request, reply) => {
    const { year, month, slug } = request.params;
    const target = await resolvePostBySlug(db(), slug, { ...visible, date: `${year}-${month}`, type: 'post' });
    if (!target) throw notFound('Page');
    return moved(reply, target);
  });

  app.get('/feed', own, async (_request, reply) => moved(reply, '/feed.xml'));
  app.get<{ Params: { format: string } }>('/feed/:format', own, async (request, reply) =>
    moved(reply, request.params.format === 'atom' ? '/feed.atom' : '/feed.xml'),
  );
  app.get('/comments/feed', own, async (_request, reply) => moved(reply, '/comments/feed.xml'));

  // Nested categories (/category/events/story-time/) and term and author feeds (…/feed/).
  for (const kind of ['category', 'tag', 'author'] as const) {
    app.get<{ Params: { parent: string; slug: string } }>(`/${kind}/:parent/:slug`, own, async (request, reply) => {
      const { parent, slug } = request.params;
      if (slug === 'feed') {
        const base = kind === 'author' ? await resolveAuthor(db(), parent) : `/${kind}/${encodeURIComponent(parent)}`;
        if (!base) throw notFound('Author');
        return moved(reply, `${base}/feed.xml`);
      }
      if (kind === 'author') throw notFound('Page');
      return moved(reply, `/${kind}/${encodeURIComponent(slug)}`);
    });
  }

  app.get<{ Params: { '*': string } }>('/wp-content/uploads/*', own, async (request, reply) => {
    const { search } = splitUrl(request.url);
    const rest = splitUrl(request.url).path.slice('/wp-content/uploads/'.length);
    if (!rest) throw notFound('Page');
    return moved(reply, UPLOADS_PREFIX + rest + search);
  });
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route answers its own trailing-slash form (redirects.ts). */
    canonicalSlash?: boolean;
  }
}

export default fp(wordpressRedirects, { name: 'lectern-wordpress-redirects', dependencies: ['lectern-context'] });
