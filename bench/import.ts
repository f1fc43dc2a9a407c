/**
 * WordPress import benchmark (issue 7): `npx tsx bench/import.ts [posts] [comments]`.
 * (`npx tsx bench/import.ts --gen <file> [posts] [comments]` only writes the WXR file.)
 *
 * Writes a WXR file of 10,000 posts and 100,000 threaded comments to a temporary directory,
 * builds dist/ (as `npm run build`), then runs `lectern import wordpress <file>` into a fresh
 * SQLite database in a child process, exactly as an administrator would, and reports its
 * wall time and peak memory (VmHWM from /proc/<pid>/status, polled every 100 ms, with VmRSS
 * as a cross-check). Aim: under 60 s and under 300 MB.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const generateOnly = process.argv[2] === '--gen';
const [postsArg, commentsArg] = generateOnly ? process.argv.slice(4) : process.argv.slice(2);
const POSTS = Number(postsArg ?? 10_000) || 10_000;
const COMMENTS = Number(commentsArg ?? 100_000) || 100_000;
const AUTHORS = 12;
const CATEGORIES = ['events', 'people', 'services', 'story-time', 'local-history', 'makerspace', 'digital', 'children', 'teens', 'archives'];
const TAGS = Array.from({ length: 60 }, (_, i) => `topic-${i + 1}`);
const WORDS = 'library reading book shelf river mill garden volunteer story history map archive parish town council club craft lesson print audio film tea kettle window table chair card desk evening morning spring summer autumn winter children teen adult family'.split(' ');

let seed = 42;
function rand(n: number): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
}
const word = () => WORDS[rand(WORDS.length)]!;
const sentence = (min = 8, spread = 14) => {
  const n = min + rand(spread);
  const text = Array.from({ length: n }, word).join(' ');
  return text[0]!.toUpperCase() + text.slice(1) + '.';
};
const paragraph = () => Array.from({ length: 2 + rand(3) }, () => sentence()).join(' ');
const cdata = (text: string) => `<![CDATA[${text.replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
const pad = (n: number) => String(n).padStart(2, '0');
const wpDate = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;

/** A classic-editor post: blank-line paragraphs, a heading, a list, links; about 1.5 KB. */
function postContent(i: number): string {
  const parts = [paragraph(), paragraph()];
  if (i % 3 === 0) parts.push(`<h2>${sentence(3, 3).slice(0, -1)}</h2>`);
  if (i % 4 === 0) parts.push(`<ul>\n${Array.from({ length: 3 }, () => `\t<li>${sentence(4, 4)}</li>`).join('\n')}\n</ul>`);
  parts.push(`${paragraph()} Read <a href="https://bench.example/${2000 + (i % 7)}/01/0${1 + (i % 9)}/post-${Math.max(1, i - 1)}/">the earlier post</a> or <strong>${word()} ${word()}</strong>.`);
  if (i % 10 === 0) parts.push('[gallery ids="1,2,3"]');
  parts.push(paragraph());
  return parts.join('\n\n');
}

