/**
 * WordPress's `wpautop()` (wp-includes/formatting.php), ported: classic-editor posts and all
 * comments are stored with blank lines for paragraphs and bare newlines for line breaks, and
 * WordPress adds the <p> and <br /> only when it shows them. Lectern stores what was shown.
 */

const ALL_BLOCKS =
  '(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre|form|map|area|blockquote|address|math|style|p|h[1-6]|hr|fieldset|legend|section|article|aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)';

const NEWLINE_IN_TAG = '\u0001WPNL\u0001';
const PRESERVED_NEWLINE = '\u0001WPPN\u0001';

/** Newlines inside tags (attributes split over lines) must not become <br />. */
function protectNewlinesInTags(text: string): string {
  return text.replace(/<[^>]*>/g, (tag) => tag.replace(/\n/g, NEWLINE_IN_TAG));
}

export function wpautop(input: string, br = true): string {
  let text = input.replace(/\r\n?/g, '\n');
  if (text.trim() === '') return '';
  text += '\n';

  // <pre> is left alone: set aside and put back at the end.
  const pres: string[] = [];
  if (text.includes('<pre')) {
    text = text.replace(/<pre[\s>][\s\S]*?<\/pre>/gi, (pre) => {
      pres.push(pre);
      return `<pre wp-pre-tag-${pres.length - 1}></pre>`;
    });
  }

  text = text.replace(/<br\s*\/?>\s*<br\s*\/?>/gi, '\n\n');
  text = text.replace(new RegExp(`(<${ALL_BLOCKS}[\\s/>])`, 'gi'), '\n\n$1');
  text = text.replace(new RegExp(`(</${ALL_BLOCKS}>)`, 'gi'), '$1\n\n');
  text = text.replace(/(<hr\s*?\/?>)/gi, '$1\n\n');
  text = protectNewlinesInTags(text);
  // No paragraphs around list items' and table rows' inner newlines of <option>, <object> etc.
  text = text.replace(/\s*<option/g, '<option').replace(/<\/option>\s*/g, '</option>');
  text = text.replace(/\n\n+/g, '\n\n');

  const paragraphs = text.split(/\n\s*\n/).filter((p) => p.trim() !== '');
  text = paragraphs.map((p) => `<p>${p.replace(/^\n+|\n+$/g, '')}</p>\n`).join('');

  text = text.replace(/<p>\s*<\/p>/g, '');
  text = text.replace(/<p>([^<]+)<\/(div|address|form)>/g, '<p>$1</p></$2>');
  text = text.replace(new RegExp(`<p>\\s*(</?${ALL_BLOCKS}[^>]*>)\\s*</p>`, 'gi'), '$1');
  text = text.replace(/<p>(<li.+?)<\/p>/g, '$1');
  text = text.replace(/<p><blockquote([^>]*)>/gi, '<blockquote$1><p>');
  text = text.replace(/<\/blockquote><\/p>/g, '</p></blockquote>');
  text = text.replace(new RegExp(`<p>\\s*(</?${ALL_BLOCKS}[^>]*>)`, 'gi'), '$1');
  text = text.replace(new RegExp(`(</?${ALL_BLOCKS}[^>]*>)\\s*</p>`, 'gi'), '$1');

  if (br) {
    text = text.replace(/<(script|style|svg|math)[\s\S]*?<\/\1>/g, (m) => m.replace(/\n/g, PRESERVED_NEWLINE));
    text = text.replace(/<br>|<br\/>/g, '<br />');
    text = text.replace(/(?<!<br \/>)\s*\n/g, '<br />\n');
    text = text.split(PRESERVED_NEWLINE).join('\n');
  }

  text = text.replace(new RegExp(`(</?${ALL_BLOCKS}[^>]*>)\\s*<br />`, 'gi'), '$1');
  text = text.replace(/<br \/>(\s*<\/?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)/gi, '$1');
  text = text.replace(/\n<\/p>$/g, '</p>');

  if (pres.length > 0) text = text.replace(/<pre wp-pre-tag-(\d+)><\/pre>/g, (_m, i: string) => pres[Number(i)] ?? '');
  return text.split(NEWLINE_IN_TAG).join('\n');
}
