import type { Migration } from 'kysely';
import * as m0001 from './0001_create_users.js';
import * as m0002 from './0002_create_sessions.js';
import * as m0003 from './0003_create_api_tokens.js';
import * as m0004 from './0004_create_posts.js';
import * as m0005 from './0005_create_terms.js';
import * as m0006 from './0006_create_uploads.js';
import * as m0007 from './0007_create_settings.js';
import * as m0008 from './0008_create_comments.js';
import * as m0009 from './0009_create_moderation_log.js';
import * as m0010 from './0010_add_comment_reply_to.js';
import * as m0040 from './0040_create_mail_queue.js';
import * as m0020 from './0020_create_post_search.js';
import * as m0021 from './0021_create_comment_search.js';
import * as m0050 from './0050_create_invitations.js';
import * as m0051 from './0051_create_password_resets.js';
import * as m0052 from './0052_create_privacy_log.js';
import * as m0053 from './0053_add_users_email_confirmed_at.js';
import * as m0054 from './0054_create_comments_ip_purge_index.js';
import * as m0041 from './0041_create_subscriptions.js';
import * as m0042 from './0042_create_subscription_requests.js';
import * as m0043 from './0043_create_mail_optouts.js';
import * as m0030 from './0030_create_jobs.js';
import * as m0031 from './0031_create_wordpress_users.js';
import * as m0032 from './0032_create_wordpress_posts.js';
import * as m0033 from './0033_create_wordpress_comments.js';
import * as m0034 from './0034_create_import_journal.js';
import * as m0060 from './0060_create_login_attempts.js';
import * as m0061 from './0061_bound_search_parsing.js';
import * as m0070 from './0070_create_content_version.js';
import * as m0071 from './0071_create_comment_counts.js';
import * as m0080 from './0080_create_questions_and_themes.js';
import * as m0083 from './0083_create_moderation_workspace.js';
import * as m0084 from './0084_create_commenter_blocks.js';
import * as m0081 from './0081_add_discussion_modes.js';
import * as m0082 from './0082_add_comment_edited_at.js';
import * as m0085 from './0085_create_likes.js';
import * as m0086 from './0086_create_comment_reports.js';

/**
 * Every migration, by name, in order. Listed statically (not read from the folder) so the
 * same list works from source, compiled to dist/, and inside the Docker image.
 */
export const migrations: Record<string, Migration> = {
  '0001_create_users': m0001,
  '0002_create_sessions': m0002,
  '0003_create_api_tokens': m0003,
  '0004_create_posts': m0004,
  '0005_create_terms': m0005,
  '0006_create_uploads': m0006,
  '0007_create_settings': m0007,
  '0008_create_comments': m0008,
  '0009_create_moderation_log': m0009,
  '0010_add_comment_reply_to': m0010,
  '0040_create_mail_queue': m0040,
  '0020_create_post_search': m0020,
  '0021_create_comment_search': m0021,
  '0050_create_invitations': m0050,
  '0051_create_password_resets': m0051,
  '0052_create_privacy_log': m0052,
  '0053_add_users_email_confirmed_at': m0053,
  '0054_create_comments_ip_purge_index': m0054,
  '0041_create_subscriptions': m0041,
  '0042_create_subscription_requests': m0042,
  '0043_create_mail_optouts': m0043,
  '0030_create_jobs': m0030,
  '0031_create_wordpress_users': m0031,
  '0032_create_wordpress_posts': m0032,
  '0033_create_wordpress_comments': m0033,
  '0034_create_import_journal': m0034,
  '0060_create_login_attempts': m0060,
  '0061_bound_search_parsing': m0061,
  '0070_create_content_version': m0070,
  '0071_create_comment_counts': m0071,
  '0080_create_questions_and_themes': m0080,
  '0083_create_moderation_workspace': m0083,
  '0084_create_commenter_blocks': m0084,
  '0081_add_discussion_modes': m0081,
  '0082_add_comment_edited_at': m0082,
  '0085_create_likes': m0085,
  '0086_create_comment_reports': m0086,
};
