import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { htmlToText, renderComment } from '../../markup/render.js';
import { LIMITS } from '../posts.js';
import { wordpressCommentToMarkdown, wordpressPostToMarkdown, type ConvertedPost } from './html-to-markdown.js';

/**
 * The CPU side of an import: WordPress HTML → Markdown and back to HTML, for a batch. Pure
 * (strings in, strings out), so it can run on a worker thread while the main thread parses
 * the file and writes the previous batch: on a machine with two cores or more, that halves
 * the time of a big import.
 */

export interface ConvertJob {
  posts: { content: string; excerpt: string }[];
  comments: string[];
}

export interface ConvertResult {
  posts: (ConvertedPost & { excerptMd: string })[];
  comments: { md: string; html: string }[];
}

const convertPost = (p: ConvertJob['posts'][number]) => ({ ...wordpressPostToMarkdown(p.content), excerptMd: htmlToText(p.excerpt).slice(0, LIMITS.excerpt) });

/** Plain text (no tags, no entities): its Markdown is escaped text in paragraphs, nothing more. */
const isPlain = (content: string) => !/[<&]/.test(content);

const SEPARATOR = `LECTERNCOMMENTBREAK${randomBytes(6).toString('hex')}`;

/**
 * Renders many plain comments at once: most of renderComment's cost is per call, and the
 * Markdown of plain text (escaped paragraphs: no fences, no link definitions, no HTML) cannot
 * reach across a paragraph, so one document split at a marker paragraph is exactly each
 * comment rendered alone. Anything unexpected falls back to one call each.
 */
export function renderPlainComments(markdowns: string[]): string[] {
  if (markdowns.length < 2) return markdowns.map(renderComment);
  const parts = renderComment(markdowns.join(`\n\n${SEPARATOR}\n\n`)).split(`<p>${SEPARATOR}</p>\n`);
  return parts.length === markdowns.length && !parts.some((p, i) => (p === '') !== (markdowns[i]!.trim() === '')) ? parts : markdowns.map(renderComment);
}

function convertComments(contents: string[]): ConvertResult['comments'] {
  const out: ConvertResult['comments'] = contents.map((content) => ({ md: wordpressCommentToMarkdown(content), html: '' }));
  const plain: number[] = [];
  contents.forEach((content, i) => {
    if (isPlain(content)) plain.push(i);
    else out[i]!.html = renderComment(out[i]!.md);
  });
  for (let i = 0; i < plain.length; i += 200) {
    const chunk = plain.slice(i, i + 200);
    renderPlainComments(chunk.map((j) => out[j]!.md)).forEach((html, k) => (out[chunk[k]!]!.html = html));
  }
  return out;
}

export function convertBatch(job: ConvertJob): ConvertResult {
  return { posts: job.posts.map(convertPost), comments: convertComments(job.comments) };
}

export interface Converter {
  convert(job: ConvertJob): Promise<ConvertResult>;
  close(): Promise<void>;
}

/**
 * In this thread: where no compiled worker file exists (tests, tsx) or there is one core.
 * Inside the server, requests get their turn every few milliseconds.
 */
const inThread: Converter = {
  async convert(job) {
    const result: ConvertResult = { posts: [], comments: [] };
    let since = performance.now();
    const breathe = async () => {
      if (performance.now() - since > 10) {
        await yieldToEventLoop();
        since = performance.now();
      }
    };
    for (const post of job.posts) {
      result.posts.push(convertPost(post));
      await breathe();
    }
    for (let i = 0; i < job.comments.length; i += 50) {
      result.comments.push(...convertComments(job.comments.slice(i, i + 50)));
      await breathe();
    }
    return result;
  },
  close: async () => {},
};

class WorkerConverter implements Converter {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: ConvertResult) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(private readonly worker: Worker) {
    worker.on('message', (message: { id: number; result?: ConvertResult; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      if (!waiter) return;
      this.waiting.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result!);
    });
    const failAll = (err: Error) => {
      this.failure = err;
      for (const waiter of this.waiting.values()) waiter.reject(err);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      if (this.waiting.size) failAll(new Error(`The conversion worker stopped (exit code ${code})`));
    });
  }

  convert(job: ConvertJob): Promise<ConvertResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A worker when the compiled worker file is there and there is a second core; else this thread. */
export function startConverter(options: { useWorker?: boolean } = {}): Converter {
  // Beside this module when compiled; from dist/server/ when running the start-up bundle (scripts/bundle.mjs).
  const file = ['./convert-worker.js', './services/wordpress/convert-worker.js']
    .map((path) => fileURLToPath(new URL(path, import.meta.url)))
    .find((candidate) => existsSync(candidate));
  const wanted = options.useWorker ?? availableParallelism() > 1;
  if (!wanted || !file) return inThread;
  try {
    // A modest heap: the worker holds one batch at a time, and a smaller heap is collected sooner.
    return new WorkerConverter(new Worker(file, { resourceLimits: { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 } }));
  } catch {
    return inThread;
  }
}
