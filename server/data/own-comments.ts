import type { Executor } from './executor.js';

/**
 * A commenter's own comments (services/own-comments.ts). A reply is any comment answering
 * this one, held or shown; spam does not count, so a bot cannot lock someone's edit.
 */
const REPLY_STATUSES = ['approved', 'pending', 'rejected'] as const;

/** Which of these comments have a reply. */
export async function repliedTo(db: Executor, ids: number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('comments')
    .select(['parent_id', 'reply_to_id'])
    .where('status', 'in', REPLY_STATUSES)
    .where((eb) => eb.or([eb('parent_id', 'in', ids), eb('reply_to_id', 'in', ids)]))
    .execute();
  const wanted = new Set(ids);
  const out = new Set<number>();
  for (const r of rows) for (const id of [r.parent_id, r.reply_to_id]) if (id !== null && wanted.has(id)) out.add(id);
  return out;
}

/** What deciding "still editable?" needs of some comments, wherever they are. */
export const listOwnCandidates = (db: Executor, ids: number[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db.selectFrom('comments').select(['id', 'post_id', 'status', 'created_at']).where('id', 'in', ids).execute();

/** Writes new text unless someone replied meanwhile (one statement); false when refused. */
export async function updateUnrepliedCommentText(
  db: Executor,
  id: number,
  changes: { body_md: string; body_html: string; edited_at: string; updated_at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('comments')
    .set(changes)
    .where('id', '=', id)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('comments as r')
            .select('r.id')
            .where('r.status', 'in', REPLY_STATUSES)
            .where((r) => r.or([r('r.parent_id', '=', id), r('r.reply_to_id', '=', id)])),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setCommentReasons(db: Executor, id: number, reasons: string[]): Promise<void> {
  await db.updateTable('comments').set({ reasons: JSON.stringify(reasons) }).where('id', '=', id).execute();
}

/** A signed-in person's comments on one post. */
export async function commentIdsByUserOnPost(db: Executor, postId: number, userId: number): Promise<number[]> {
  const rows = await db.selectFrom('comments').select('id').where('post_id', '=', postId).where('user_id', '=', userId).execute();
  return rows.map((r) => r.id);
}
