import { sql, type Kysely } from 'kysely';

/**
 * Discussion modes (issue 11): who may comment on a post, per post and per category.
 *
 * - posts.discussion_mode: 'open' · 'signed-in' · 'pre-moderated' · 'closed' · 'hidden', or
 *   null for "the category's default" (services/discussion.ts decides what a post does).
 * - posts.comments_close_at: an ISO time after which the post behaves as closed (events).
 * - terms.discussion_mode: a category's default for its posts; null = the site's ('open').
 *
 * Public pages show all three. posts and terms already bump content_version on any write
 * (migration 0070), and the moment comments_close_at passes is a time boundary the page cache
 * asks for (plugins/page-cache.ts), hence the index.
 */
const MODES = "('open', 'signed-in', 'pre-moderated', 'closed', 'hidden')";

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('posts')
    .addColumn('discussion_mode', 'text', (col) => col.check(sql.raw(`discussion_mode IN ${MODES}`)))
    .execute();
  await db.schema.alterTable('posts').addColumn('comments_close_at', 'text').execute();
  await db.schema
    .alterTable('terms')
    .addColumn('discussion_mode', 'text', (col) => col.check(sql.raw(`discussion_mode IN ${MODES}`)))
    .execute();
  await db.schema.createIndex('posts_comments_close_at').on('posts').column('comments_close_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('posts_comments_close_at').execute();
  await db.schema.alterTable('terms').dropColumn('discussion_mode').execute();
  await db.schema.alterTable('posts').dropColumn('comments_close_at').execute();
  await db.schema.alterTable('posts').dropColumn('discussion_mode').execute();
}
