import type { Kysely } from 'kysely';
import type { Comment, Database, SubscriptionKind } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { findComment } from '../data/comments.js';
import { findPostById } from '../data/posts.js';
import {
  addOptout,
  addSubscription,
  deleteOptout,
  deleteSubscriptionById,
  deleteSubscriptionRequests,
  deleteSubscriptions,
  hasSubscription,
  listModeratorEmails,
  listOptoutsByEmail,
  listSubscriberEmails,
  listSubscriptionRequestsByEmail,
  listSubscriptionsByEmail,
  saveSubscriptionRequest,
  takeSubscriptionRequest,
} from '../data/subscriptions.js';
import { advanceDigestMark, countPending, listHeldSince, readDigestMark } from '../data/mail.js';
import { enqueueMail, mailEnabled, signToken, verifyToken, type OutgoingMail } from './mail/queue.js';
import { createMailRenderer, excerpt, fromHeader, type MailData, type MailRenderer } from './mail/templates.js';
import { isPubliclyVisible } from './posts.js';
import { loadSettings, type SiteSettings } from './settings.js';
import { isEmail } from './users.js';

/**
 * What mail goes out, and when (issue 10). The comment and moderation services call one
 * function each after their transaction commits; everything here only inserts rows into the
 * mail queue (services/mail/sender.ts delivers them), so posting never waits on SMTP.
 *
 * The rules:
 * - mail is only ever about an approved comment, when it becomes approved (at once, or by a
 *   moderator, one or in bulk), and each event at most once per recipient (dedupe keys);
 * - what a commenter ticks is kept with the comment and acted on only when it is approved,
 *   so a held or spam comment cannot subscribe anyone to anything;
 * - nobody is mailed about their own comment; a reply notice wins over a new-comment notice;
 * - moderators hear of held comments at once or in a digest (setting `moderator_mail`).
 */

interface Notifier {
  baseUrl: string;
  secret: string;
  renderer: MailRenderer;
  onError: (err: unknown) => void;
}

/**
 * The services are called with the database only; what mail needs beyond it (base URL,
 * secret, templates) is attached to that database once by the app (routes/public/unsubscribe.ts).
 * No notifier attached (SMTP_URL unset, the CLI, an import) means no mail at all.
 */
const notifiers = new WeakMap<Kysely<Database>, Notifier>();

export interface NotifierOptions {
  config: { smtpUrl: string | null; baseUrl: string; production: boolean };
  secret: string;
  onError?: (err: unknown) => void;
}

/** Turns notifications on for this database; returns the way to turn them off again. */
export function attachNotifier(db: Kysely<Database>, options: NotifierOptions): () => void {
  if (!mailEnabled(options.config)) return () => {};
  const notifier: Notifier = {
    baseUrl: options.config.baseUrl,
    secret: options.secret,
    renderer: createMailRenderer({ cache: options.config.production }),
    onError: options.onError ?? (() => {}),
  };
  notifiers.set(db, notifier);
  return () => {
    if (notifiers.get(db) === notifier) notifiers.delete(db);
  };
}

/** Mail must never break what caused it: a failure here is logged, and posting goes on. */
async function guarded(db: Kysely<Database>, work: (n: Notifier) => Promise<unknown>): Promise<void> {
  const notifier = notifiers.get(db);
  if (!notifier) return;
  try {
    await work(notifier);
  } catch (err) {
    notifier.onError(err);
  }
}

/** What the form or the API sent: a ticked checkbox ("on") or a JSON true. */
export interface NotifyWishes {
  notify_replies?: unknown;
  notify_post?: unknown;
}

const ticked = (value: unknown) => value === true || value === 'on' || value === 'true' || value === '1';

/** Signed-in people without an address comment as user@users.invalid: never mail those. */
export const deliverable = (email: string) => isEmail(email) && !/\.invalid$/i.test(email);

// ---------------------------------------------------------------------------------------
// Hooks called by the services.

