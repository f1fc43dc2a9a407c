import { describe, expect, it } from 'vitest';
import { renderComment, renderPost } from '../../server/markup/render.js';
import { htmlToPostMarkdown, prepareWordPressHtml, wordpressCommentToMarkdown, wordpressPostToMarkdown } from '../../server/services/wordpress/html-to-markdown.js';
import { wpautop } from '../../server/services/wordpress/wpautop.js';
import { renderPlainComments } from '../../server/services/wordpress/convert.js';
import { decodeSlug, wpDateToIso } from '../../server/services/wordpress/items.js';
import { importSlug, usernameFromLogin } from '../../server/services/wordpress/import-run.js';
import { cdata, wpDate, wpSlug } from '../../server/services/wordpress/export.js';
import { WxrPushParser, type WxrEvent } from '../../server/services/wordpress/wxr-parse.js';

/** The pieces of the import and export that need no database. */

describe('wpautop (WordPress adds paragraphs when it shows a classic post)', () => {
  it.each([
    ['Para one.\n\nPara two.', '<p>Para one.</p>\n<p>Para two.</p>\n'],
    ['Line one\nline two', '<p>Line one<br />\nline two</p>\n'],
    ['Text\n<h2>Head</h2>\nMore', '<p>Text</p>\n<h2>Head</h2>\n<p>More</p>\n'],
    ['<ul>\n <li>a</li>\n <li>b</li>\n</ul>\nAfter', '<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<p>After</p>\n'],
    ['<pre>keep\n\n  this</pre>', '<pre>keep\n\n  this</pre>\n'],
    ['', ''],
  ])('%j', (input, expected) => {
    expect(wpautop(input).replace(/\n+/g, '\n')).toBe(expected.replace(/\n+/g, '\n'));
  });
});

describe('WordPress HTML → Markdown', () => {
  it('converts what Markdown says losslessly', () => {
    const { markdown, format, html } = wordpressPostToMarkdown('Hello <strong>there</strong>, <a href="https://example.org/?a=1&amp;b=2">a link</a>.\n\n<h3>Sub</h3>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<blockquote>Quoted</blockquote>');
    expect(format).toBe('markdown');
    expect(markdown).toBe('Hello **there**, [a link](https://example.org/?a=1&b=2).\n\n### Sub\n\n1. one\n2. two\n\n> Quoted');
    expect(html).toBe(renderPost(markdown));
  });

  it('removes block comments and the more tag, keeps the blocks’ HTML as Markdown', () => {
    const { markdown } = wordpressPostToMarkdown('<!-- wp:paragraph -->\n<p>One</p>\n<!-- /wp:paragraph -->\n<!--more-->\n<!-- wp:heading -->\n<h2>Two</h2>\n<!-- /wp:heading -->');
    expect(markdown).toBe('One\n\n## Two');
  });

  it('turns [caption] into a figure, keeps unknown shortcodes visible as code', () => {
    const { markdown } = wordpressPostToMarkdown('[caption id="attachment_9" align="alignright" width="300"]<img src="https://x.example/a.jpg" alt="A" width="300" height="200" /> The caption[/caption]\n\nText [gallery ids="1,2"] and [contact-form-7 id="5"] and [sic].');
    expect(markdown).toContain('<figure><img src="https://x.example/a.jpg" alt="A" width="300" height="200" /><figcaption>The caption</figcaption></figure>');
    expect(markdown).toContain('`[gallery ids="1,2"]`');
    expect(markdown).toContain('`[contact-form-7 id="5"]`');
    // Not a shortcode: plain text, escaped for Markdown.
    expect(renderPost(markdown)).toContain('[sic]');
  });

  it('keeps as HTML what Markdown cannot say: spans of cells, sizes, sub and sup', () => {
    const { markdown } = wordpressPostToMarkdown('<table><tr><td colspan="2">Wide</td></tr><tr><td>a</td><td>b</td></tr></table>\n\nH<sub>2</sub>O');
    expect(markdown).toContain('<td colspan="2">Wide</td>');
    expect(markdown).toContain('H<sub>2</sub>O');
    expect(renderPost(markdown)).toContain('<td colspan="2">Wide</td>');
  });

  it('falls back to the sanitized HTML when the Markdown would read differently', () => {
    // A definition list inside a list item: nothing in Markdown holds it in place.
    const source = '<ul><li>Item<dl><dt>Term</dt><dd>Definition</dd></dl></li></ul><p>After <span class="x" style="color:red">styled</span></p><script>alert(1)</script>';
    const result = htmlToPostMarkdown(prepareWordPressHtml(source));
    expect(result.html).not.toContain('script');
    expect(result.html).toContain('<dt>Term</dt>');
    expect(result.html).not.toContain('style=');
    expect(result.html).toBe(renderPost(result.markdown));
  });

  it('makes iframes (embeds) links, so nothing disappears', () => {
    expect(wordpressPostToMarkdown('<iframe src="https://video.example/embed/1" width="560"></iframe>').markdown).toBe('[https://video.example/embed/1](https://video.example/embed/1)');
  });
});

