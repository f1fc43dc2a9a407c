import type { PostView } from '../../services/posts.js';
import type { SiteSettings } from '../../services/settings.js';
import { effectiveDiscussion } from '../../services/discussion.js';

/** A post whose thread the public may not see (services/discussion.ts): no comments, no count. */
export const threadHidden = (post: PostView) => post.comments_hidden;

/** The discussion fields every post answer carries (docs/api-discussion.md). */
export function apiDiscussion(post: PostView, settings: Pick<SiteSettings, 'close_after_days'>, now = new Date()) {
  const d = effectiveDiscussion(post, post.category_discussion_mode, settings, now);
  return {
    discussion_mode: post.discussion_mode,
    comments_close_at: post.comments_close_at,
    discussion: { mode: d.mode, configured: d.configured, source: d.source, closes_at: d.closesAt, closed_reason: d.reason },
  };
}
