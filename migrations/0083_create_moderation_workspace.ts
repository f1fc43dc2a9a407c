import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * The moderation workspace (issue 11): claims, internal notes and undo.
 *
 * - moderation_log.action_id groups the rows one moderator action wrote (a bulk action is one
 *   action); undo_of marks the rows of an undo with the action they reverse. The unique index
 *   on (undo_of, comment_id) makes a second undo of the same action fail in the database,
 *   even when two instances try at the same moment.
 * - comment_claims: one row per claimed comment. Claiming is a single conditional upsert, so
 *   two moderators on two instances cannot both hold it.
 * - comment_notes: staff-only notes on a queue item; they go with the comment.
 * - comment_snapshots: a deleted comment as it was, so its deletion can be undone. Only the
 *   deleting moderator's last action keeps them (services/moderation.ts); the `email` column
 *   puts them under the privacy export and erasure (services/privacy.ts finds such tables).
 *
 * None of this is shown on public pages: no content_version triggers are needed. Undo moves
 * comments through the comments table, whose triggers (0070, 0071) already count.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('moderation_log').addColumn('action_id', 'text').execute();
  await db.schema.alterTable('moderation_log').addColumn('undo_of', 'text').execute();
  // "This moderator's last action": the newest rows of one actor.
  await db.schema.createIndex('moderation_log_actor').on('moderation_log').columns(['actor_id', 'id']).execute();
  await db.schema.createIndex('moderation_log_action').on('moderation_log').column('action_id').execute();
  // NULLs are distinct on both dialects: only undo rows are constrained.
  await db.schema.createIndex('moderation_log_undo').on('moderation_log').columns(['undo_of', 'comment_id']).unique().execute();

  await db.schema
    .createTable('comment_claims')
    .addColumn('comment_id', 'integer', (col) => col.primaryKey().references('comments.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (col) => col.notNull().references('users.id').onDelete('cascade'))
    .addColumn('user_name', 'text', (col) => col.notNull())
    .addColumn('claimed_at', 'text', (col) => col.notNull())
    .addColumn('expires_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('comment_claims_user').on('comment_claims').column('user_id').execute();

  await withId(db, db.schema.createTable('comment_notes'))
    .addColumn('comment_id', 'integer', (col) => col.notNull().references('comments.id').onDelete('cascade'))
    .addColumn('author_id', 'integer', (col) => col.references('users.id').onDelete('set null'))
    .addColumn('author_name', 'text', (col) => col.notNull())
    .addColumn('body', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('comment_notes_comment').on('comment_notes').columns(['comment_id', 'id']).execute();

  await withId(db, db.schema.createTable('comment_snapshots'))
    .addColumn('action_id', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'integer')
    .addColumn('comment_id', 'integer', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('data', 'text', (col) => col.notNull())
    .addColumn('created_at', 'text', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('comment_snapshots_action').on('comment_snapshots').columns(['action_id', 'comment_id']).execute();
  await db.schema.createIndex('comment_snapshots_actor').on('comment_snapshots').column('actor_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('comment_snapshots').execute();
  await db.schema.dropTable('comment_notes').execute();
  await db.schema.dropTable('comment_claims').execute();
  await db.schema.dropIndex('moderation_log_undo').execute();
  await db.schema.dropIndex('moderation_log_action').execute();
  await db.schema.dropIndex('moderation_log_actor').execute();
  await db.schema.alterTable('moderation_log').dropColumn('undo_of').execute();
  await db.schema.alterTable('moderation_log').dropColumn('action_id').execute();
}
