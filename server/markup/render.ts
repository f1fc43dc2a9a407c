import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * The one place untrusted text becomes HTML. Markdown is rendered once, at write time, and
 * the result is cleaned by an allow-list; templates print only what comes out of here raw.
 */

const SAFE_SCHEMES = ['http', 'https', 'mailto'];

// Posts: full Markdown, and staff may write raw HTML, which the allow-list below cleans.
const postMarkdown = new MarkdownIt({ html: true, linkify: true, typographer: true });

// Comments: no raw HTML, no images, no headings (product.md: "a safe subset").
const commentMarkdown = new MarkdownIt({ html: false, linkify: true, typographer: true }).disable([
  'heading',
  'lheading',
  'image',
  'table',
  'html_block',
  'html_inline',
]);

function alignFromStyle(tagName: string, attribs: sanitizeHtml.Attributes) {
  const align = /text-align:\s*(left|right|center)/.exec(attribs.style ?? '')?.[1];
  const { style: _style, ...rest } = attribs;
  return { tagName, attribs: align ? { ...rest, align } : rest };
}

const POST_ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd',
    'em', 'strong', 'del', 's', 'sub', 'sup', 'mark', 'small', 'abbr', 'cite', 'q',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'figure', 'figcaption',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'div', 'span', 'details', 'summary',
  ],
  allowedAttributes: {
    a: ['href', 'title', 'rel'],
    img: ['src', 'alt', 'title', 'width', 'height', 'loading'],
    th: ['align', 'colspan', 'rowspan', 'scope'],
    td: ['align', 'colspan', 'rowspan'],
    code: ['class'],
    abbr: ['title'],
    ol: ['start', 'reversed'],
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  allowedSchemes: SAFE_SCHEMES,
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: {
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy' } }),
    // markdown-it aligns table columns with style="text-align:…", which no style may pass;
    // keep the alignment as the align attribute instead.
    th: alignFromStyle,
    td: alignFromStyle,
  },
};

const COMMENT_ALLOWED: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'em', 'strong', 'del', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code'],
  allowedAttributes: { a: ['href', 'rel'], ol: ['start'] },
  allowedSchemes: SAFE_SCHEMES,
  allowProtocolRelative: false,
  transformTags: {
    // Commenters' links must not pass reputation or a window handle (product.md).
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, rel: 'nofollow ugc noopener' } }),
  },
};

const PLAIN: sanitizeHtml.IOptions = { allowedTags: [], allowedAttributes: {} };

export function renderPost(markdown: string): string {
  return sanitizeHtml(postMarkdown.render(markdown), POST_ALLOWED);
}

export function renderComment(markdown: string): string {
  return sanitizeHtml(commentMarkdown.render(markdown), COMMENT_ALLOWED);
}

/** Author bios are short prose: the comment subset fits them. */
export const renderBio = renderComment;

/** Text content of rendered HTML, whitespace folded: for excerpts, feeds and search. */
export function htmlToText(html: string): string {
  return sanitizeHtml(html.replace(/<\/(p|li|h\d|blockquote|pre|tr)>/g, '$& '), PLAIN)
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** A plain-text excerpt of about `maxChars`, cut at a word boundary. */
export function deriveExcerpt(html: string, maxChars = 280): string {
  const text = htmlToText(html);
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(' ');
  return (lastSpace > maxChars * 0.6 ? cut.slice(0, lastSpace) : cut).replace(/[\s,.;:!?-]+$/, '') + '…';
}
