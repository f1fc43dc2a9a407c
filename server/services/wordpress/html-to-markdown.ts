import { decodeHTML } from 'entities';
import sanitizeHtml from 'sanitize-html';
import TurndownService from 'turndown';
import { tables } from 'turndown-plugin-gfm';
import { renderComment, renderPost } from '../../markup/render.js';
import { wpautop } from './wpautop.js';

/**
 * WordPress HTML → Lectern Markdown (issue 7). Staff go on editing imported posts in
 * Markdown, so the HTML is converted with turndown; but only where that is lossless: the
 * Markdown is rendered back and compared with the original, and when they differ the post
 * keeps its (sanitized) HTML, which post Markdown allows.
 *
 * Three steps:
 *  1. prepare: what WordPress does when it *shows* a post — block comments out, [caption]
 *     as a <figure>, other shortcodes left visible as `code`, wpautop for classic posts;
 *  2. convert with turndown (+ GFM tables), keeping as HTML what Markdown cannot say
 *     (figures, sized images, complex tables, sub/sup…);
 *  3. verify: render the Markdown, compare text, structure, links and images.
 */

/** Shortcodes WordPress and common plugins register; unknown [words] stay plain text. */
const KNOWN_SHORTCODES = new Set([
  'gallery', 'audio', 'video', 'playlist', 'embed', 'caption', 'wp_caption',
  'contact-form-7', 'contact-form', 'gravityform', 'ninja_form', 'wpforms', 'fluentform',
  'youtube', 'vimeo', 'soundcloud', 'tweet', 'instagram', 'googlemaps', 'slideshow',
  'recent-posts', 'archives', 'sitemap', 'su_button', 'button', 'column', 'row', 'tabs', 'tab',
]);

/** The same allow-list as post rendering (markup/render.ts), to compare and to clean kept HTML. */
const CLEAN_POST: sanitizeHtml.IOptions = {
  allowedTags: [
    'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p', 'br', 'hr', 'blockquote', 'pre', 'code', 'kbd',
    'em', 'strong', 'del', 's', 'sub', 'sup', 'mark', 'small', 'abbr', 'cite', 'q',
    'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'a', 'img', 'figure', 'figcaption',
    'table', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td', 'caption', 'div', 'span', 'details', 'summary',
  ],
  allowedAttributes: {
    a: ['href', 'title'],
    img: ['src', 'alt', 'title', 'width', 'height'],
    th: ['align', 'colspan', 'rowspan', 'scope'],
    td: ['align', 'colspan', 'rowspan'],
    code: ['class'],
    abbr: ['title'],
    ol: ['start', 'reversed'],
  },
  allowedClasses: { code: [/^language-[\w-]+$/] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['http', 'https'] },
  allowProtocolRelative: false,
  transformTags: {
    b: 'strong',
    i: 'em',
    strike: 's',
    th: alignFromStyle,
    td: alignFromStyle,
  },
};

function alignFromStyle(tagName: string, attribs: sanitizeHtml.Attributes) {
  const align = /text-align:\s*(left|right|center)/.exec(attribs.style ?? '')?.[1];
  const { style: _style, ...rest } = attribs;
  return { tagName, attribs: align ? { ...rest, align } : rest };
}

/** The comment subset (markup/render.ts): anything else loses its tag and keeps its text. */
const CLEAN_COMMENT: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'em', 'strong', 'del', 's', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code'],
  allowedAttributes: { a: ['href'], ol: ['start'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  transformTags: { b: 'strong', i: 'em', strike: 's' },
};

export const cleanPostHtml = (html: string) => sanitizeHtml(html, CLEAN_POST).replace(/<p>\s*<\/p>/g, '');

// ---------------------------------------------------------------- 1. prepare

function convertShortcodes(html: string): string {
  let out = html.replace(/\[(caption|wp_caption)(\s[^\]]*)?\]([\s\S]*?)\[\/\1\]/gi, (whole, _n: string, attrs = '', inner: string) => {
    const m = /^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*<\/a>)?)([\s\S]*)$/i.exec(inner);
    if (!m) return whole;
    const caption = m[2]!.trim() || decodeHTML(/\bcaption="([^"]*)"/.exec(attrs)?.[1] ?? '').trim();
    return `<figure>${m[1]!.trim()}${caption ? `<figcaption>${caption}</figcaption>` : ''}</figure>`;
  });
  out = out.replace(/\[embed(?:\s[^\]]*)?\]\s*(https?:\/\/[^\s[<]+?)\s*\[\/embed\]/gi, (_m, url: string) => `<a href="${url}">${url}</a>`);
  const closed = new Set([...out.matchAll(/\[\/([a-zA-Z][\w-]*)\]/g)].map((m) => m[1]!.toLowerCase()));
  // Left visible, as code, so staff see what WordPress would have expanded there; shortcodes
  // inside code and pre are examples, already shown as they are.
  return out
    .split(/(<(pre|code)\b[\s\S]*?<\/\2>)/i)
    .map((part, i) => {
      if (i % 3 === 1) return part;
      if (i % 3 === 2) return '';
      return part.replace(/\[(\/?)([a-zA-Z][\w-]*)((?:\s[^\]]*?)?)\/?\]/g, (whole, _slash: string, name: string, attrs: string) => {
        const lower = name.toLowerCase();
        return KNOWN_SHORTCODES.has(lower) || attrs.includes('=') || closed.has(lower) ? `<code>${whole}</code>` : whole;
      });
    })
    .join('');
}

