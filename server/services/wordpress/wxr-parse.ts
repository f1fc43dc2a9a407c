import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagPlain } from 'saxes';

/**
 * A streaming reader of WordPress export files (WXR 1.0–1.2, the RSS 2.0 dialect that
 * Tools → Export writes). It never holds more than one <item> and the current chunk of the
 * file: events come out as each author, term and item closes.
 *
 * Elements are named by namespace, not by prefix ("wp:post_id" whatever prefix the file binds
 * to http://wordpress.org/export/1.x/), so any WXR version reads the same.
 */

export type Fields = Record<string, string>;

export interface WxrChannel {
  title: string;
  link: string;
  description: string;
  language: string;
  wxrVersion: string;
  baseSiteUrl: string;
  baseBlogUrl: string;
}

export interface WxrItemTerm {
  domain: string;
  nicename: string;
  name: string;
}

export interface WxrRawComment {
  line: number;
  fields: Fields;
}

export interface WxrRawItem {
  /** Where the <item> starts, for messages. */
  line: number;
  fields: Fields;
  terms: WxrItemTerm[];
  meta: { key: string; value: string }[];
  comments: WxrRawComment[];
}

export type WxrEvent =
  | { type: 'channel'; channel: WxrChannel }
  | { type: 'author'; line: number; fields: Fields }
  | { type: 'term'; line: number; element: 'category' | 'tag' | 'term'; fields: Fields }
  | { type: 'item'; item: WxrRawItem };

/** A file that is not a readable WXR, with where the problem is. */
export class WxrError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly fileLabel: string,
  ) {
    super(`${fileLabel}: line ${line}, column ${column}: ${reason}`);
    this.name = 'WxrError';
  }
}

export const SUPPORTED_WXR_VERSIONS = ['1.0', '1.1', '1.2'];

const CONTENT_NS = 'http://purl.org/rss/1.0/modules/content/';
const DC_NS = 'http://purl.org/dc/elements/1.1/';
const WP_NS = /^https?:\/\/wordpress\.org\/export\/1\.\d+\/$/;
const EXCERPT_NS = /^https?:\/\/wordpress\.org\/export\/1\.\d+\/excerpt\/$/;

function qualifiedName(uri: string, local: string): string {
  if (!uri) return local;
  if (WP_NS.test(uri)) return `wp:${local}`;
  if (EXCERPT_NS.test(uri)) return `excerpt:${local}`;
  if (uri === CONTENT_NS) return `content:${local}`;
  if (uri === DC_NS) return `dc:${local}`;
  return `{${uri}}${local}`;
}

type Frame = 'rss' | 'channel' | 'author' | 'term' | 'item' | 'postmeta' | 'comment' | 'ignore' | 'leaf';

const CHANNEL_FIELDS: Record<string, keyof WxrChannel> = {
  title: 'title',
  link: 'link',
  description: 'description',
  language: 'language',
  'wp:wxr_version': 'wxrVersion',
  'wp:base_site_url': 'baseSiteUrl',
  'wp:base_blog_url': 'baseBlogUrl',
};

/**
 * The push side: fed text, it queues events. Kept separate from the file reading so a test
 * (or an upload) can feed it anything.
 */
export class WxrPushParser {
  readonly events: WxrEvent[] = [];
  private readonly parser: SaxesParser<{ xmlns: false; position: true }>;
  /** Prefix → namespace URI, from xmlns attributes (WXR declares them all on <rss>). */
  private readonly namespaces = new Map<string, string>();
  private readonly frames: Frame[] = [];
  private readonly channel: WxrChannel = { title: '', link: '', description: '', language: '', wxrVersion: '', baseSiteUrl: '', baseBlogUrl: '' };
  private channelSent = false;
  private sawRss = false;
  private sawChannel = false;
  private leafName = '';
  private leafText = '';
  private author: { line: number; fields: Fields } | null = null;
  private term: { line: number; element: 'category' | 'tag' | 'term'; fields: Fields } | null = null;
  private item: WxrRawItem | null = null;
  private meta: Fields | null = null;
  private comment: WxrRawComment | null = null;
  private itemTerm: { domain: string; nicename: string } | null = null;
  private started = false;