/** After a new comment is stored (services/comments.ts). */
export function notifyCommentSubmitted(db: Kysely<Database>, commentId: number, wishes: NotifyWishes, now = new Date()): Promise<void> {
  return guarded(db, async (n) => {
    const comment = await findComment(db, commentId);
    if (!comment || (comment.status !== 'approved' && comment.status !== 'pending')) return;
    const replies = ticked(wishes.notify_replies);
    const post = ticked(wishes.notify_post);
    if ((replies || post) && deliverable(comment.author_email)) {
      await saveSubscriptionRequest(db, {
        comment_id: comment.id,
        email: comment.author_email,
        post_id: comment.post_id,
        replies: replies ? 1 : 0,
        new_comments: post ? 1 : 0,
        created_at: now.toISOString(),
      });
    }
    if (comment.status === 'approved') await commentApproved(n, db, comment, now, true);
    else await commentHeld(n, db, comment, now);
  });
}

/** After moderators moved comments to approved (services/moderation.ts). */
export function notifyCommentsApproved(db: Kysely<Database>, ids: readonly number[], now = new Date()): Promise<void> {
  return guarded(db, async (n) => {
    for (const id of ids) {
      const comment = await findComment(db, id);
      if (comment?.status === 'approved') await commentApproved(n, db, comment, now, false);
    }
  });
}

// ---------------------------------------------------------------------------------------
// Unsubscribe links.

/** What one link stops: one subscription, all of a post's, moderator mail, or everything. */
export interface UnsubscribeScope {
  e: string;
  p?: number;
  k?: SubscriptionKind | 'moderation' | 'all';
}

const UNSUBSCRIBE = 'unsubscribe';
const SCOPE_KINDS = new Set(['replies', 'post', 'moderation', 'all']);

export function unsubscribeToken(secret: string, scope: UnsubscribeScope): string {
  return signToken(secret, UNSUBSCRIBE, scope as unknown as Record<string, unknown>);
}

export function readUnsubscribeToken(secret: string, token: string): UnsubscribeScope | null {
  const scope = verifyToken<Record<string, unknown>>(secret, UNSUBSCRIBE, token);
  if (!scope || typeof scope.e !== 'string' || !scope.e) return null;
  if (scope.p !== undefined && !(Number.isInteger(scope.p) && (scope.p as number) > 0)) return null;
  if (scope.k !== undefined && !SCOPE_KINDS.has(scope.k as string)) return null;
  return { e: scope.e, p: scope.p as number | undefined, k: scope.k as UnsubscribeScope['k'] };
}

/** "email about replies to your comments on “Title”", for links, pages and the admin. */
export async function describeScope(db: Executor, scope: UnsubscribeScope): Promise<string> {
  if (scope.k === 'moderation') return 'email about comments awaiting moderation';
  if (scope.k === 'all' || scope.p === undefined) return 'email from this site';
  const post = await findPostById(db, scope.p);
  const on = post ? ` on “${post.title}”` : ' on this post';
  if (scope.k === 'replies') return `email about replies to your comments${on}`;
  if (scope.k === 'post') return `email about new comments${on}`;
  return `email about comments${on}`;
}

/** Does what the link says; safe to repeat. Returns how many things were turned off. */
export async function applyUnsubscribe(db: Kysely<Database>, scope: UnsubscribeScope, now = new Date()): Promise<number> {
  const iso = now.toISOString();
  const email = scope.e.toLowerCase();
  if (scope.k === 'moderation') {
    await addOptout(db, email, 'moderation', iso);
    return 1;
  }
  if (scope.k === 'all' || scope.p === undefined) {
    return db.transaction().execute(async (trx) => {
      const removed = (await deleteSubscriptions(trx, email)) + (await deleteSubscriptionRequests(trx, email));
      const staff = await trx
        .selectFrom('users')
        .select('id')
        .where((eb) => eb(eb.fn('lower', ['email']), '=', email))
        .where('role', 'in', ['admin', 'editor'])
        .executeTakeFirst();
      if (staff) await addOptout(trx, email, 'moderation', iso);
      return removed + (staff ? 1 : 0);
    });
  }
  return deleteSubscriptions(db, email, scope.p, scope.k);
}

// ---------------------------------------------------------------------------------------
// Composing and queueing.