/** What WordPress does to stored content before showing it, so Lectern stores what readers saw. */
export function prepareWordPressHtml(raw: string, options: { comment?: boolean } = {}): string {
  let html = raw.replace(/\r\n?/g, '\n');
  const isBlockEditor = /<!--\s*wp:/.test(html);
  // <!--more-->, <!--nextpage--> and block delimiters carry no content.
  html = html.replace(/<!--[\s\S]*?-->/g, '');
  // Block-editor content is stored with its <p>s; classic content gets them at display time.
  if (!isBlockEditor) html = wpautop(html);
  if (options.comment) return html;
  // As in WordPress, shortcodes run after wpautop, and one alone in its paragraph is unwrapped.
  html = convertShortcodes(html).replace(/<p>\s*(<figure>[\s\S]*?<\/figure>)\s*(?:<br \/>\s*)?<\/p>/g, '$1');
  // Embedded players cannot run here (and the sanitizer drops them): keep where they pointed.
  return html.replace(/<iframe\b[^>]*\bsrc="([^"]+)"[^>]*>[\s\S]*?<\/iframe>/gi, (_m, src: string) => `<a href="${src}">${src}</a>`);
}

// ---------------------------------------------------------------- 2. convert

/** The few DOM members used here: turndown walks a domino document (the project has no DOM lib). */
interface DomNode {
  nodeName: string;
  parentNode: DomNode | null;
  nextSibling: DomNode | null;
  firstElementChild: DomNode | null;
  children: ArrayLike<DomNode>;
  textContent: string | null;
  outerHTML: string;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): DomNode | null;
}
const dom = (node: unknown) => node as DomNode;

const BLOCK_KEEP = new Set(['FIGURE', 'DL', 'DETAILS']);
const INLINE_KEEP = new Set(['SUB', 'SUP', 'MARK', 'SMALL', 'ABBR', 'Q', 'KBD', 'CITE']);

function isComplexTable(node: DomNode): boolean {
  if (node.nodeName !== 'TABLE') return false;
  if (node.querySelector('table, p, ul, ol, br, pre, blockquote, h1, h2, h3, h4, h5, h6, img, [colspan], [rowspan]')) return true;
  // The GFM table rule needs a heading row.
  const first = node.querySelector('tr');
  if (!first) return true;
  const inHead = first.parentNode?.nodeName === 'THEAD';
  const allTh = Array.from(first.children).every((c) => c.nodeName === 'TH');
  if (!inHead && !allTh) return true;
  // A pipe in a cell would split it.
  return (node.textContent ?? '').includes('|');
}

function keepAsHtml(node: DomNode): boolean {
  if (BLOCK_KEEP.has(node.nodeName) || INLINE_KEEP.has(node.nodeName)) return true;
  if (node.nodeName === 'IMG') return node.hasAttribute('width') || node.hasAttribute('height');
  return isComplexTable(node);
}

/** Kept HTML must stay one Markdown HTML block: no blank lines inside. */
function asHtmlBlock(html: string): string {
  return preserveBlankLinesInPre(html).replace(/\n\s*\n/g, '\n').trim();
}

function preserveBlankLinesInPre(html: string): string {
  return html.replace(/<pre\b[\s\S]*?<\/pre>/gi, (pre) => {
    let out = pre;
    while (/\n[ \t]*\n/.test(out)) out = out.replace(/\n([ \t]*)\n/g, '\n$1&#10;');
    return out;
  });
}

