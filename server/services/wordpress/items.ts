import { createHash } from 'node:crypto';
import type { CommentStatus, PostKind, PostStatus, TermKind } from '../../db/schema.js';
import { localInputToIso } from '../time.js';
import { plainText } from './html-to-markdown.js';
import { WxrError, type Fields, type WxrRawComment, type WxrRawItem } from './wxr-parse.js';

/**
 * The WXR fields, read and checked (no database): used by the check pass, which reads the
 * whole file before anything is written, and by the import itself. A problem names the
 * line of the <item> (or comment) it is in.
 */

export interface WpAuthor {
  line: number;
  wpId: number | null;
  login: string;
  email: string;
  displayName: string;
}

export interface WpTerm {
  line: number;
  kind: TermKind;
  slug: string;
  name: string;
  description: string;
  parent: string;
}

export type Skip = { skip: string };

export interface WpComment {
  line: number;
  wpId: number;
  parentWpId: number;
  userWpId: number;
  authorName: string;
  email: string;
  url: string;
  content: string;
  /** ISO UTC */
  createdAt: string;
  status: CommentStatus;
  /** 'comment', 'pingback', 'trackback' or a plugin's type. */
  type: string;
  fingerprint: string;
}

export interface WpPost {
  line: number;
  wpId: number;
  kind: PostKind;
  title: string;
  /** Percent-decoded post_name; '' for a draft that never had one. */
  wpSlug: string;
  /** Local date of the old permalink, YYYY-MM-DD. */
  wpDate: string;
  creator: string;
  content: string;
  excerpt: string;
  status: PostStatus;
  /** Why the status is not WordPress's own, for the summary. */
  statusNote: string | null;
  publishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  commentsOpen: boolean;
  sticky: boolean;
  hasParent: boolean;
  terms: { kind: TermKind; slug: string; name: string }[];
  comments: WxrRawComment[];
  fingerprint: string;
}

const ZERO_DATE = /^0000-00-00/;
const WP_DATE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/;

export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 22);
}

function fail(label: string, line: number, message: string): never {
  throw new WxrError(message, line, 1, label);
}

function int(value: string | undefined): number | null {
  const text = (value ?? '').trim();
  return /^\d+$/.test(text) ? Number(text) : null;
}

/** WordPress percent-encodes non-ASCII slugs ("%d1%80…"); old links carry them encoded too. */
export function decodeSlug(slug: string): string {
  const text = slug.trim();
  try {
    return decodeURIComponent(text).normalize('NFC').toLowerCase();
  } catch {
    // A slug cut in the middle of a multi-byte character: decode what can be decoded.
    return text.replace(/(?:%[0-9a-f]{2})+/gi, (run) => {
      let out = run;
      while (out.length >= 3) {
        try {
          return decodeURIComponent(out) + run.slice(out.length);
        } catch {
          out = out.slice(0, -3);
        }
      }
      return run;
    }).toLowerCase();
  }
}

/**
 * A WordPress date → ISO UTC. The GMT column when WordPress filled it; otherwise (drafts
 * have 0000-00-00) the local column read in the site's time zone.
 */
export function wpDateToIso(local: string | undefined, gmt: string | undefined, timeZone: string): string | null {
  const g = (gmt ?? '').trim();
  const m = WP_DATE.exec(g);
  if (m && !ZERO_DATE.test(g)) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0))).toISOString();
  const l = (local ?? '').trim();
  if (WP_DATE.test(l) && !ZERO_DATE.test(l)) return localInputToIso(l.replace(' ', 'T'), timeZone);
  return null;
}

export function readAuthor(fields: Fields, line: number, label: string): WpAuthor {
  const login = (fields['wp:author_login'] ?? '').trim();
  if (!login) fail(label, line, 'this <wp:author> has no <wp:author_login>');
  return {
    line,
    wpId: int(fields['wp:author_id']),
    login,
    email: (fields['wp:author_email'] ?? '').trim(),
    displayName: plainText(fields['wp:author_display_name'] ?? '') || login,
  };
}