function fromAddress(settings: SiteSettings, baseUrl: string): string {
  if (settings.mail_from) return settings.mail_from;
  const host = new URL(baseUrl).hostname;
  // An IP literal makes a poor mail domain; servers accept "localhost" in development.
  const domain = /^[\d.]+$|^\[|:/.test(host) || !host.includes('.') ? 'localhost' : host;
  return `noreply@${domain}`;
}

async function compose(
  n: Notifier,
  db: Executor,
  settings: SiteSettings,
  to: string,
  data: MailData,
  scope: UnsubscribeScope,
  dedupeKey: string,
): Promise<OutgoingMail> {
  const unsubscribeUrl = `${n.baseUrl}/unsubscribe?token=${unsubscribeToken(n.secret, scope)}`;
  const description = await describeScope(db, scope);
  const mail = await n.renderer.render(data, {
    siteName: settings.site_name,
    baseUrl: n.baseUrl,
    unsubscribeUrl,
    unsubscribeText: `Stop ${description}`,
  });
  return {
    kind: data.template,
    to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: {
      From: fromHeader(settings.site_name, fromAddress(settings, n.baseUrl)),
      // RFC 2369 and RFC 8058: mail programs show an "Unsubscribe" button that POSTs here.
      'List-Unsubscribe': `<${unsubscribeUrl}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // RFC 3834: out-of-office replies are not sent back to a notification.
      'Auto-Submitted': 'auto-generated',
    },
    dedupeKey,
  };
}

async function enqueueAll(db: Kysely<Database>, mails: OutgoingMail[], now: Date): Promise<void> {
  if (mails.length === 0) return;
  await db.transaction().execute(async (trx) => {
    for (const mail of mails) await enqueueMail(trx, mail, now);
  });
}

const postUrl = (n: Notifier, slug: string) => `${n.baseUrl}/posts/${encodeURIComponent(slug)}`;

async function commentApproved(n: Notifier, db: Kysely<Database>, comment: Comment, now: Date, atSubmit: boolean): Promise<void> {
  const post = await findPostById(db, comment.post_id);
  if (!post || post.kind !== 'post' || !isPubliclyVisible(post, now)) return;
  const settings = await loadSettings(db);
  const iso = now.toISOString();
  const mailPost = { title: post.title, url: postUrl(n, post.slug) };
  const mailComment = {
    id: comment.id,
    author_name: comment.author_name,
    body_md: comment.body_md,
    body_html: comment.body_html,
    url: `${mailPost.url}#comment-${comment.id}`,
  };
  const mails: OutgoingMail[] = [];

  // What the commenter ticked takes effect now that the comment is approved.
  const request = await takeSubscriptionRequest(db, comment.id);
  if (request) {
    if (request.replies) await addSubscription(db, request.email, post.id, 'replies', iso);
    if (request.new_comments) await addSubscription(db, request.email, post.id, 'post', iso);
    if (!atSubmit && settings.notify_approved) {
      const data: MailData = { template: 'approved', comment: mailComment, post: mailPost };
      mails.push(await compose(n, db, settings, request.email, data, { e: request.email, p: post.id }, `approved:${comment.id}`));
    }
  }

  const mailed = new Set([comment.author_email]);
  const answered = comment.reply_to_id ?? comment.parent_id;
  if (answered !== null) {
    const parent = await findComment(db, answered);
    const to = parent?.author_email ?? '';
    if (parent && parent.status === 'approved' && !mailed.has(to) && deliverable(to) && (await hasSubscription(db, to, post.id, 'replies'))) {
      const data: MailData = {
        template: 'reply',
        comment: mailComment,
        post: mailPost,
        parent: { author_name: parent.author_name, excerpt: excerpt(parent.body_md) },
      };
      mails.push(await compose(n, db, settings, to, data, { e: to, p: post.id, k: 'replies' }, `reply:${comment.id}:${to}`));
      mailed.add(to);
    }
  }
  for (const to of await listSubscriberEmails(db, post.id, 'post')) {
    if (mailed.has(to) || !deliverable(to)) continue;
    const data: MailData = { template: 'new-comment', comment: mailComment, post: mailPost };
    mails.push(await compose(n, db, settings, to, data, { e: to, p: post.id, k: 'post' }, `new-comment:${comment.id}:${to}`));
    mailed.add(to);
  }
  await enqueueAll(db, mails, now);
}

const queueUrl = (n: Notifier) => `${n.baseUrl}/admin/comments?status=pending`;

async function commentHeld(n: Notifier, db: Kysely<Database>, comment: Comment, now: Date): Promise<void> {
  const settings = await loadSettings(db);
  if (settings.moderator_mail !== 'immediate') return;
  const post = await findPostById(db, comment.post_id);
  if (!post) return;
  const moderators = await listModeratorEmails(db);
  const mailPost = { title: post.title, url: postUrl(n, post.slug) };
  const data: MailData = {
    template: 'held',
    comment: {
      id: comment.id,
      author_name: comment.author_name,
      author_email: comment.author_email,
      body_md: comment.body_md,
      body_html: comment.body_html,
      url: `${mailPost.url}#comment-${comment.id}`,
      reasons: JSON.parse(comment.reasons) as string[],
    },
    post: mailPost,
    queueUrl: `${queueUrl(n)}&post_id=${post.id}#q-${comment.id}`,
  };
  const mails: OutgoingMail[] = [];
  for (const to of moderators) {
    if (!deliverable(to)) continue;
    mails.push(await compose(n, db, settings, to, data, { e: to, k: 'moderation' }, `held:${comment.id}:${to}`));
  }
  await enqueueAll(db, mails, now);
}

/**
 * The moderator digest, run by the mail worker: every `digest_minutes`, one mail per
 * moderator listing the comments held since the last digest that still wait. Of several
 * instances only the one that moves the digest mark sends it. Returns how many were queued.
 */
export async function sendModeratorDigest(db: Kysely<Database>, now = new Date()): Promise<number> {
  let queued = 0;
  await guarded(db, async (n) => {
    const settings = await loadSettings(db);
    if (settings.moderator_mail !== 'digest') return;
    const iso = now.toISOString();
    const mark = await readDigestMark(db);
    // The first run starts the clock.
    if (mark === null) return advanceDigestMark(db, null, iso);
    if (now.getTime() - Date.parse(mark) < settings.digest_minutes * 60_000) return;
    if (!(await advanceDigestMark(db, mark, iso))) return;
    const held = await listHeldSince(db, mark, iso);
    if (held.length === 0) return;
    const data: MailData = {
      template: 'digest',
      comments: held.map((c) => ({
        id: c.id,
        author_name: c.author_name,
        excerpt: excerpt(c.body_md, 200),
        reasons: JSON.parse(c.reasons) as string[],
        post_title: c.post_title,
      })),
      total: await countPending(db),
      queueUrl: queueUrl(n),
    };
    const mails: OutgoingMail[] = [];
    for (const to of await listModeratorEmails(db)) {
      if (!deliverable(to)) continue;
      mails.push(await compose(n, db, settings, to, data, { e: to, k: 'moderation' }, `digest:${iso}:${to}`));
    }
    await enqueueAll(db, mails, now);
    queued = mails.length;
  });
  return queued;
}

/** Switching to digests starts a fresh period, so held comments already mailed are not repeated. */
export async function restartDigestClock(db: Kysely<Database>, now = new Date()): Promise<void> {
  const mark = await readDigestMark(db);
  await advanceDigestMark(db, mark, now.toISOString());
}

// ---------------------------------------------------------------------------------------
// The admin's view of one address (routes/admin/subscriptions.ts), beside the privacy tools.

export async function subscriptionsOf(db: Executor, email: string) {
  const address = email.trim().toLowerCase();
  const [subscriptions, requests, optouts] = await Promise.all([
    listSubscriptionsByEmail(db, address),
    listSubscriptionRequestsByEmail(db, address),
    listOptoutsByEmail(db, address),
  ]);
  return { email: address, subscriptions, requests, optouts };
}

/** Returns the address the subscription belonged to, to show that address again. */
export async function removeSubscription(db: Executor, id: number): Promise<string | null> {
  return (await deleteSubscriptionById(db, id))?.email ?? null;
}

/** Every subscription and every pending request of an address (not its opt-outs). */
export async function removeAllSubscriptions(db: Kysely<Database>, email: string): Promise<number> {
  const address = email.trim().toLowerCase();
  return db.transaction().execute(async (trx) => (await deleteSubscriptions(trx, address)) + (await deleteSubscriptionRequests(trx, address)));
}

export async function restoreMail(db: Executor, email: string, kind: string): Promise<number> {
  return deleteOptout(db, email.trim().toLowerCase(), kind);
}
