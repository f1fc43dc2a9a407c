import { describe, expect, it } from 'vitest';
import { deriveExcerpt, htmlToText, renderBio, renderComment, renderPost } from '../../server/markup/render.js';

const FULL_POST = [
  '## Opening hours',
  '',
  'We are open:',
  '',
  '- Monday',
  '- Tuesday',
  '',
  '1. first',
  '2. second',
  '',
  '| Day | Hours |',
  '| --- | ----- |',
  '| Mon | 9–5 |',
  '',
  'See [the catalogue](https://catalogue.example.org/search?q=a&b=c "Catalogue").',
  '',
  '```js',
  'const x = 1 < 2;',
  '```',
  '',
  '**bold** and *em* and `code`',
].join('\n');

describe('renderPost', () => {
  const html = renderPost(FULL_POST);

  it('renders a heading', () => {
    expect(html).toContain('<h2>Opening hours</h2>');
  });

  it('renders bullet and numbered lists', () => {
    expect(html).toMatch(/<ul>\s*<li>Monday<\/li>\s*<li>Tuesday<\/li>\s*<\/ul>/);
    expect(html).toMatch(/<ol>\s*<li>first<\/li>\s*<li>second<\/li>\s*<\/ol>/);
  });

  it('renders a table with a header row', () => {
    expect(html).toMatch(/<table>\s*<thead>\s*<tr>\s*<th>Day<\/th>\s*<th>Hours<\/th>/);
    expect(html).toMatch(/<tbody>\s*<tr>\s*<td>Mon<\/td>\s*<td>9–5<\/td>/);
  });

  it('renders a link with its title', () => {
    expect(html).toContain('<a href="https://catalogue.example.org/search?q=a&amp;b=c" title="Catalogue">the catalogue</a>');
  });

  it('renders a fenced code block, escaped, with its language class', () => {
    expect(html).toContain('<pre><code class="language-js">const x = 1 &lt; 2;\n</code></pre>');
  });

  it('renders inline emphasis and code', () => {
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<em>em</em>');
    expect(html).toContain('<code>code</code>');
  });

  it('keeps images, lazily loaded', () => {
    expect(renderPost('![A cat](https://example.org/cat.png)')).toContain('<img src="https://example.org/cat.png" alt="A cat" loading="lazy" />');
    expect(renderPost('![Local](/uploads/2026/01/abc.png)')).toContain('src="/uploads/2026/01/abc.png"');
  });

  it('lets harmless raw HTML through', () => {
    expect(renderPost('<details><summary>More</summary>Text</details>')).toContain('<details><summary>More</summary>Text</details>');
  });

  it.each([
    ['a script element', 'Hello <script>alert(1)</script> world', /<script|alert\(1\)/i],
    ['an event handler', '<img src="https://e.org/x.png" onerror="alert(1)">', /onerror/i],
    ['a javascript: link (Markdown)', '[click](javascript:alert(1))', /href="?javascript:/i],
    ['a javascript: link (HTML)', '<a href="javascript:alert(1)">x</a>', /href="?javascript:/i],
    ['an iframe', '<iframe src="https://evil.example"></iframe>', /<iframe/i],
    ['a style attribute', '<p style="position:fixed">x</p>', /style=/i],
    ['a style element', '<style>body{display:none}</style>', /<style|display:none/i],
    ['a data: image', '<img src="data:image/svg+xml;base64,PHN2Zz4=">', /data:/i],
    ['a form', '<form action="https://evil.example"><input name="p"></form>', /<form|<input/i],
    ['a protocol-relative link', '<a href="//evil.example">x</a>', /evil\.example/],
  ])('removes %s', (_name, input, forbidden) => {
    expect(renderPost(input)).not.toMatch(forbidden);
  });

  it('keeps the text around a removed script', () => {
    const out = renderPost('Hello <script>alert(1)</script> world');
    expect(out).toContain('Hello');
    expect(out).toContain('world');
  });
});

describe('renderComment and renderBio', () => {
  it('renders emphasis, lists, quotes and code', () => {
    const out = renderComment('*hi* **there**\n\n- a\n- b\n\n> quoted\n\n`x`');
    expect(out).toContain('<em>hi</em>');
    expect(out).toContain('<strong>there</strong>');
    expect(out).toMatch(/<ul>\s*<li>a<\/li>/);
    expect(out).toMatch(/<blockquote>\s*<p>quoted<\/p>/);
    expect(out).toContain('<code>x</code>');
  });

  it('marks links nofollow ugc noopener', () => {
    expect(renderComment('[site](https://example.org)')).toContain('<a href="https://example.org" rel="nofollow ugc noopener">site</a>');
  });

  it.each([
    ['a heading', '# Big', /<h1/],
    ['an image', '![x](https://example.org/x.png)', /<img/],
    ['raw HTML', '<b>bold</b>', /<b>/],
    ['a script', '<script>alert(1)</script>', /<script/],
    ['a javascript: link', '[x](javascript:alert(1))', /href="?javascript:/],
  ])('does not render %s', (_name, input, forbidden) => {
    expect(renderComment(input)).not.toMatch(forbidden);
  });

  it('uses the comment subset for bios', () => {
    expect(renderBio('# Librarian\n\nLoves *maps*.')).not.toContain('<h1');
    expect(renderBio('Loves *maps*.')).toContain('<em>maps</em>');
  });
});

describe('htmlToText and deriveExcerpt', () => {
  it('turns HTML into plain text with entities decoded', () => {
    expect(htmlToText('<h2>Title</h2><p>One &amp; <em>two</em></p><ul><li>a</li><li>b</li></ul>')).toBe('Title One & two a b');
  });

  it('returns short text whole', () => {
    expect(deriveExcerpt('<p>Short text.</p>')).toBe('Short text.');
  });

  it('cuts long text at a word boundary and adds an ellipsis', () => {
    const words = Array.from({ length: 100 }, (_, i) => `word${i}`).join(' ');
    const excerpt = deriveExcerpt(`<p>${words}</p>`, 50);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt.length).toBeLessThanOrEqual(51);
    expect(words.startsWith(excerpt.slice(0, -1))).toBe(true);
    expect(excerpt.slice(0, -1)).toMatch(/word\d+$/);
  });
});