/** Categories and tags, from <wp:category>, <wp:tag> and the <wp:term> copies WordPress 6 adds. */
export function readTerm(element: 'category' | 'tag' | 'term', fields: Fields, line: number, label: string): WpTerm | Skip {
  let kind: TermKind;
  let slug: string;
  let name: string;
  if (element === 'category') {
    kind = 'category';
    slug = fields['wp:category_nicename'] ?? '';
    name = fields['wp:cat_name'] ?? '';
  } else if (element === 'tag') {
    kind = 'tag';
    slug = fields['wp:tag_slug'] ?? '';
    name = fields['wp:tag_name'] ?? '';
  } else {
    const taxonomy = (fields['wp:term_taxonomy'] ?? '').trim();
    if (taxonomy !== 'category' && taxonomy !== 'post_tag') return { skip: `taxonomy "${taxonomy || 'none'}" has no Lectern equivalent` };
    kind = taxonomy === 'category' ? 'category' : 'tag';
    slug = fields['wp:term_slug'] ?? '';
    name = fields['wp:term_name'] ?? '';
  }
  const decoded = decodeSlug(slug);
  const plainName = plainText(name);
  if (!decoded && !plainName) fail(label, line, `this <wp:${element}> has neither a slug nor a name`);
  const description =
    element === 'category' ? fields['wp:category_description'] : element === 'tag' ? fields['wp:tag_description'] : fields['wp:term_description'];
  return {
    line,
    kind,
    slug: decoded,
    name: plainName || decoded,
    description: plainText(description ?? ''),
    parent: decodeSlug(fields['wp:category_parent'] ?? fields['wp:term_parent'] ?? ''),
  };
}

const STATUS: Record<string, { status: PostStatus; note: string | null } | undefined> = {
  publish: { status: 'published', note: null },
  future: { status: 'scheduled', note: null },
  draft: { status: 'draft', note: null },
  pending: { status: 'draft', note: 'pending review in WordPress: imported as drafts' },
  private: { status: 'draft', note: 'private in WordPress: imported as drafts (Lectern has no private posts)' },
};