describe('WordPress comments → comment Markdown', () => {
  it.each([
    ['Plain text with *stars* and _under_', 'Plain text with \\*stars\\* and \\_under\\_', '<p>Plain text with *stars* and _under_</p>\n'],
    ['Line\nbreak\n\nParagraph', 'Line  \nbreak\n\nParagraph', '<p>Line<br />\nbreak</p>\n<p>Paragraph</p>\n'],
    ['See <a href="https://example.org" rel="nofollow ugc">this</a>', 'See [this](https://example.org)', '<p>See <a href="https://example.org" rel="nofollow ugc noopener">this</a></p>\n'],
    ['<blockquote>Quoted</blockquote>\nReply', '> Quoted\n\nReply', '<blockquote>\n<p>Quoted</p>\n</blockquote>\n<p>Reply</p>\n'],
    ['Hi<script>steal()</script> there <img src=x onerror=alert(1)>', 'Hi there', '<p>Hi there</p>\n'],
    ['<h1>Loud</h1> text &amp; more', 'Loud\n\ntext & more', '<p>Loud</p>\n<p>text &amp; more</p>\n'],
  ])('%j', (input, md, html) => {
    const markdown = wordpressCommentToMarkdown(input);
    expect(markdown).toBe(md);
    expect(renderComment(markdown)).toBe(html);
  });
});

describe('rendering many plain comments at once', () => {
  it('gives exactly what rendering each alone gives', () => {
    const texts = [
      'Plain.',
      "It's \"quoted\" -- and... (c) 2026",
      'Visit https://example.org/path?x=1 or www.example.com, mail me@example.org',
      '1. not a list\n- nor this\n# nor a heading\n> nor a quote',
      '```\nnot code\n```',
      '[x]: https://example.org\n[x] is not a link',
      '    four spaces\n\n\n\nmany blank lines',
      '*a* _b_ **c** ~~d~~ `e`',
      'Ünïcödé – «guillemets» “curly”',
      '',
    ];
    const markdowns = texts.map(wordpressCommentToMarkdown);
    expect(renderPlainComments(markdowns)).toEqual(markdowns.map(renderComment));
  });
});

describe('slugs, names and dates', () => {
  it('decodes WordPress’s percent-encoded slugs, even one cut mid-character', () => {
    expect(decodeSlug('%d1%80%d0%be%d0%b7')).toBe('роз');
    expect(decodeSlug('%d1%80%d0')).toBe('р%d0');
    expect(decodeSlug('Caf%C3%A9-Menu')).toBe('café-menu');
  });

  it('makes slugs and usernames Lectern accepts', () => {
    expect(importSlug('hello_world', 'x')).toBe('hello-world');
    expect(importSlug('', 'Spring programme ideas (draft)')).toBe('spring-programme-ideas-draft');
    expect(importSlug('a'.repeat(60) + '-' + 'b'.repeat(60), 'x')).toBe('a'.repeat(60));
    expect(usernameFromLogin('Zofia.Wójcik')).toBe('zofia.wojcik');
    expect(usernameFromLogin('john smith@home')).toBe('john-smith-home');
    expect(usernameFromLogin('j')).toBe('wp-j');
  });

  it('reads GMT dates, and local ones in the site’s zone when GMT is missing', () => {
    expect(wpDateToIso('2025-06-10 08:00:00', '2025-06-10 07:00:00', 'UTC')).toBe('2025-06-10T07:00:00.000Z');
    expect(wpDateToIso('2025-06-10 08:00:00', '0000-00-00 00:00:00', 'Europe/London')).toBe('2025-06-10T07:00:00.000Z');
    expect(wpDateToIso('0000-00-00 00:00:00', '', 'UTC')).toBeNull();
  });

  it('writes WordPress’s forms back', () => {
    expect(wpSlug('розм-x')).toBe('%d1%80%d0%be%d0%b7%d0%bc-x');
    expect(wpDate('2025-06-10T07:00:00.000Z', 'Europe/London')).toBe('2025-06-10 08:00:00');
    expect(wpDate(null)).toBe('0000-00-00 00:00:00');
    expect(cdata('a ]]> b')).toBe('<![CDATA[a ]]]]><![CDATA[> b]]>');
    expect(cdata('bell\u0007')).toBe('<![CDATA[bell]]>');
  });
});

describe('the WXR reader', () => {
  const read = (xml: string, chunk = 7) => {
    const parser = new WxrPushParser('t.xml');
    const events: WxrEvent[] = [];
    // Fed in small pieces: elements and CDATA split across chunks read the same.
    for (let i = 0; i < xml.length; i += chunk) {
      parser.write(xml.slice(i, i + chunk));
      events.push(...parser.events.splice(0));
    }
    parser.end();
    return [...events, ...parser.events];
  };

  it('names elements by namespace, whatever the prefix, for WXR 1.1 too', () => {
    const events = read(`<?xml version="1.0"?><rss xmlns:w="http://wordpress.org/export/1.1/" xmlns:c="http://purl.org/rss/1.0/modules/content/"><channel><title>T</title><w:wxr_version>1.1</w:wxr_version><item><title>Hi</title><c:encoded><![CDATA[<p>x ]]]]><![CDATA[> y</p>]]></c:encoded><w:post_id>3</w:post_id><category domain="post_tag" nicename="a-b">A b</category><w:comment><w:comment_id>9</w:comment_id></w:comment></item></channel></rss>`);
    expect(events[0]).toMatchObject({ type: 'channel', channel: { title: 'T', wxrVersion: '1.1' } });
    expect(events[1]).toMatchObject({
      type: 'item',
      item: { fields: { title: 'Hi', 'content:encoded': '<p>x ]]> y</p>', 'wp:post_id': '3' }, terms: [{ domain: 'post_tag', nicename: 'a-b', name: 'A b' }], comments: [{ fields: { 'wp:comment_id': '9' } }] },
    });
  });

  it('refuses an unbound prefix with its position', () => {
    expect(() => read('<rss><channel><wp:wxr_version>1.2</wp:wxr_version></channel></rss>', 1000)).toThrow(/^t\.xml: line 1, column \d+: not well-formed XML: unbound namespace prefix: "wp"$/);
  });
});
