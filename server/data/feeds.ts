import type { Executor } from './executor.js';
import { isVisible } from './posts.js';
import { notHiddenDiscussion } from './discussion.js';

/**
 * The newest approved comments on visible posts (all of them, or one post's), for the
 * comment feeds. Public columns only: never the email or the IP hash.
 */
export async function listRecentApprovedComments(db: Executor, now: string, limit: number, postId?: number) {
  let query = db
    .selectFrom('comments')
    .innerJoin('posts', 'posts.id', 'comments.post_id')
    .select([
      'comments.id',
      'comments.author_name',
      'comments.body_html',
      'comments.created_at',
      'comments.updated_at',
      'posts.slug as post_slug',
      'posts.title as post_title',
    ])
    .where('comments.status', '=', 'approved')
    .where('posts.kind', '=', 'post')
    .where(isVisible(now))
    // A hidden discussion (services/discussion.ts) has no public comments, in feeds either.
    .where(notHiddenDiscussion());
  if (postId !== undefined) query = query.where('comments.post_id', '=', postId);
  // Newest by id: it follows posting order and reads straight off the (status, id) index.
  return query.orderBy('comments.id', 'desc').limit(limit).execute();
}
