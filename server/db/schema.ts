import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as Kysely sees it. Timestamps are ISO-8601 UTC strings (they sort as text
 * and read the same on SQLite and PostgreSQL); booleans are 0/1 integers for the same reason.
 */
export type Role = 'admin' | 'editor' | 'author' | 'patron';
export type PostStatus = 'draft' | 'published' | 'scheduled';
export type PostKind = 'post' | 'page';
export type TermKind = 'category' | 'tag';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  display_name: string;
  role: Role;
  password_hash: string | null;
  bio_md: string;
  bio_html: string;
  disabled_at: string | null;
  last_login_at: string | null;
  created_at: string;
}

export interface SessionsTable {
  /** sha256 of the cookie value: a leaked table does not hand out sessions. */
  id: string;
  user_id: number;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface PostsTable {
  id: Generated<number>;
  author_id: number;
  kind: PostKind;
  title: string;
  slug: string;
  body_md: string;
  body_html: string;
  excerpt: string;
  /** Staff-written excerpt; when empty the excerpt above is derived from the body. */
  excerpt_md: string;
  status: PostStatus;
  published_at: string | null;
  comments_open: number;
  /** Approved comments only, kept by the comment service on every transition. */
  comment_count: number;
  created_at: string;
  updated_at: string;
}

export interface TermsTable {
  id: Generated<number>;
  kind: TermKind;
  name: string;
  slug: string;
  description: string;
}

export interface PostTermsTable {
  post_id: number;
  term_id: number;
}

export interface UploadsTable {
  id: Generated<number>;
  user_id: number;
  path: string;
  original_name: string;
  mime_type: string;
  size_bytes: number;
  created_at: string;
}

export interface SettingsTable {
  key: string;
  /** JSON-encoded value */
  value: string;
}

export type CommentStatus = 'approved' | 'pending' | 'rejected' | 'spam';

export interface CommentsTable {
  id: Generated<number>;
  post_id: number;
  parent_id: number | null;
  /** 0 for a top-level comment; replies below thread_depth are attached at the deepest level. */
  depth: number;
  user_id: number | null;
  author_name: string;
  /** Never shown publicly nor in the public API. */
  author_email: string;
  author_url: string;
  /** Keyed hash of the email, for the locally drawn avatar: the email cannot be read back. */
  avatar_key: string;
  is_staff: number;
  body_md: string;
  body_html: string;
  status: CommentStatus;
  /** JSON array of why it was held or marked spam. */
  reasons: string;
  /** Keyed hash of the poster's IP (rate limit, spam); purgeable. */
  ip_hash: string | null;
  created_at: string;
  updated_at: string;
}

export interface ModerationLogTable {
  id: Generated<number>;
  comment_id: number;
  post_id: number | null;
  actor_id: number | null;
  actor_name: string;
  from_status: string;
  /** A CommentStatus, or 'deleted'. */
  to_status: string;
  created_at: string;
}

export type MailStatus = 'queued' | 'sent' | 'failed';

export interface MailQueueTable {
  id: Generated<number>;
  /** What the mail is about: 'reply', 'new-comment', 'approved', 'held', 'digest', 'invite', 'password-reset', … */
  kind: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string | null;
  headers: string;
  dedupe_key: string | null;
  status: MailStatus;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string;
  locked_until: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  posts: PostsTable;
  terms: TermsTable;
  post_terms: PostTermsTable;
  uploads: UploadsTable;
  settings: SettingsTable;
  comments: CommentsTable;
  moderation_log: ModerationLogTable;
  mail_queue: MailQueueTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type Post = Selectable<PostsTable>;
export type NewPost = Insertable<PostsTable>;
export type PostUpdate = Updateable<PostsTable>;
export type Term = Selectable<TermsTable>;
export type ApiToken = Selectable<ApiTokensTable>;
export type Upload = Selectable<UploadsTable>;
export type Comment = Selectable<CommentsTable>;
export type NewComment = Insertable<CommentsTable>;
