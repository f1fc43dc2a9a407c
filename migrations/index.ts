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
import * as m0040 from './0040_create_mail_queue.js';
import * as m0020 from './0020_create_post_search.js';
import * as m0021 from './0021_create_comment_search.js';

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
  '0040_create_mail_queue': m0040,
  '0020_create_post_search': m0020,
  '0021_create_comment_search': m0021,
};
