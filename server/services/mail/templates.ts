import { Eta } from 'eta';
import { viewsDir } from '../../paths.js';
import { headerSafe } from './queue.js';

/**
 * Mail bodies come from views/mail/<name>.text.eta and <name>.html.eta, rendered by eta with
 * the same options as the site's pages (autoEscape on: `<%=` escapes, `<%~` prints raw), so
 * the HTML part escapes everything a user wrote. The plain-text part prints with `<%~`:
 * it is not HTML, and escaping would turn "Tom & Jerry" into "Tom &amp; Jerry".
 */
export type MailTemplate = 'reply' | 'new-comment' | 'approved' | 'held' | 'digest';

export interface MailComment {
  id: number;
  author_name: string;
  body_md: string;
  /** Sanitized when written (markup/render.ts), the only raw HTML a mail prints. */
  body_html: string;
  url: string;
}

export interface MailPost {
  title: string;
  url: string;
}

/** What every mail template gets besides its own data. */
export interface MailFrame {
  siteName: string;
  baseUrl: string;
  unsubscribeUrl: string;
  /** What the unsubscribe link stops, in words ("mail about replies to your comments on …"). */
  unsubscribeText: string;
}

export interface HeldItem {
  id: number;
  author_name: string;
  excerpt: string;
  reasons: string[];
  post_title: string;
}

export type MailData =
  | { template: 'reply'; comment: MailComment; post: MailPost; parent: { author_name: string; excerpt: string } }
  | { template: 'new-comment'; comment: MailComment; post: MailPost }
  | { template: 'approved'; comment: MailComment; post: MailPost }
  | { template: 'held'; comment: MailComment & { author_email: string; reasons: string[] }; post: MailPost; queueUrl: string }
  | { template: 'digest'; comments: HeldItem[]; total: number; queueUrl: string };

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export interface MailRenderer {
  render(data: MailData, frame: MailFrame): Promise<RenderedMail>;
}

const SUBJECT_MAX = 180;

/** One line, no CR/LF (header injection), and not absurdly long. */
export function subjectLine(value: string): string {
  const line = headerSafe(value).replace(/\s+/g, ' ');
  return line.length > SUBJECT_MAX ? `${line.slice(0, SUBJECT_MAX - 1)}…` : line;
}

export function mailSubject(data: MailData, siteName: string): string {
  switch (data.template) {
    case 'reply':
      return subjectLine(`${data.comment.author_name} replied to your comment on “${data.post.title}”`);
    case 'new-comment':
      return subjectLine(`New comment on “${data.post.title}” from ${data.comment.author_name}`);
    case 'approved':
      return subjectLine(`Your comment on “${data.post.title}” is published`);
    case 'held':
      return subjectLine(`[${siteName}] A comment by ${data.comment.author_name} is awaiting moderation`);
    case 'digest':
      return subjectLine(`[${siteName}] ${data.comments.length} new comment${data.comments.length === 1 ? '' : 's'} awaiting moderation`);
  }
}

/** `"Site name" <address>`, with nothing in the name that could end the phrase or the line. */
export function fromHeader(siteName: string, address: string): string {
  const name = headerSafe(siteName).replace(/["\\<>]/g, '').trim();
  return name ? `"${name}" <${headerSafe(address)}>` : headerSafe(address);
}

/** The first words of a comment, for digests and quotes. */
export function excerpt(text: string, max = 280): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function createMailRenderer(options: { cache: boolean }): MailRenderer {
  const eta = new Eta({ views: viewsDir, cache: options.cache, autoEscape: true, autoTrim: [false, 'nl'] });
  return {
    async render(data, frame) {
      const it = { ...data, ...frame };
      const [text, html] = await Promise.all([
        eta.renderAsync(`mail/${data.template}.text.eta`, it),
        eta.renderAsync(`mail/${data.template}.html.eta`, it),
      ]);
      return { subject: mailSubject(data, frame.siteName), text: text.replace(/\n{3,}/g, '\n\n').trim() + '\n', html };
    },
  };
}
