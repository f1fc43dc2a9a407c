import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Executor } from './executor.js';

/**
 * Queries of the personal-data tools. An email is always compared lower-cased: comments
 * store it lower-cased, but imported rows and older accounts may not.
 */
const lower = (column: string) => sql<string>`lower(${sql.ref(column)})`;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** `lower(column) like '%email%'`, with the email's own % and _ taken literally. */
function mentions(column: string, email: string) {
  return sql<boolean>`lower(${sql.ref(column)}) like ${`%${escapeLike(email)}%`} escape '\\'`;
}

const untyped = (db: Executor) => db as unknown as Kysely<any>;

/** A person's comments: written with the address, or from their account, every status. */
export function commentsOfPerson(db: Executor, email: string, userIds: number[]) {
  return db
    .selectFrom('comments')
    .leftJoin('posts', 'posts.id', 'comments.post_id')
    .selectAll('comments')
    .select(['posts.title as post_title', 'posts.slug as post_slug'])
    .where((eb) => {
      const byEmail = eb(lower('comments.author_email'), '=', email);
      return userIds.length ? eb.or([byEmail, eb('comments.user_id', 'in', userIds)]) : byEmail;
    })
    .orderBy('comments.id')
    .execute();
}

/** An account's own comments, every status, newest first, with their post. */
export const commentsOfUser = (db: Executor, userId: number) =>
  db
    .selectFrom('comments')
    .leftJoin('posts', 'posts.id', 'comments.post_id')
    .select(['comments.id', 'comments.status', 'comments.body_html', 'comments.created_at', 'posts.title as post_title', 'posts.slug as post_slug'])
    .where('comments.user_id', '=', userId)
    .orderBy('comments.id', 'desc')
    .execute();

/** Blanks the author of these comments; the text stays, under "Anonymous". */
export async function anonymiseComments(db: Executor, ids: number[], avatarKey: string, at: string): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .updateTable('comments')
    .set({ author_name: 'Anonymous', author_email: '', author_url: '', avatar_key: avatarKey, ip_hash: null, user_id: null, updated_at: at })
    .where('id', 'in', ids)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Mail sent or queued to the address. */
export const mailToAddress = (db: Executor, email: string) =>
  db
    .selectFrom('mail_queue')
    .select(['id', 'kind', 'to_address', 'subject', 'status', 'created_at', 'sent_at'])
    .where(lower('to_address'), '=', email)
    .orderBy('id')
    .execute();

/** Mail to the address, or to anyone else that names it (a moderator's notice about their comment). */
export async function deleteMailOfPerson(db: Executor, email: string): Promise<number> {
  const result = await db
    .deleteFrom('mail_queue')
    .where((eb) =>
      eb.or([
        eb(lower('to_address'), '=', email),
        mentions('subject', email),
        mentions('text_body', email),
        mentions('html_body', email),
        mentions('headers', email),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export const invitationsToAddress = (db: Executor, email: string) =>
  db
    .selectFrom('invitations')
    .select(['id', 'role', 'email', 'created_at', 'expires_at', 'used_at'])
    .where(lower('email'), '=', email)
    .orderBy('id')
    .execute();

export async function deleteInvitationsToAddress(db: Executor, email: string): Promise<number> {
  const result = await db.deleteFrom('invitations').where(lower('email'), '=', email).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Sign-in sessions and API tokens of accounts, without their secrets. */
export const sessionsOf = (db: Executor, userIds: number[]) =>
  userIds.length === 0
    ? Promise.resolve([])
    : db.selectFrom('sessions').select(['user_id', 'created_at', 'last_seen_at', 'expires_at']).where('user_id', 'in', userIds).orderBy('created_at').execute();

export const apiTokensOf = (db: Executor, userIds: number[]) =>
  userIds.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('api_tokens')
        .select(['user_id', 'name', 'created_at', 'last_used_at', 'revoked_at'])
        .where('user_id', 'in', userIds)
        .orderBy('id')
        .execute();

export async function deleteUsers(db: Executor, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('users').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/*
 * Tables other features add (subscriptions, subscription requests, mail opt-outs…) are found
 * through the catalogue, never assumed: by convention a table with an `email` column keeps
 * rows about that address, which the person's export shows and their erasure deletes.
 */

/**
 * The site's own tables and their columns. On PostgreSQL the catalogue lists every schema the
 * role can see; only the one in use (the search_path's first) holds this site.
 */
async function ownTables(db: Executor) {
  const tables = await untyped(db).introspection.getTables();
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return tables;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return tables.filter((t) => t.schema === rows[0]?.schema);
}

/** Tables with rows keyed by an `email` column, except those handled on their own. */
export async function emailKeyedTables(db: Executor, except: readonly string[]): Promise<string[]> {
  const tables = await ownTables(db);
  return tables
    .filter((t) => !t.isView && !DERIVED.test(t.name) && !except.includes(t.name) && t.columns.some((c) => c.name === 'email'))
    .map((t) => t.name)
    .sort();
}

export const rowsWithEmail = (db: Executor, table: string, email: string): Promise<Record<string, unknown>[]> =>
  untyped(db).selectFrom(table).selectAll().where(lower('email'), '=', email).execute();

export async function deleteRowsWithEmail(db: Executor, table: string, email: string): Promise<number> {
  const result = await untyped(db).deleteFrom(table).where(lower('email'), '=', email).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Tables that only mirror others (search indexes) or belong to the migrator. */
const DERIVED = /^(kysely_|sqlite_)|_fts(_|$)/;
const TEXTUAL = /char|text|clob|json/i;

export interface Trace {
  table: string;
  column: string;
  rows: number;
}

/**
 * Every text column of every table that still mentions the address: the check after an
 * erasure, so nothing a newer feature stores is silently left behind.
 */
export async function findTraces(db: Executor, email: string, skipTables: readonly string[] = []): Promise<Trace[]> {
  const tables = await ownTables(db);
  const traces: Trace[] = [];
  for (const table of tables) {
    if (table.isView || DERIVED.test(table.name) || skipTables.includes(table.name)) continue;
    for (const column of table.columns) {
      if (!TEXTUAL.test(column.dataType)) continue;
      const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table.name)} where ${mentions(column.name, email)}`.execute(db);
      const n = Number(rows[0]?.n ?? 0);
      if (n > 0) traces.push({ table: table.name, column: column.name, rows: n });
    }
  }
  return traces;
}

/** Forgets the IP hashes of comments older than the cutoff; a partial index keeps this cheap. */
export async function purgeIpHashesBefore(db: Executor, cutoffIso: string): Promise<number> {
  const result = await db
    .updateTable('comments')
    .set({ ip_hash: null })
    .where('ip_hash', 'is not', null)
    .where('created_at', '<', cutoffIso)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertPrivacyLog(
  db: Executor,
  row: { actor_id: number | null; actor_name: string; action: string; details: string; created_at: string },
): Promise<void> {
  await db.insertInto('privacy_log').values(row).execute();
}

export const listPrivacyLog = (db: Executor, limit: number) =>
  db.selectFrom('privacy_log').selectAll().orderBy('id', 'desc').limit(limit).execute();

export type PersonComment = Awaited<ReturnType<typeof commentsOfPerson>>[number];