async function writeWxr(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(`<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
<title>Benchmark Library</title><link>https://bench.example</link><description>Generated</description><language>en-GB</language>
<wp:wxr_version>1.2</wp:wxr_version><wp:base_site_url>https://bench.example</wp:base_site_url><wp:base_blog_url>https://bench.example</wp:base_blog_url>
`);
  for (let a = 1; a <= AUTHORS; a++) {
    await write(`<wp:author><wp:author_id>${a}</wp:author_id><wp:author_login>${cdata(`author${a}`)}</wp:author_login><wp:author_email>${cdata(`author${a}@bench.example`)}</wp:author_email><wp:author_display_name>${cdata(`Author ${a}`)}</wp:author_display_name><wp:author_first_name></wp:author_first_name><wp:author_last_name></wp:author_last_name></wp:author>\n`);
  }
  for (const [i, slug] of CATEGORIES.entries()) {
    await write(`<wp:category><wp:term_id>${i + 1}</wp:term_id><wp:category_nicename>${cdata(slug)}</wp:category_nicename><wp:category_parent>${cdata('')}</wp:category_parent><wp:cat_name>${cdata(slug.replace('-', ' '))}</wp:cat_name></wp:category>\n`);
  }
  for (const [i, slug] of TAGS.entries()) {
    await write(`<wp:tag><wp:term_id>${100 + i}</wp:term_id><wp:tag_slug>${cdata(slug)}</wp:tag_slug><wp:tag_name>${cdata(slug.replace('-', ' '))}</wp:tag_name></wp:tag>\n`);
  }
  let commentId = 1;
  const start = Date.UTC(2012, 0, 1);
  for (let p = 1; p <= POSTS; p++) {
    const date = new Date(start + p * 6 * 3600 * 1000);
    const title = `${sentence(4, 5).slice(0, -1)} ${p}`;
    const slug = `post-${p}`;
    const comments: string[] = [];
    const count = Math.floor(COMMENTS / POSTS) + (p <= COMMENTS % POSTS ? 1 : 0);
    const ids: number[] = [];
    for (let c = 0; c < count; c++) {
      const id = commentId++;
      // Roughly half are replies, to any earlier comment of the post.
      const parent = ids.length && rand(2) ? ids[rand(ids.length)]! : 0;
      ids.push(id);
      const cdate = new Date(date.getTime() + (c + 1) * 3600 * 1000);
      const statusPick = rand(20);
      const status = statusPick === 0 ? '0' : statusPick === 1 ? 'spam' : statusPick === 2 ? 'trash' : '1';
      const body = rand(10) === 0 ? `I agree with <em>${word()}</em>, see <a href="https://example.org/${id}" rel="nofollow ugc">this page</a>.\n\n${sentence()}` : `${sentence()} ${sentence(5, 10)}`;
      comments.push(`<wp:comment><wp:comment_id>${id}</wp:comment_id><wp:comment_author>${cdata(`Reader ${id % 5000}`)}</wp:comment_author><wp:comment_author_email>${cdata(`reader${id % 5000}@example.org`)}</wp:comment_author_email><wp:comment_author_url>${id % 7 === 0 ? `https://reader${id % 5000}.example.org` : ''}</wp:comment_author_url><wp:comment_author_IP>${cdata('192.0.2.1')}</wp:comment_author_IP><wp:comment_date>${cdata(wpDate(cdate))}</wp:comment_date><wp:comment_date_gmt>${cdata(wpDate(cdate))}</wp:comment_date_gmt><wp:comment_content>${cdata(body)}</wp:comment_content><wp:comment_approved>${cdata(status)}</wp:comment_approved><wp:comment_type>${cdata('comment')}</wp:comment_type><wp:comment_parent>${parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>`);
    }
    const cats = `<category domain="category" nicename="${CATEGORIES[p % CATEGORIES.length]}">${cdata(CATEGORIES[p % CATEGORIES.length]!)}</category><category domain="post_tag" nicename="${TAGS[p % TAGS.length]}">${cdata(TAGS[p % TAGS.length]!)}</category>`;
    await write(`<item><title>${cdata(title)}</title><link>https://bench.example/${slug}/</link><pubDate>${date.toUTCString()}</pubDate><dc:creator>${cdata(`author${1 + (p % AUTHORS)}`)}</dc:creator><guid isPermaLink="false">https://bench.example/?p=${p}</guid><description></description><content:encoded>${cdata(postContent(p))}</content:encoded><excerpt:encoded>${cdata('')}</excerpt:encoded><wp:post_id>${p}</wp:post_id><wp:post_date>${cdata(wpDate(date))}</wp:post_date><wp:post_date_gmt>${cdata(wpDate(date))}</wp:post_date_gmt><wp:post_modified>${cdata(wpDate(date))}</wp:post_modified><wp:post_modified_gmt>${cdata(wpDate(date))}</wp:post_modified_gmt><wp:comment_status>${cdata('open')}</wp:comment_status><wp:ping_status>${cdata('open')}</wp:ping_status><wp:post_name>${cdata(slug)}</wp:post_name><wp:status>${cdata(p % 50 === 0 ? 'draft' : 'publish')}</wp:status><wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order><wp:post_type>${cdata('post')}</wp:post_type><wp:post_password>${cdata('')}</wp:post_password><wp:is_sticky>0</wp:is_sticky>${cats}${comments.join('')}</item>\n`);
  }
  await write('</channel>\n</rss>\n');
  out.end();
  await once(out, 'finish');
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Peak resident memory of a running process (VmHWM is the kernel's high-water mark). */
function peakOf(pid: number): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** The CLI runs from dist/, as `npx lectern` does: build it first (the same as `npm run build`). */
function build(): Promise<void> {
  const tsc = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore' });
  return once(tsc, 'exit').then(() => {
    // tsc emits even when another file has a type error; what matters is that these exist.
    for (const f of ['dist/server/cli/index.js', 'dist/server/services/wordpress/import.js', 'dist/server/services/wordpress/convert-worker.js']) {
      statSync(join(root, f));
    }
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-bench-import-'));
  const file = join(dir, 'bench.xml');
  try {
    let t0 = performance.now();
    await writeWxr(file);
    const mb = statSync(file).size / 1024 / 1024;
    console.log(`Generated ${POSTS.toLocaleString('en')} posts and ${COMMENTS.toLocaleString('en')} comments: ${mb.toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    await build();
    console.log(`Built dist/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // `lectern import wordpress <file>` into a fresh SQLite database, exactly as a user runs it.
    const env = { ...process.env, DATA_DIR: join(dir, 'data'), DATABASE_URL: `sqlite:${join(dir, 'data', 'bench.db')}`, LOG_LEVEL: 'warn' };
    t0 = performance.now();
    const proc = spawn(process.execPath, [join(root, 'bin/lectern.js'), 'import', 'wordpress', file], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let peak = 0;
    let sampledRss = 0;
    let cpuSeconds = 0;
    const ticks = 100; // USER_HZ on Linux
    const poll = setInterval(() => {
      peak = Math.max(peak, peakOf(proc.pid!) ?? 0);
      const rss = /VmRSS:\s+(\d+) kB/.exec(readProc(`/proc/${proc.pid}/status`));
      if (rss) sampledRss = Math.max(sampledRss, Number(rss[1]) * 1024);
      // utime + stime of all the process's threads (fields 14 and 15 of /proc/<pid>/stat).
      const stat = readProc(`/proc/${proc.pid}/stat`).split(') ')[1]?.split(' ');
      if (stat) cpuSeconds = (Number(stat[11]) + Number(stat[12])) / ticks;
    }, 100);
    let output = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const [code] = (await once(proc, 'exit')) as [number];
    clearInterval(poll);
    const seconds = (performance.now() - t0) / 1000;
    console.log(output.trimEnd());
    if (code !== 0) throw new Error(`the import failed (exit ${code})`);

    const { openDatabase } = await import('../server/db/connect.js');
    const db = await openDatabase(env.DATABASE_URL);
    const count = async (table: 'posts' | 'comments') =>
      Number((await db.kysely.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const rows = { posts: await count('posts'), comments: await count('comments') };
    await db.close();

    const peakMb = Math.max(peak, sampledRss) / 1024 / 1024;
    console.log('');
    console.log(`Import wall time: ${seconds.toFixed(1)} s (aim: < 60 s) ${seconds < 60 ? 'OK' : 'OVER'}   [the whole command: start, migrate, check pass, import, links]`);
    console.log(`Peak RSS:         ${peakMb.toFixed(0)} MB (aim: < 300 MB) ${peakMb < 300 ? 'OK' : 'OVER'}   [VmHWM of the process; RSS sampled every 100 ms: ${(sampledRss / 1024 / 1024).toFixed(0)} MB]`);
    console.log(`CPU time:         ${cpuSeconds.toFixed(1)} s (user + system, all threads; on a busy machine wall time is longer than on an idle one)`);
    console.log(`Rows:             ${rows.posts.toLocaleString('en')} posts, ${rows.comments.toLocaleString('en')} comments`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (generateOnly) {
  await writeWxr(process.argv[3]!);
} else {
  await main();
}
