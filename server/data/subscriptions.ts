import type { Executor } from './executor.js';
import type { Subscription, SubscriptionKind } from '../db/schema.js';

/** Adds a subscription; a second identical one is a no-op (unique email, post, kind). */
export async function addSubscription(db: Executor, email: string, postId: number, kind: SubscriptionKind, at: string): Promise<void> {
  await db
    .insertInto('subscriptions')
    .values({ email, post_id: postId, kind, created_at: at })
    .onConflict((oc) => oc.columns(['email', 'post_id', 'kind']).doNothing())
    .execute();
}

export async function hasSubscription(db: Executor, email: string, postId: number, kind: SubscriptionKind): Promise<boolean> {
  const row = await db
    .selectFrom('subscriptions')
    .select('id')
    .where('email', '=', email)
    .where('post_id', '=', postId)
    .where('kind', '=', kind)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listSubscriberEmails(db: Executor, postId: number, kind: SubscriptionKind): Promise<string[]> {
  const rows = await db.selectFrom('subscriptions').select('email').where('post_id', '=', postId).where('kind', '=', kind).orderBy('id').execute();
  return rows.map((r) => r.email);
}

export type SubscriptionWithPost = Subscription & { post_title: string | null; post_slug: string | null };

export const listSubscriptionsByEmail = (db: Executor, email: string): Promise<SubscriptionWithPost[]> =>
  db
    .selectFrom('subscriptions')
    .leftJoin('posts', 'posts.id', 'subscriptions.post_id')
    .selectAll('subscriptions')
    .select(['posts.title as post_title', 'posts.slug as post_slug'])
    .where('subscriptions.email', '=', email)
    .orderBy('subscriptions.id')
    .execute();

/** Removes what matches; a missing post or kind widens the scope. Returns how many went. */
export async function deleteSubscriptions(db: Executor, email: string, postId?: number, kind?: SubscriptionKind): Promise<number> {
  let query = db.deleteFrom('subscriptions').where('email', '=', email);
  if (postId !== undefined) query = query.where('post_id', '=', postId);
  if (kind !== undefined) query = query.where('kind', '=', kind);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteSubscriptionById(db: Executor, id: number): Promise<Subscription | undefined> {
  const row = await db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
  if (row) await db.deleteFrom('subscriptions').where('id', '=', id).execute();
  return row;
}

export interface SubscriptionRequest {
  comment_id: number;
  email: string;
  post_id: number;
  replies: number;
  new_comments: number;
  created_at: string;
}

export async function saveSubscriptionRequest(db: Executor, request: SubscriptionRequest): Promise<void> {
  await db
    .insertInto('subscription_requests')
    .values(request)
    .onConflict((oc) => oc.column('comment_id').doNothing())
    .execute();
}

/** Reads and removes a comment's request in one go: only the first approval acts on it. */
export async function takeSubscriptionRequest(db: Executor, commentId: number): Promise<SubscriptionRequest | undefined> {
  const row = await db.selectFrom('subscription_requests').selectAll().where('comment_id', '=', commentId).executeTakeFirst();
  if (!row) return undefined;
  const result = await db.deleteFrom('subscription_requests').where('comment_id', '=', commentId).executeTakeFirst();
  // Someone else (another instance) took it between the read and the delete.
  return Number(result.numDeletedRows) > 0 ? row : undefined;
}

export const listSubscriptionRequestsByEmail = (db: Executor, email: string) =>
  db
    .selectFrom('subscription_requests')
    .leftJoin('posts', 'posts.id', 'subscription_requests.post_id')
    .selectAll('subscription_requests')
    .select(['posts.title as post_title', 'posts.slug as post_slug'])
    .where('subscription_requests.email', '=', email)
    .orderBy('subscription_requests.comment_id')
    .execute();

export async function deleteSubscriptionRequests(db: Executor, email: string): Promise<number> {
  const result = await db.deleteFrom('subscription_requests').where('email', '=', email).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function addOptout(db: Executor, email: string, kind: string, at: string): Promise<void> {
  await db
    .insertInto('mail_optouts')
    .values({ email, kind, created_at: at })
    .onConflict((oc) => oc.columns(['email', 'kind']).doNothing())
    .execute();
}

export const listOptoutsByEmail = (db: Executor, email: string) =>
  db.selectFrom('mail_optouts').selectAll().where('email', '=', email).orderBy('id').execute();

export async function deleteOptout(db: Executor, email: string, kind: string): Promise<number> {
  const result = await db.deleteFrom('mail_optouts').where('email', '=', email).where('kind', '=', kind).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Moderators (admin, editor) who can get mail: an address, not disabled, not opted out. */
export async function listModeratorEmails(db: Executor): Promise<string[]> {
  const rows = await db
    .selectFrom('users')
    .select('users.email')
    .where('users.role', 'in', ['admin', 'editor'])
    .where('users.disabled_at', 'is', null)
    .where('users.email', 'is not', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('mail_optouts')
            .select('mail_optouts.id')
            .whereRef('mail_optouts.email', '=', eb.fn('lower', ['users.email']))
            .where('mail_optouts.kind', '=', 'moderation'),
        ),
      ),
    )
    .orderBy('users.id')
    .execute();
  return [...new Set(rows.map((r) => (r.email ?? '').trim().toLowerCase()).filter(Boolean))];
}