/** A post or a page; attachments, menus, revisions and the like are skipped with a reason. */
export function readItem(item: WxrRawItem, label: string, timeZone: string, now: Date, withFingerprint = true): WpPost | Skip {
  const f = item.fields;
  const wpId = int(f['wp:post_id']);
  if (wpId === null || wpId < 1) fail(label, item.line, 'this <item> has no valid <wp:post_id>');
  const type = (f['wp:post_type'] ?? 'post').trim() || 'post';
  const wpStatus = (f['wp:status'] ?? 'publish').trim() || 'publish';
  if (type === 'attachment') return { skip: 'attachments (media files are not in a WXR file; see docs/backup.md on copying wp-content/uploads)' };
  if (type !== 'post' && type !== 'page') return { skip: `post type "${type}" has no Lectern equivalent` };
  if (wpStatus === 'trash') return { skip: "posts in WordPress's trash" };
  if (wpStatus === 'auto-draft' || wpStatus === 'inherit') return { skip: 'automatic drafts and revisions' };
  const mapped = STATUS[wpStatus];
  if (!mapped) return { skip: `post status "${wpStatus}" has no Lectern equivalent` };

  const createdAt = wpDateToIso(f['wp:post_date'], f['wp:post_date_gmt'], timeZone);
  if ((f['wp:post_date'] ?? '').trim() && !createdAt && !ZERO_DATE.test(f['wp:post_date'] ?? '')) {
    fail(label, item.line, `post ${wpId}: <wp:post_date> "${f['wp:post_date']}" is not a date`);
  }
  let status = mapped.status;
  let statusNote = mapped.note;
  const password = (f['wp:post_password'] ?? '').trim();
  if (password && status !== 'draft') {
    status = 'draft';
    statusNote = 'password-protected in WordPress: imported as drafts (Lectern has no post passwords)';
  }
  const created = createdAt ?? now.toISOString();
  let publishedAt: string | null = null;
  if (status !== 'draft') {
    publishedAt = created;
    // Published with a future date is scheduled, in WordPress and in Lectern.
    if (status === 'published' && Date.parse(created) > now.getTime()) status = 'scheduled';
  }
  const updatedAt = wpDateToIso(f['wp:post_modified'], f['wp:post_modified_gmt'], timeZone) ?? created;
  const terms: WpPost['terms'] = [];
  for (const t of item.terms) {
    if (t.domain !== 'category' && t.domain !== 'post_tag') continue;
    const kind: TermKind = t.domain === 'category' ? 'category' : 'tag';
    const slug = decodeSlug(t.nicename);
    const name = plainText(t.name);
    if ((slug || name) && !terms.some((x) => x.kind === kind && x.slug === slug)) terms.push({ kind, slug, name: name || slug });
  }
  const post: Omit<WpPost, 'fingerprint'> = {
    line: item.line,
    wpId,
    kind: type,
    title: plainText(f.title ?? ''),
    wpSlug: decodeSlug(f['wp:post_name'] ?? ''),
    wpDate: /^\d{4}-\d{2}-\d{2}/.exec(f['wp:post_date'] ?? '')?.[0] ?? '',
    creator: (f['dc:creator'] ?? '').trim(),
    content: f['content:encoded'] ?? '',
    excerpt: f['excerpt:encoded'] ?? '',
    status,
    statusNote,
    publishedAt,
    createdAt: created,
    updatedAt,
    commentsOpen: (f['wp:comment_status'] ?? 'open').trim() !== 'closed',
    sticky: (f['wp:is_sticky'] ?? '0').trim() === '1',
    hasParent: (int(f['wp:post_parent']) ?? 0) > 0,
    terms,
    comments: item.comments,
  };
  // From what the file says, not from what was made of it (a schedule that has since passed).
  return { ...post, fingerprint: withFingerprint ? fingerprint({ fields: f, terms: item.terms }) : '' };
}

const COMMENT_STATUS: Record<string, CommentStatus> = { '1': 'approved', '0': 'pending', spam: 'spam', trash: 'rejected', 'post-trashed': 'rejected' };

export const PING_TYPES = new Set(['pingback', 'trackback']);

export function readComment(raw: WxrRawComment, postWpId: number, label: string, timeZone: string, now: Date, withFingerprint = true): WpComment {
  const f = raw.fields;
  const wpId = int(f['wp:comment_id']);
  if (wpId === null || wpId < 1) fail(label, raw.line, `a comment of post ${postWpId} has no valid <wp:comment_id>`);
  const createdAt = wpDateToIso(f['wp:comment_date'], f['wp:comment_date_gmt'], timeZone) ?? now.toISOString();
  const approved = (f['wp:comment_approved'] ?? '1').trim();
  const comment: Omit<WpComment, 'fingerprint'> = {
    line: raw.line,
    wpId,
    parentWpId: int(f['wp:comment_parent']) ?? 0,
    userWpId: int(f['wp:comment_user_id']) ?? 0,
    authorName: plainText(f['wp:comment_author'] ?? ''),
    email: (f['wp:comment_author_email'] ?? '').trim().toLowerCase(),
    url: (f['wp:comment_author_url'] ?? '').trim(),
    content: f['wp:comment_content'] ?? '',
    createdAt,
    status: COMMENT_STATUS[approved] ?? 'pending',
    type: (f['wp:comment_type'] ?? '').trim() || 'comment',
  };
  return { ...comment, fingerprint: withFingerprint ? fingerprint(f) : '' };
}

export const isSkip = (value: unknown): value is Skip => typeof value === 'object' && value !== null && 'skip' in value;
