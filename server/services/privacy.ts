import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { adjustApprovedCount, deleteCommentRow, reparentChildren } from '../data/comments.js';
import { findUsersByEmail } from '../data/users.js';
import {
  anonymiseComments,
  apiTokensOf,
  commentsOfPerson,
  deleteInvitationsToAddress,
  deleteMailOfPerson,
  deleteRowsWithEmail,
  deleteUsers,
  emailKeyedTables,
  findTraces,
  insertPrivacyLog,
  invitationsToAddress,
  listPrivacyLog,
  mailToAddress,
  purgeIpHashesBefore,
  rowsWithEmail,
  sessionsOf,
  type Trace,
} from '../data/privacy.js';
import { conflict, invalid } from '../errors.js';
import { isStaff } from './permissions.js';
import { isEmail } from './users.js';
import { purgeReactionAddresses } from './reactions.js';

/**
 * The personal-data tools (product.md, Privacy): find everything stored for one email,
 * export it, erase it. Every erasure and export is written to privacy_log with counts only:
 * the log must never become a second copy of what was erased.
 */

export type EraseMode = 'delete' | 'anonymise';
export const ERASE_MODES: readonly EraseMode[] = ['delete', 'anonymise'];

/** Tables with an `email` column that this module treats on their own. */
const HANDLED_TABLES = ['users', 'invitations'];

/** The avatar of an anonymised comment: the same neutral picture for everyone. */
export const ANONYMOUS_AVATAR = '0'.repeat(32);

export interface Actor {
  id: number | null;
  display_name: string;
}

export function normaliseEmail(raw: unknown): string {
  const email = (typeof raw === 'string' ? raw : '').trim().toLowerCase();
  if (!isEmail(email)) throw invalid({ email: 'Give an email address such as name@example.org' });
  return email;
}

/** Everything stored for one address, as the export file shows it. */
export async function findPersonalData(db: Executor, rawEmail: unknown) {
  const email = normaliseEmail(rawEmail);
  const accounts = await findUsersByEmail(db, email);
  const userIds = accounts.map((a) => a.id);
  const comments = await commentsOfPerson(db, email, userIds);
  const records: Record<string, Record<string, unknown>[]> = {};
  for (const table of await emailKeyedTables(db, HANDLED_TABLES)) records[table] = await rowsWithEmail(db, table, email);
  const { subscriptions = null, ...otherRecords } = records;
  return {
    email,
    accounts: accounts.map(({ password_hash: _p, bio_html: _h, ...account }) => account),
    sessions: await sessionsOf(db, userIds),
    api_tokens: await apiTokensOf(db, userIds),
    comments: comments.map((c) => ({
      id: c.id,
      post: { id: c.post_id, slug: c.post_slug, title: c.post_title },
      parent_id: c.parent_id,
      status: c.status,
      author_name: c.author_name,
      author_email: c.author_email,
      author_url: c.author_url,
      body: c.body_md,
      reasons: JSON.parse(c.reasons) as string[],
      is_staff: c.is_staff === 1,
      from_account: c.user_id !== null,
      ip_hash: c.ip_hash,
      created_at: c.created_at,
      updated_at: c.updated_at,
    })),
    /** null when this site has no subscriptions table. */
    subscriptions,
    /** Rows of other tables keyed by this address (subscription requests, mail opt-outs…), by table. */
    other_records: otherRecords,
    // Mail bodies are left out: they may hold live links (password reset, invitation).
    mail: await mailToAddress(db, email),
    invitations: await invitationsToAddress(db, email),
  };
}

export type PersonalData = Awaited<ReturnType<typeof findPersonalData>>;

/** The export file: the data plus when it was made. Logged, without the address. */
export async function exportPersonalData(db: Executor, actor: Actor, rawEmail: unknown, now = new Date()) {
  const data = await findPersonalData(db, rawEmail);
  await insertPrivacyLog(db, {
    actor_id: actor.id,
    actor_name: actor.display_name,
    action: 'export',
    details: JSON.stringify({ accounts: data.accounts.length, comments: data.comments.length }),
    created_at: now.toISOString(),
  });
  return { exported_at: now.toISOString(), ...data };
}