  constructor(private readonly fileLabel: string) {
    // Namespaces are resolved here rather than by saxes: it is markedly faster, and every
    // WordPress export declares its prefixes on the root.
    this.parser = new SaxesParser({ xmlns: false, position: true });
    this.parser.on('opentag', (tag) => this.open(tag));
    this.parser.on('closetag', () => this.close());
    this.parser.on('text', (text) => this.onText(text));
    this.parser.on('cdata', (text) => this.onText(text));
  }

  write(text: string): void {
    if (!this.started) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      // Name where a file that is not XML at all goes wrong: its first character.
      const first = /\S/.exec(text);
      if (!first) {
        this.guard(() => this.parser.write(text));
        return;
      }
      this.started = true;
      if (text[first.index] !== '<') {
        const before = text.slice(0, first.index);
        const line = before.split('\n').length;
        const column = first.index - before.lastIndexOf('\n');
        this.fail('this is not an XML file (a WordPress export starts with <?xml or <rss)', line, column);
      }
    }
    this.guard(() => this.parser.write(text));
  }

  end(): void {
    this.guard(() => this.parser.close());
    if (!this.sawRss || !this.sawChannel) this.fail('this is not a WordPress export: it has no <rss><channel>');
    if (!this.channel.wxrVersion) this.fail('this is not a WordPress export: the feed has no <wp:wxr_version>');
  }

  private guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      if (err instanceof WxrError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      // saxes prefixes "line:column: "; the position is given our way instead.
      this.fail(`not well-formed XML: ${message.replace(/^(?:[^:]*:)?\d+:\d+:\s*/, '')}`);
    }
  }

  private fail(reason: string, line = this.parser.line, column = this.parser.column + 1): never {
    throw new WxrError(reason, line, column, this.fileLabel);
  }

  private get depth(): number {
    return this.frames.length;
  }

  private get parent(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  private startLeaf(name: string): void {
    this.frames.push('leaf');
    this.leafName = name;
    this.leafText = '';
  }

  /** Authors, terms and items come after the channel's own fields: the channel is complete. */
  private sendChannel(): void {
    if (this.channelSent) return;
    if (!this.channel.wxrVersion) {
      this.fail('this is not a WordPress export: there is no <wp:wxr_version> before the first author, term or item (a plain RSS feed?)');
    }
    if (!SUPPORTED_WXR_VERSIONS.includes(this.channel.wxrVersion)) {
      this.fail(`WXR version ${this.channel.wxrVersion} is not supported (${SUPPORTED_WXR_VERSIONS.join(', ')} are)`);
    }
    this.channelSent = true;
    this.events.push({ type: 'channel', channel: { ...this.channel } });
  }

  private qualify(tag: SaxesTagPlain): string {
    for (const key in tag.attributes) {
      if (key === 'xmlns') this.namespaces.set('', tag.attributes[key]!);
      else if (key.startsWith('xmlns:')) this.namespaces.set(key.slice(6), tag.attributes[key]!);
    }
    const colon = tag.name.indexOf(':');
    const prefix = colon < 0 ? '' : tag.name.slice(0, colon);
    const local = colon < 0 ? tag.name : tag.name.slice(colon + 1);
    const uri = this.namespaces.get(prefix);
    if (uri === undefined && prefix) this.fail(`not well-formed XML: unbound namespace prefix: "${prefix}"`);
    return qualifiedName(uri ?? '', local);
  }

  private open(tag: SaxesTagPlain): void {
    const name = this.qualify(tag);
    const parent = this.parent;
    const line = this.parser.line;
    if (this.depth === 0) {
      if (name !== 'rss') this.fail(`this is not a WordPress export: the document is <${tag.name}>, not <rss>`);
      this.sawRss = true;
      this.frames.push('rss');
      return;
    }
    switch (parent) {
      case 'rss':
        if (name === 'channel') {
          if (this.sawChannel) this.fail('a WordPress export has one <channel>');
          this.sawChannel = true;
          this.frames.push('channel');
        } else this.frames.push('ignore');
        return;
      case 'channel':
        if (name === 'wp:author') {
          this.sendChannel();
          this.author = { line, fields: {} };
          this.frames.push('author');
        } else if (name === 'wp:category' || name === 'wp:tag' || name === 'wp:term') {
          this.sendChannel();
          this.term = { line, element: name.slice(3) as 'category' | 'tag' | 'term', fields: {} };
          this.frames.push('term');
        } else if (name === 'item') {
          this.sendChannel();
          this.item = { line, fields: {}, terms: [], meta: [], comments: [] };
          this.frames.push('item');
        } else if (CHANNEL_FIELDS[name] && !this.channelSent) {
          this.startLeaf(name);
        } else this.frames.push('ignore');
        return;
      case 'author':
      case 'term':
        this.startLeaf(name);
        return;
      case 'item':
        if (name === 'wp:postmeta') {
          this.meta = {};
          this.frames.push('postmeta');
        } else if (name === 'wp:comment') {
          this.comment = { line, fields: {} };
          this.frames.push('comment');
        } else {
          if (name === 'category') {
            const attr = (key: string) => tag.attributes[key] ?? '';
            this.itemTerm = { domain: attr('domain'), nicename: attr('nicename') };
          }
          this.startLeaf(name);
        }
        return;
      case 'postmeta':
        this.startLeaf(name);
        return;
      case 'comment':
        // wp:commentmeta (trash and spam bookkeeping) is not needed.
        if (name === 'wp:commentmeta') this.frames.push('ignore');
        else this.startLeaf(name);
        return;
      default:
        // Inside a field (stray markup in a description) or an ignored element.
        this.frames.push(parent === 'leaf' ? 'leaf' : 'ignore');
    }
  }

  private onText(text: string): void {
    if (this.parent === 'leaf') this.leafText += text;
  }

  private close(): void {
    const frame = this.frames.pop();
    if (frame === 'leaf') {
      // A nested element inside a field closes into the field itself.
      if (this.parent === 'leaf') return;
      this.closeLeaf(this.parent);
      return;
    }
    switch (frame) {
      case 'author':
        this.events.push({ type: 'author', line: this.author!.line, fields: this.author!.fields });
        this.author = null;
        return;
      case 'term':
        this.events.push({ type: 'term', ...this.term! });
        this.term = null;
        return;
      case 'item':
        this.events.push({ type: 'item', item: this.item! });
        this.item = null;
        return;
      case 'postmeta':
        this.item!.meta.push({ key: this.meta!['wp:meta_key'] ?? '', value: this.meta!['wp:meta_value'] ?? '' });
        this.meta = null;
        return;
      case 'comment':
        this.item!.comments.push(this.comment!);
        this.comment = null;
        return;
      case 'channel':
        // An export of an empty site has no author, term or item.
        this.sendChannel();
        return;
      default:
        return;
    }
  }

  private closeLeaf(owner: Frame | undefined): void {
    const name = this.leafName;
    const text = this.leafText;
    this.leafText = '';
    switch (owner) {
      case 'channel': {
        const key = CHANNEL_FIELDS[name];
        if (key) this.channel[key] = text.trim();
        return;
      }
      case 'author':
        this.author!.fields[name] = text;
        return;
      case 'term':
        this.term!.fields[name] = text;
        return;
      case 'item':
        if (name === 'category' && this.itemTerm) {
          this.item!.terms.push({ ...this.itemTerm, name: text });
          this.itemTerm = null;
        } else this.item!.fields[name] = text;
        return;
      case 'postmeta':
        this.meta![name] = text;
        return;
      case 'comment':
        this.comment!.fields[name] = text;
        return;
      default:
        return;
    }
  }
}

export interface ReadOptions {
  /** The name shown in messages (the file's base name). */
  label: string;
  /** Called after each chunk with the bytes read so far and the file's size. */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
  /** Stops the reading between chunks. */
  signal?: AbortSignal;
}

/** The events of a WXR file, read as a stream: memory stays bounded whatever its size. */
export async function* readWxr(path: string, options: ReadOptions): AsyncGenerator<WxrEvent> {
  const { size } = await stat(path);
  const parser = new WxrPushParser(options.label);
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      options.signal?.throwIfAborted();
      bytes += chunk.length;
      parser.write(decoder.write(chunk));
      options.onProgress?.(bytes, size);
      while (parser.events.length > 0) yield parser.events.shift()!;
    }
    parser.write(decoder.end());
    parser.end();
    while (parser.events.length > 0) yield parser.events.shift()!;
  } finally {
    stream.destroy();
  }
}
