import type { Executor } from './executor.js';
import { isVisible } from './posts.js';

/** Everything a search engine may index, with when it last changed; portable SQL only. */

export const listVisibleForSitemap = (db: Executor, now: string) =>
  db
    .selectFrom('posts')
    .select(['kind', 'slug', 'published_at', 'updated_at'])
    .where(isVisible(now))
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .execute();

/** Categories and tags with at least one visible post, and that post's date. */
export const listTermsForSitemap = (db: Executor, now: string) =>
  db
    .selectFrom('terms')
    .innerJoin('post_terms', 'post_terms.term_id', 'terms.id')
    .innerJoin('posts', 'posts.id', 'post_terms.post_id')
    .select(['terms.kind', 'terms.slug', (eb) => eb.fn.max('posts.published_at').as('lastmod')])
    .where(isVisible(now))
    .where('posts.kind', '=', 'post')
    .groupBy(['terms.id', 'terms.kind', 'terms.slug'])
    .orderBy('terms.kind')
    .orderBy('terms.slug')
    .execute();

/** Authors with at least one visible post. */
export const listAuthorsForSitemap = (db: Executor, now: string) =>
  db
    .selectFrom('users')
    .innerJoin('posts', 'posts.author_id', 'users.id')
    .select(['users.username', (eb) => eb.fn.max('posts.published_at').as('lastmod')])
    .where(isVisible(now))
    .where('posts.kind', '=', 'post')
    .where('users.role', '!=', 'patron')
    .groupBy(['users.id', 'users.username'])
    .orderBy('users.username')
    .execute();