export interface EraseCounts {
  mode: EraseMode;
  comments_deleted: number;
  comments_anonymised: number;
  accounts_deleted: number;
  subscriptions_deleted: number;
  /** Rows of other tables keyed by the address (subscription requests, mail opt-outs…). */
  other_records_deleted: number;
  mail_deleted: number;
  invitations_deleted: number;
}

export interface EraseResult {
  counts: EraseCounts;
  /** Where the address still appears afterwards (text others wrote, settings): for a person to review. */
  remaining: Trace[];
}

/**
 * Erases one person: their comments (deleted, or kept under "Anonymous"), subscriptions,
 * mail, invitations and patron account, in one transaction. A staff account is refused:
 * its posts need a new owner, which the user management page asks for.
 */
export async function erasePersonalData(
  db: Kysely<Database>,
  actor: Actor,
  rawEmail: unknown,
  rawMode: unknown,
  now = new Date(),
  options: { action?: 'erase' | 'close-account'; userIds?: number[] } = {},
): Promise<EraseResult> {
  const action = options.action ?? 'erase';
  const email = normaliseEmail(rawEmail);
  const mode = rawMode as EraseMode;
  if (!ERASE_MODES.includes(mode)) throw invalid({ mode: 'Choose delete or anonymise' });
  const at = now.toISOString();
  const counts = await db.transaction().execute(async (trx) => {
    const accounts = await findUsersByEmail(trx, email);
    const staff = accounts.find((a) => isStaff(a.role));
    if (staff) {
      throw conflict(`This address belongs to the staff account "${staff.username}". Delete that account in Users first (its posts need a new owner), then erase.`);
    }
    const userIds = [...new Set([...accounts.map((a) => a.id), ...(options.userIds ?? [])])];
    const comments = await commentsOfPerson(trx, email, userIds);
    const counts: EraseCounts = {
      mode,
      comments_deleted: 0,
      comments_anonymised: 0,
      accounts_deleted: 0,
      subscriptions_deleted: 0,
      other_records_deleted: 0,
      mail_deleted: 0,
      invitations_deleted: 0,
    };
    if (mode === 'delete') {
      // Newest first: a comment's parent is older, so it is still in place when its reply goes,
      // and replies by other people move up to the nearest remaining ancestor.
      for (const c of [...comments].sort((a, b) => b.id - a.id)) {
        await reparentChildren(trx, c.id, c.parent_id);
        await deleteCommentRow(trx, c.id);
        if (c.status === 'approved') await adjustApprovedCount(trx, c.post_id, -1);
        counts.comments_deleted += 1;
      }
    } else {
      counts.comments_anonymised = await anonymiseComments(trx, comments.map((c) => c.id), ANONYMOUS_AVATAR, at);
    }
    for (const table of await emailKeyedTables(trx, HANDLED_TABLES)) {
      const n = await deleteRowsWithEmail(trx, table, email);
      if (table === 'subscriptions') counts.subscriptions_deleted += n;
      else counts.other_records_deleted += n;
    }
    counts.mail_deleted = await deleteMailOfPerson(trx, email);
    counts.invitations_deleted = await deleteInvitationsToAddress(trx, email);
    // Sessions, API tokens and reset links go with the account (ON DELETE CASCADE).
    counts.accounts_deleted = await deleteUsers(trx, userIds);
    await insertPrivacyLog(trx, { actor_id: actor.id, actor_name: actor.display_name, action, details: JSON.stringify(counts), created_at: at });
    return counts;
  });
  return { counts, remaining: await findTraces(db, email) };
}

export const recentPrivacyLog = (db: Executor, limit = 20) => listPrivacyLog(db, limit);

/** Forgets comment IP hashes older than the retention (run by the scheduler). */
export async function purgeIpHashes(db: Executor, retentionDays: number, now = new Date()): Promise<number> {
  if (!Number.isFinite(retentionDays) || retentionDays < 1) return 0;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000).toISOString();
  // Likes and reports keep an address hash too (services/reactions.ts).
  return (await purgeIpHashesBefore(db, cutoff)) + (await purgeReactionAddresses(db, cutoff, now));
}
