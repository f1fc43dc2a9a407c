import fp from 'fastify-plugin';
import type {} from '@fastify/csrf-protection';
import view from '@fastify/view';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';
import { viewsDir } from '../paths.js';
import { loadSettings, type SiteSettings } from '../services/settings.js';
import { listVisiblePages } from '../data/posts.js';
import { formatDate, formatDateTime, isoToLocalInput } from '../services/time.js';
import { can, isStaff } from '../services/permissions.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Renders views/pages/<name>.eta inside its layout, with the site-wide data every page needs. */
    page(name: string, data?: Record<string, unknown>, status?: number): Promise<FastifyReply>;
  }
}

/** Builds "?page=2"-style links that keep the other query parameters. */
function pageHref(path: string, page: number): string {
  const url = new URL(path, 'http://x');
  if (page <= 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.pathname + url.search;
}

function helpers(settings: SiteSettings) {
  return {
    date: (iso: string | null) => formatDate(iso, settings.timezone),
    dateTime: (iso: string | null) => formatDateTime(iso, settings.timezone),
    localInput: (iso: string | null) => isoToLocalInput(iso, settings.timezone),
    pageHref,
    can,
    isStaff,
    /** "and" between the last two items: "Events, News and Story time" */
    joinAnd: (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`),
  };
}

export default fp(
  async (app) => {
    const eta = new Eta({ views: viewsDir, cache: app.config.production, autoEscape: true, autoTrim: [false, 'nl'] });
    await app.register(view, {
      engine: { eta },
      templates: viewsDir,
      production: app.config.production,
    });

    app.decorateReply('page', async function (this: FastifyReply, name: string, data: Record<string, unknown> = {}, status = 200) {
      const request = this.request;
      const db = app.db.kysely;
      const [site, navPages] = await Promise.all([loadSettings(db), listVisiblePages(db, new Date().toISOString())]);
      let csrfToken: string | null = null;
      const html = await this.viewAsync(`pages/${name}.eta`, {
        ...data,
        site,
        navPages,
        user: request.user,
        path: request.url,
        h: helpers(site),
        // Created on first use, so pages without forms set no cookie and stay cacheable. A page
        // carrying a token is this visitor's alone: no shared cache may keep it (plugins/page-cache.ts).
        csrf: () => {
          if (csrfToken === null) {
            csrfToken = this.generateCsrf();
            if (!/no-store/.test(String(this.getHeader('cache-control') ?? ''))) this.header('cache-control', 'private, no-cache');
          }
          return csrfToken;
        },
      });
      return this.code(status).type('text/html; charset=utf-8').send(html);
    });
  },
  { name: 'lectern-views', dependencies: ['lectern-context'] },
);
