import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { loadSettings } from './settings.js';

/**
 * `lectern export json`: everything a site holds, as one documented JSON file
 * (docs/export-json.md), written a page of rows at a time. Never any credential or hash:
 * no password, session, token, invitation or reset hashes, no IP hashes, no avatar keys
 * (a keyed hash of the email). Transient rows (sessions, the mail queue, jobs) are left out.
 */

export const EXPORT_FORMAT = 'lectern-export';
export const EXPORT_VERSION = 1;

const PAGE = 500;

/** The columns each table is exported with: an allow-list, so a new secret column stays out. */
export const EXPORTED_COLUMNS = {
  users: ['id', 'username', 'email', 'display_name', 'role', 'bio_md', 'bio_html', 'disabled_at', 'last_login_at', 'created_at', 'email_confirmed_at'],
  terms: ['id', 'kind', 'name', 'slug', 'description', 'discussion_mode'],
  posts: [
    'id', 'author_id', 'kind', 'title', 'slug', 'body_md', 'body_html', 'excerpt', 'excerpt_md', 'status', 'published_at',
    'comments_open', 'comment_count', 'created_at', 'updated_at', 'is_question', 'answer_comment_id', 'discussion_mode', 'comments_close_at',
  ],
  comments: [
    'id', 'post_id', 'parent_id', 'depth', 'user_id', 'author_name', 'author_email', 'author_url', 'is_staff', 'body_md',
    'body_html', 'status', 'reasons', 'created_at', 'updated_at', 'reply_to_id', 'edited_at',
  ],
  uploads: ['id', 'user_id', 'path', 'original_name', 'mime_type', 'size_bytes', 'created_at'],
  moderation_log: ['id', 'comment_id', 'post_id', 'actor_id', 'actor_name', 'from_status', 'to_status', 'created_at', 'action_id', 'undo_of'],
  themes: ['id', 'post_id', 'name', 'created_by', 'created_at'],
  comment_notes: ['id', 'comment_id', 'author_id', 'author_name', 'body', 'created_at'],
  comment_reports: ['id', 'comment_id', 'reason', 'details', 'created_at', 'reviewed_at'],
  likes: ['id', 'post_id', 'comment_id', 'created_at'],
  commenter_blocks: ['id', 'email', 'note', 'comment_id', 'created_by', 'created_by_name', 'created_at'],
  subscriptions: ['id', 'email', 'post_id', 'kind', 'created_at'],
  mail_optouts: ['id', 'email', 'kind', 'created_at'],
  privacy_log: ['id', 'actor_id', 'actor_name', 'action', 'details', 'created_at'],
  wordpress_users: ['id', 'source', 'wp_login', 'wp_id', 'user_id', 'created_at'],
  wordpress_posts: ['id', 'source', 'wp_id', 'post_id', 'wp_type', 'wp_slug', 'wp_date', 'created_at'],
  wordpress_comments: ['id', 'source', 'wp_id', 'wp_post_id', 'comment_id', 'created_at'],
} as const;

export type ExportedTable = keyof typeof EXPORTED_COLUMNS;

/** Booleans are 0/1 in the database; true/false in the file. */
const BOOLEANS: Partial<Record<ExportedTable, string[]>> = { posts: ['comments_open', 'is_question'], comments: ['is_staff'] };
/** JSON held in text columns is exported as JSON. */
const JSON_COLUMNS: Partial<Record<ExportedTable, string[]>> = { comments: ['reasons'], privacy_log: ['details'] };

function shape(table: ExportedTable, row: Record<string, unknown>): Record<string, unknown> {
  for (const column of BOOLEANS[table] ?? []) row[column] = Boolean(row[column]);
  for (const column of JSON_COLUMNS[table] ?? []) {
    try {
      row[column] = JSON.parse(String(row[column]));
    } catch {
      // Left as text.
    }
  }
  return row;
}

async function tableExists(db: Kysely<Database>, table: string): Promise<boolean> {
  const tables = await db.introspection.getTables();
  return tables.some((t) => t.name === table);
}

/** Tables of pairs with no id of their own: which terms each post has, which themes each answer. */
const PAIR_TABLES = [
  ['post_terms', 'post_id', 'term_id'],
  ['comment_themes', 'comment_id', 'theme_id'],
] as const;
type PairTable = (typeof PAIR_TABLES)[number][0];

export type JsonExportCounts = Partial<Record<ExportedTable | PairTable, number>>;

export interface JsonExportOptions {
  baseUrl: string;
  now?: Date;
}

/** The JSON document, in pieces. `counts` is filled in as it goes. */
export async function* jsonExport(db: Kysely<Database>, options: JsonExportOptions, counts: JsonExportCounts = {}): AsyncGenerator<string> {
  const settings = await loadSettings(db);
  const head = {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exported_at: (options.now ?? new Date()).toISOString(),
    site: { base_url: options.baseUrl, settings },
  };
  // The header's closing brace is left off: the tables follow as more members.
  yield JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const any = db as Kysely<any>;
  for (const [table, columns] of Object.entries(EXPORTED_COLUMNS) as [ExportedTable, readonly string[]][]) {
    if (!(await tableExists(db, table))) continue;
    yield `,\n  ${JSON.stringify(table)}: [`;
    let last = 0;
    let n = 0;
    for (;;) {
      const rows = (await any.selectFrom(table).select([...columns]).where('id', '>', last).orderBy('id').limit(PAGE).execute()) as Record<string, unknown>[];
      for (const row of rows) {
        yield `${n === 0 ? '\n' : ',\n'}    ${JSON.stringify(shape(table, row))}`;
        n += 1;
      }
      if (rows.length < PAGE) break;
      last = Number(rows[rows.length - 1]!.id);
    }
    counts[table] = n;
    yield n ? '\n  ]' : ']';
  }
  for (const [table, first, second] of PAIR_TABLES) {
    if (!(await tableExists(db, table))) continue;
    yield `,\n  ${JSON.stringify(table)}: [`;
    let n = 0;
    // Paged along the pair's own order: (first, second) after the last one written.
    let after: [number, number] | null = null;
    for (;;) {
      let query = any.selectFrom(table).select([first, second]);
      if (after) {
        const [a, b] = after;
        query = query.where((eb: ExpressionBuilder<any, any>) => eb.or([eb(first, '>', a), eb.and([eb(first, '=', a), eb(second, '>', b)])]));
      }
      const rows = (await query.orderBy(first).orderBy(second).limit(PAGE).execute()) as Record<string, number>[];
      for (const row of rows) {
        yield `${n === 0 ? '\n' : ',\n'}    ${JSON.stringify(row)}`;
        n += 1;
      }
      if (rows.length < PAGE) break;
      const lastRow = rows[rows.length - 1]!;
      after = [lastRow[first]!, lastRow[second]!];
    }
    counts[table] = n;
    yield n ? '\n  ]' : ']';
  }
  yield '\n}\n';
}