const BLOCK_NAMES = new Set(['FIGURE', 'DL', 'DETAILS', 'TABLE']);

function baseTurndown(): TurndownService {
  const td = new TurndownService({
    headingStyle: 'atx',
    hr: '---',
    bulletListMarker: '-',
    codeBlockStyle: 'fenced',
    fence: '```',
    emDelimiter: '_',
    strongDelimiter: '**',
    linkStyle: 'inlined',
    br: '  ',
  });
  // markdown-it knows ~~, not GFM's single ~.
  td.addRule('strikethrough', { filter: ['del', 's', 'strike'] as TurndownService.Filter, replacement: (content) => `~~${content}~~` });
  // "- item", not turndown's "-   item"; continuation lines indented to match the marker.
  td.addRule('listItem', {
    filter: 'li',
    replacement: (content, node, options) => {
      const parent = dom(node).parentNode;
      let prefix = `${options.bulletListMarker} `;
      if (parent?.nodeName === 'OL') {
        const start = Number(parent.getAttribute('start') ?? '1') || 1;
        prefix = `${start + Array.prototype.indexOf.call(parent.children, node)}. `;
      }
      const body = content.replace(/^\n+/, '').replace(/\n+$/, '\n').replace(/\n/gm, `\n${' '.repeat(prefix.length)}`);
      return prefix + body + (node.nextSibling && !/\n$/.test(body) ? '\n' : '');
    },
  });
  // A <pre> without <code> inside is still code.
  td.addRule('plainPre', {
    filter: (node) => dom(node).nodeName === 'PRE' && dom(node).firstElementChild?.nodeName !== 'CODE',
    replacement: (_content, node) => {
      const text = dom(node).textContent ?? '';
      const fence = text.includes('```') ? '~~~~' : '```';
      return `\n\n${fence}\n${text.replace(/\n$/, '')}\n${fence}\n\n`;
    },
  });
  return td;
}

const postTurndown = (() => {
  const td = baseTurndown();
  td.use(tables);
  td.addRule('keepHtml', {
    filter: (node) => keepAsHtml(dom(node)),
    replacement: (_content, node) => {
      const html = cleanPostHtml(dom(node).outerHTML);
      return BLOCK_NAMES.has(node.nodeName) ? `\n\n${asHtmlBlock(html)}\n\n` : html.replace(/\s*\n\s*/g, ' ');
    },
  });
  return td;
})();

const commentTurndown = baseTurndown();

// ---------------------------------------------------------------- 3. verify

