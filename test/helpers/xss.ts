import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'htmlparser2';
import { findAll } from 'domutils';
import type { Element } from 'domhandler';

/** The hostile inputs, one per line; "# " lines are comments. */
export function loadXssPayloads(): string[] {
  const text = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'xss-payloads.txt'), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('# '));
}

const DANGEROUS_TAGS = new Set(['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'svg', 'math', 'style', 'link', 'meta', 'template', 'portal']);
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background', 'srcdoc', 'codebase']);

/**
 * What in a page could run script, read as a browser's parser reads it: elements that can
 * run or load code, event-handler attributes, and script-bearing URLs. `allowed` lists the
 * page's own elements (its stylesheet links, its own scripts) by a predicate.
 */
export function findExecutable(html: string, allowed: (el: Element) => boolean = isOwnAsset): string[] {
  const problems: string[] = [];
  const document = parseDocument(html, { decodeEntities: true, lowerCaseAttributeNames: true });
  for (const el of findAll(() => true, document.children)) {
    const tag = el.name.toLowerCase();
    if (DANGEROUS_TAGS.has(tag) && !allowed(el)) problems.push(`<${tag}> element`);
    for (const [name, rawValue] of Object.entries(el.attribs)) {
      const attr = name.toLowerCase();
      if (attr.startsWith('on')) problems.push(`${attr}= on <${tag}>`);
      if (URL_ATTRIBUTES.has(attr)) {
        // Browsers ignore control characters and whitespace inside the scheme.
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        const value = rawValue.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
        if (/^(javascript|vbscript|data|livescript):/.test(value)) problems.push(`${attr}="${rawValue.slice(0, 40)}" on <${tag}>`);
      }
      if (attr === 'style' && /expression\(|javascript:|url\(/i.test(rawValue)) problems.push(`style="${rawValue.slice(0, 40)}" on <${tag}>`);
    }
  }
  return problems;
}

/** The page's own stylesheets, icons and scripts, all served from /static/. */
export function isOwnAsset(el: Element): boolean {
  if (el.name === 'link') return (el.attribs.href ?? '').startsWith('/static/') || isHeadMetadata(el);
  if (el.name === 'script') return ((el.attribs.src ?? '').startsWith('/static/') && !el.children.length) || isHeadMetadata(el);
  if (el.name === 'meta') return !('http-equiv' in el.attribs);
  return false;
}

/**
 * The layout's own head metadata, which loads and runs nothing: feed autodiscovery and
 * canonical links, and the JSON-LD data block (not executable; CSP leaves it alone). Only
 * directly inside <head>, so the same markup injected into a comment is still reported.
 */
function isHeadMetadata(el: Element): boolean {
  const inHead = el.parent !== null && 'name' in el.parent && el.parent.name === 'head';
  if (!inHead) return false;
  if (el.name === 'link') return ['alternate', 'canonical'].includes((el.attribs.rel ?? '').toLowerCase());
  return el.name === 'script' && el.attribs.type === 'application/ld+json' && !('src' in el.attribs);
}
