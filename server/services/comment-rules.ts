import type { CommentStatus } from '../db/schema.js';
import type { SiteSettings } from './settings.js';
import { PRE_MODERATED_REASON } from './discussion.js';

/**
 * The moderation rules of product.md as one pure function: what a new comment's status is,
 * and why. Kept apart from storage so every rule is easy to read and to test.
 */
export interface RuleInput {
  name: string;
  email: string;
  url: string;
  body: string;
  bodyHtml: string;
  isStaff: boolean;
  honeypotFilled: boolean;
  /** Approved comments already made with this email (or account). */
  approvedBefore: number;
  /** The post's discussion mode is pre-moderated (services/discussion.ts): hold all but staff. */
  preModerated?: boolean;
}

export interface Verdict {
  status: CommentStatus;
  reasons: string[];
}

/** Links in the text, as WordPress counts them; the website field is expected and not counted. */
function countLinks(html: string): number {
  return html.match(/<a\s/gi)?.length ?? 0;
}

function firstMatch(words: string[], haystack: string): string | null {
  for (const word of words) if (word && haystack.includes(word)) return word;
  return null;
}

export function judgeComment(input: RuleInput, settings: SiteSettings): Verdict {
  const haystack = [input.name, input.email, input.url, input.body].join('\n').toLowerCase();

  if (input.honeypotFilled) return { status: 'spam', reasons: ['honeypot field filled'] };
  const blocked = firstMatch(settings.block_words, haystack);
  if (blocked) return { status: 'spam', reasons: [`matched block word '${blocked}'`] };
  if (input.isStaff) return { status: 'approved', reasons: [] };

  const reasons: string[] = [];
  if (input.preModerated) reasons.push(PRE_MODERATED_REASON);
  if (settings.moderation === 'all') reasons.push('all comments are held for moderation');
  if (settings.moderation === 'first-time' && input.approvedBefore === 0) reasons.push('first-time commenter');
  const links = countLinks(input.bodyHtml);
  if (settings.hold_links > 0 && links >= settings.hold_links) reasons.push(`${links} link${links === 1 ? '' : 's'}`);
  const held = firstMatch(settings.hold_words, haystack);
  if (held) reasons.push(`matched hold word '${held}'`);
  return { status: reasons.length ? 'pending' : 'approved', reasons };
}
