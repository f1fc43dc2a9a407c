import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as Kysely sees it. Timestamps are ISO-8601 UTC strings (they sort as text
 * and read the same on SQLite and PostgreSQL); booleans are 0/1 integers for the same reason.
 */
export type Role = 'admin' | 'editor' | 'author' | 'patron';
export type PostStatus = 'draft' | 'published' | 'scheduled';
export type PostKind = 'post' | 'page';
export type TermKind = 'category' | 'tag';
/** services/discussion.ts: who may comment on a post, from least to most strict. */
export type DiscussionMode = 'open' | 'signed-in' | 'pre-moderated' | 'closed' | 'hidden';

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
  /** Null for a self-registered patron until they follow the confirmation link. */
  email_confirmed_at: string | null;
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
  /** 1: a question to patrons, with staff answers and themes (migration 0080). */
  is_question: Generated<number>;
  /** The pinned official answer; triggers null it when that comment leaves 'approved' or goes. */
  answer_comment_id: number | null;
  /** null: the category default (services/discussion.ts); migration 0081. */
  discussion_mode: DiscussionMode | null;
  /** After this ISO time the post behaves as closed (migration 0081). */
  comments_close_at: string | null;
}

export interface TermsTable {
  id: Generated<number>;
  kind: TermKind;
  name: string;
  slug: string;
  description: string;
  /** Categories only: the default discussion mode of their posts; null = the site's (migration 0081). */
  discussion_mode: DiscussionMode | null;
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
  /** The comment this one answers, kept when parent_id moved up at the deepest level. */
  reply_to_id: number | null;
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
  /** When its commenter last edited it, shown as "edited" (migration 0082). */
  edited_at: string | null;
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
  /** Groups the rows of one moderator action (a bulk action is one); null before migration 0083. */
  action_id: string | null;
  /** On the rows an undo wrote: the action_id they reverse. */
  undo_of: string | null;
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
  invitations: InvitationsTable;
  password_resets: PasswordResetsTable;
  privacy_log: PrivacyLogTable;
  subscriptions: SubscriptionsTable;
  subscription_requests: SubscriptionRequestsTable;
  mail_optouts: MailOptoutsTable;
  wordpress_users: WordpressUsersTable;
  wordpress_posts: WordpressPostsTable;
  wordpress_comments: WordpressCommentsTable;
  jobs: JobsTable;
  import_journal: ImportJournalTable;
  login_attempts: LoginAttemptsTable;
  content_version: ContentVersionTable;
  comment_counts: CommentCountsTable;
  themes: ThemesTable;
  comment_themes: CommentThemesTable;
  comment_claims: CommentClaimsTable;
  comment_notes: CommentNotesTable;
  comment_snapshots: CommentSnapshotsTable;
  commenter_blocks: CommenterBlocksTable;
  likes: LikesTable;
  reaction_limits: ReactionLimitsTable;
  comment_reports: CommentReportsTable;
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

export interface InvitationsTable {
  id: Generated<number>;
  /** sha256 of the link's token: the table alone opens nothing. */
  token_hash: string;
  role: Role;
  email: string | null;
  created_by: number | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: number | null;
}

export interface PasswordResetsTable {
  id: Generated<number>;
  user_id: number;
  /** sha256 of the link's token. */
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface PrivacyLogTable {
  id: Generated<number>;
  actor_id: number | null;
  actor_name: string;
  /** 'erase' · 'export' · 'close-account' */
  action: string;
  /** JSON: mode and counts; never the email or anything erased. */
  details: string;
  created_at: string;
}

export type Invitation = Selectable<InvitationsTable>;
export type PrivacyLogEntry = Selectable<PrivacyLogTable>;

/** `replies`: mail me when someone answers my comments on this post; `post`: mail me about every new comment. */
export type SubscriptionKind = 'replies' | 'post';

export interface SubscriptionsTable {
  id: Generated<number>;
  /** Lower-cased, as comments store it. */
  email: string;
  post_id: number;
  kind: SubscriptionKind;
  created_at: string;
}

/** What a commenter ticked, waiting for the comment to be approved (migrations/0042). */
export interface SubscriptionRequestsTable {
  comment_id: number;
  email: string;
  post_id: number;
  replies: number;
  new_comments: number;
  created_at: string;
}

export interface MailOptoutsTable {
  id: Generated<number>;
  email: string;
  /** 'moderation': no more held-comment mail or digests to this address. */
  kind: string;
  created_at: string;
}

export type Subscription = Selectable<SubscriptionsTable>;
export type MailQueueRow = Selectable<MailQueueTable>;

/** WordPress import (issue 7, migrations 0030–0034): what each WordPress id became. */
export interface WordpressUsersTable {
  id: Generated<number>;
  /** The import job that created the row. */
  job_id: number | null;
  /** The WordPress site as host and path ("blog.example.org"). */
  source: string;
  wp_login: string;
  wp_id: number | null;
  user_id: number | null;
  created_at: string;
}

export interface WordpressPostsTable {
  id: Generated<number>;
  /** The import job that created the row. */
  job_id: number | null;
  source: string;
  wp_id: number;
  /** Null when the Lectern post was deleted after the import. */
  post_id: number | null;
  wp_type: string;
  /** Percent-decoded WordPress slug, as old links carry it. */
  wp_slug: string;
  /** WordPress local date, YYYY-MM-DD. */
  wp_date: string;
  fingerprint: string;
  /** posts.updated_at as the import wrote it. */
  synced_at: string;
  created_at: string;
}

export interface WordpressCommentsTable {
  id: Generated<number>;
  /** The import job that created the row. */
  job_id: number | null;
  source: string;
  wp_id: number;
  wp_post_id: number;
  comment_id: number | null;
  fingerprint: string;
  synced_at: string;
  created_at: string;
}

export type JobStatus = 'running' | 'done' | 'failed';

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  status: JobStatus;
  phase: string;
  done_kib: number;
  total_kib: number;
  label: string;
  message: string;
  /** JSON */
  summary: string | null;
  created_by: number | null;
  created_at: string;
  /** The heartbeat: a running job that stops touching it was interrupted. */
  updated_at: string;
  finished_at: string | null;
}

export interface ImportJournalTable {
  id: Generated<number>;
  job_id: number;
  table_name: string;
  row_id: number;
  /** JSON of the row before the change; null when the import created it. */
  before: string | null;
}

export type Job = Selectable<JobsTable>;

/** Failed sign-ins per account and per client IP (issue 5, migration 0060). */
export interface LoginAttemptsTable {
  id: Generated<number>;
  /** "account:<keyed hash>" or "ip:<keyed hash>": never the typed name or the address. */
  key: string;
  /** Failures since first_failure_at (the count restarts after a quiet window). */
  failures: number;
  first_failure_at: string;
  last_failure_at: string;
  /** No attempt is even checked before this time. */
  locked_until: string | null;
}

export type LoginAttempt = Selectable<LoginAttemptsTable>;

/** One row (id 1): moved by triggers on every write a public page could show (migration 0070, plugins/page-cache.ts). */
export interface ContentVersionTable {
  id: number;
  version: string | number | bigint;
}

/** Comments per status, kept by triggers (migration 0071): the queue's counts without a scan. */
export interface CommentCountsTable {
  status: CommentStatus;
  n: string | number | bigint;
}

/** A theme of a question post's answers, created on the fly by a moderator (migration 0080). */
export interface ThemesTable {
  id: Generated<number>;
  post_id: number;
  name: string;
  /** Trimmed, spaces folded, lower-cased: unique per post. */
  name_key: string;
  created_by: number | null;
  created_at: string;
}

/** A comment tagged with a theme; only approved comments count in the tally. */
export interface CommentThemesTable {
  comment_id: number;
  theme_id: number;
  tagged_by: number | null;
  created_at: string;
}

export type Theme = Selectable<ThemesTable>;

/** The moderation workspace (issue 11, migration 0083): who is working on a queue item. */
export interface CommentClaimsTable {
  comment_id: number;
  user_id: number;
  user_name: string;
  claimed_at: string;
  /** A claim no one refreshes lapses at this time. */
  expires_at: string;
}

/** A staff-only note on a queue item; never on public pages or the public API. */
export interface CommentNotesTable {
  id: Generated<number>;
  comment_id: number;
  author_id: number | null;
  author_name: string;
  body: string;
  created_at: string;
}

/** A deleted comment as it was, kept while its deletion can still be undone. */
export interface CommentSnapshotsTable {
  id: Generated<number>;
  action_id: string;
  actor_id: number | null;
  comment_id: number;
  /** The commenter's address, so the privacy tools find the snapshot. */
  email: string;
  /** JSON: the comment row, the replies moved up and the notes (services/moderation.ts). */
  data: string;
  created_at: string;
}

/** A blocked commenter (migration 0084): by email, keyed IP hash, or both. */
export interface CommenterBlocksTable {
  id: Generated<number>;
  email: string | null;
  ip_hash: string | null;
  note: string;
  comment_id: number | null;
  created_by: number | null;
  created_by_name: string;
  created_at: string;
}

export type CommentClaim = Selectable<CommentClaimsTable>;
export type CommentNote = Selectable<CommentNotesTable>;
export type CommenterBlock = Selectable<CommenterBlocksTable>;

/** A like of a post (comment_id null) or of an approved comment, once per browser (migration 0085). */
export interface LikesTable {
  id: Generated<number>;
  post_id: number;
  comment_id: number | null;
  /** Keyed hash of the browser's random reader id (cookie lectern_reader): never the id itself. */
  reader_hash: string;
  /** Keyed hash of the client address, for the per-address cap; purged with the comments'. */
  ip_hash: string | null;
  created_at: string;
}

/** Likes, unlikes and reports per client address in a one-minute window (migration 0085). */
export interface ReactionLimitsTable {
  /** "like:<address hash>" or "report:<address hash>". */
  key: string;
  window_started_at: string;
  hits: number;
}

/** A reader's report of an approved comment (migration 0086). */
export interface CommentReportsTable {
  id: Generated<number>;
  comment_id: number;
  /** One of REPORT_REASONS (services/reports.ts). */
  reason: string;
  /** What the reader added, plain text, shown to moderators only. */
  details: string;
  reader_hash: string;
  ip_hash: string | null;
  created_at: string;
  /** Set when a moderator approved the comment: reviewed reports no longer count. */
  reviewed_at: string | null;
}