const BLOCK_TAGS = new Set([
  'p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'table', 'thead', 'tbody', 'tfoot',
  'tr', 'th', 'td', 'figure', 'figcaption', 'dl', 'dt', 'dd', 'details', 'summary', 'hr', 'caption', 'div',
]);
const SIGNIFICANT_ATTRS: Record<string, string[]> = {
  a: ['href'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  th: ['align', 'colspan', 'rowspan'],
  td: ['align', 'colspan', 'rowspan'],
  ol: ['start'],
  code: ['class'],
};

/** Typography markdown-it adds (and WordPress added when it showed the post) is not a difference. */
function foldTypography(text: string): string {
  return text
    .replace(/[\u201c\u201d\u201e\u00ab\u00bb]/g, '"')
    .replace(/[\u2018\u2019\u201a]/g, "'")
    .replace(/[\u2013\u2014]|-{2,3}/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/\u00a9/g, '(c)')
    .replace(/\u00ae/g, '(r)')
    .replace(/\u2122/g, '(tm)')
    .replace(/\u00b1/g, '+-')
    .replace(/\u00a0/g, ' ');
}

function attr(attrs: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(attrs);
  return m ? decodeHTML(m[1]!) : null;
}

/**
 * What a reader gets from the HTML: text, block structure, emphasis, links and images; not
 * whitespace, wrappers or typography. Input is sanitize-html output, which is well-formed.
 */
export function htmlSignature(sanitized: string): string {
  const out: string[] = [];
  const stack: string[] = [];
  for (const m of sanitized.matchAll(/<(\/?)([a-zA-Z0-9]+)([^>]*)>|([^<]+)/g)) {
    if (m[4] !== undefined) {
      out.push(foldTypography(decodeHTML(m[4])));
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    if (name === 'span' || (name === 'code' && stack.at(-1) === 'pre')) continue;
    if (!closing && name !== 'br' && name !== 'img' && name !== 'hr') stack.push(name);
    if (closing) stack.pop();
    if (name === 'p' || name === 'div') {
      out.push('\u00b6');
      continue;
    }
    const attrs = closing ? '' : (SIGNIFICANT_ATTRS[name] ?? []).map((a) => `${a}=${attr(m[3] ?? '', a) ?? ''}`).join(' ');
    const token = `<${closing ? '/' : ''}${name}${attrs ? ' ' + attrs : ''}>`;
    out.push(BLOCK_TAGS.has(name) ? `\u00b6${token}\u00b6` : token);
  }
  return (
    out
      .join('')
      // A link that only repeats its address is what linkify makes of a bare URL.
      .replace(/<a href=(?:mailto:|https?:\/\/)?([^>]*)>(?:mailto:|https?:\/\/)?\1<\/a>/g, '$1')
      // Whitespace inside emphasis and links moves outside in Markdown.
      .replace(/(<(?:em|strong|a|del|s|code)[^>]*>)\s+/g, ' $1')
      .replace(/\s+(<\/(?:em|strong|a|del|s|code)>)/g, '$1 ')
      .replace(/\s*<br>\s*/g, '<br>')
      .replace(/\s+/g, ' ')
      .replace(/(?:\s*\u00b6\s*)+/g, '\u00b6')
      .replace(/(?:<br>)+\u00b6/g, '\u00b6')
      .replace(/^\u00b6|\u00b6$/g, '')
      .trim()
  );
}

export interface ConvertedPost {
  markdown: string;
  /** renderPost(markdown), computed once while checking. */
  html: string;
  /** 'html' when Markdown could not say it all and the sanitized HTML was kept. */
  format: 'markdown' | 'html';
}

/** HTML that markdown-it passes through whole: one HTML block, starting with a block tag. */
function htmlAsMarkdownSource(cleaned: string): string {
  const block = asHtmlBlock(cleaned);
  if (!block) return '';
  return /^<(?:p|h[1-6]|ul|ol|blockquote|pre|table|figure|dl|details|div|hr)\b/i.test(block) ? block : `<div>${block}</div>`;
}

/** Prepared (displayable) HTML → Markdown when lossless, else the sanitized HTML. */
export function htmlToPostMarkdown(prepared: string): ConvertedPost {
  const cleaned = cleanPostHtml(prepared);
  if (!cleaned.trim()) return { markdown: '', html: '', format: 'markdown' };
  const expected = htmlSignature(cleaned);
  let markdown = '';
  try {
    markdown = postTurndown.turndown(cleaned).trim();
  } catch {
    // A document turndown cannot walk is kept as HTML below.
  }
  if (markdown) {
    const html = renderPost(markdown);
    if (htmlSignature(html) === expected) return { markdown, html, format: 'markdown' };
  }
  const source = htmlAsMarkdownSource(cleaned);
  return { markdown: source, html: renderPost(source), format: 'html' };
}

export function wordpressPostToMarkdown(raw: string): ConvertedPost {
  return htmlToPostMarkdown(prepareWordPressHtml(raw));
}

/**
 * A WordPress comment (plain text with a little HTML, wpautop'd when shown) → comment
 * Markdown. The comment subset keeps no raw HTML: other tags go, their text stays, and
 * <script> goes with its content.
 */
export function wordpressCommentToMarkdown(raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n').trim();
  if (!/[<&]/.test(text)) {
    // Plain text, the common case: what turndown would make of wpautop's <p> and <br />.
    return text
      .split(/\n[ \t]*\n/)
      .map((p) =>
        p
          .split('\n')
          .map((line) => commentTurndown.escape(line.replace(/[ \t]+/g, ' ').trim()))
          .filter((line) => line !== '')
          .join('  \n'),
      )
      .filter((p) => p !== '')
      .join('\n\n');
  }
  const html = sanitizeHtml(prepareWordPressHtml(text, { comment: true }), CLEAN_COMMENT);
  return commentTurndown.turndown(html).trim();
}

export function renderImportedComment(markdown: string): string {
  return renderComment(markdown);
}

/** Titles, names and term names are plain text in Lectern; WordPress stores some entities. */
export function plainText(raw: string): string {
  return decodeHTML(raw.replace(/<[^>]*>/g, '')).replace(/\s+/g, ' ').trim();
}
