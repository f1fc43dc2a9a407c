import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeUser, type TestApp } from '../helpers/app.js';
import { createPost } from '../../server/services/posts.js';
import { beginImportJob } from '../../server/services/wordpress/import.js';
import { WxrError } from '../../server/services/wordpress/wxr-parse.js';
import { FIXTURE, fixtureText, importFile, postByWpId, snapshot, writeTemp } from './helpers.js';

/**
 * A damaged or foreign file fails with the line (and column) of the problem, and the
 * database is exactly as it was; an import that fails half-way is undone.
 */

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
  // A site with content of its own, so "unchanged" means something.
  const author = await makeUser(t, 'author');
  await createPost(t.db.kysely, author, { title: 'Already here', body: 'Our own post.', status: 'published', tags: ['local'] });
});

afterAll(async () => {
  await t?.close();
});

const full = () => readFileSync(FIXTURE);
const wxrHead = fixtureText().slice(0, fixtureText().indexOf('<wp:author>'));

describe('a file that is not a usable WordPress export', () => {
  it.each([
    ['truncated in the middle', () => full().subarray(0, 50_000), /^truncated\.xml: line 875, column \d+: not well-formed XML: unclosed tag: content:encoded$/],
    ['truncated after an item', () => full().subarray(0, full().indexOf('</item>') + 7), /^truncated\.xml: line \d+, column \d+: not well-formed XML: unclosed tag: channel$/],
    ['not XML at all', () => Buffer.from('\n  %PDF-1.7\n%âãÏÓ\n1 0 obj\n'), /^truncated\.xml: line 2, column 3: this is not an XML file/],
    ['an image', () => Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /^truncated\.xml: line 1, column 1: this is not an XML file/],
    ['XML, but an HTML page', () => Buffer.from('<?xml version="1.0"?>\n<html>\n  <body><p>Hello</p></body>\n</html>\n'), /^truncated\.xml: line 2, column 7: this is not a WordPress export: the document is <html>, not <rss>$/],
    [
      'a plain RSS feed',
      () => Buffer.from('<?xml version="1.0"?>\n<rss version="2.0">\n<channel>\n<title>News</title>\n<item>\n<title>One</title>\n</item>\n</channel>\n</rss>\n'),
      /^truncated\.xml: line 5, column 7: this is not a WordPress export: there is no <wp:wxr_version> before the first author, term or item/,
    ],
    ['an unsupported WXR version', () => Buffer.from(wxrHead.replace('<wp:wxr_version>1.2</wp:wxr_version>', '<wp:wxr_version>9.9</wp:wxr_version>') + '</channel></rss>'), /WXR version 9\.9 is not supported/],
    [
      'an item without its WordPress id',
      () => Buffer.from(fixtureText().replace('<wp:post_id>13</wp:post_id>', '<wp:post_id></wp:post_id>')),
      /^truncated\.xml: line 1176, column 1: this <item> has no valid <wp:post_id>$/,
    ],
    ['an undefined entity', () => Buffer.from(fixtureText().replace('<wp:post_parent>0</wp:post_parent>', '<wp:post_parent>&nbsp;0</wp:post_parent>')), /^truncated\.xml: line 271, column \d+: not well-formed XML: undefined entity/],
    ['empty', () => Buffer.alloc(0), /^truncated\.xml: line 1, column \d+: not well-formed XML: document must contain a root element/],
  ])('%s: a one-line error naming the line; the database untouched', async (_label, content, message) => {
    const before = await snapshot(t.db);
    const file = writeTemp('truncated.xml', content());
    const error = await importFile(t.db, file).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(WxrError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
    // Every table, the jobs log included: nothing at all was written.
    expect(await snapshot(t.db)).toEqual(before);
  });
});

describe('an import that fails half-way', () => {
  it('is undone completely: created rows go, updated rows get their old values back', async () => {
    await importFile(t.db);
    const before = await snapshot(t.db, ['jobs']);
    // A newer export: changed posts (updated on re-import) and new ones (created).
    const text = fixtureText()
      .replace('<title><![CDATA[Welcome to the new Millbrook Library blog]]></title>', '<title><![CDATA[Welcome, changed]]></title>')
      .replace(/<wp:post_id>(\d+)<\/wp:post_id>/g, (m, id: string) => (Number(id) >= 20 ? `<wp:post_id>${Number(id) + 1000}</wp:post_id>` : m))
      .replace(/<wp:comment_id>(\d+)<\/wp:comment_id>/g, (m, id: string) => (Number(id) >= 40 ? `<wp:comment_id>${Number(id) + 1000}</wp:comment_id>` : m))
      .replace(/<wp:comment_parent>(\d+)<\/wp:comment_parent>/g, (m, id: string) => (Number(id) >= 40 ? `<wp:comment_parent>${Number(id) + 1000}</wp:comment_parent>` : m));
    const file = writeTemp('newer.xml', text);
    let batches = 0;
    const error = await importFile(t.db, file, {
      batchSize: 2,
      afterBatch: (n) => {
        batches = n;
        if (n === 8) throw new Error('disk full (simulated)');
      },
    }).catch((err: unknown) => err as Error);
    expect(batches).toBe(8);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('disk full (simulated)');
    expect(await snapshot(t.db, ['jobs'])).toEqual(before);
    expect((await postByWpId(t.db, 6)).title).toBe('Welcome to the new Millbrook Library blog');
    const job = await t.db.kysely.selectFrom('jobs').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(job).toMatchObject({ status: 'failed', message: 'disk full (simulated) (nothing was kept)' });
    expect(await t.db.kysely.selectFrom('import_journal').selectAll().execute()).toEqual([]);
    // And the same file then imports cleanly.
    const summary = await importFile(t.db, file);
    expect(summary.counts.posts.created).toBe(6);
    expect(summary.counts.posts.updated).toBe(1);
  });

  it('after a crash, is undone by the next import before it starts', async () => {
    const before = await snapshot(t.db, ['jobs']);
    const text = fixtureText().replace(/<wp:post_id>(\d+)<\/wp:post_id>/g, (_m, id: string) => `<wp:post_id>${Number(id) + 5000}</wp:post_id>`)
      .replace(/<wp:comment_id>(\d+)<\/wp:comment_id>/g, (_m, id: string) => `<wp:comment_id>${Number(id) + 5000}</wp:comment_id>`);
    const file = writeTemp('crash.xml', text);
    // The process "dies" after three batches: the import never goes on, nor undoes itself.
    let stalled!: () => void;
    const reached = new Promise<void>((resolve) => (stalled = resolve));
    const postCount = async () => (await t.db.kysely.selectFrom('posts').select('id').execute()).length;
    void importFile(t.db, file, {
      batchSize: 3,
      afterBatch: async () => {
        if ((await postCount()) > before.posts!.length + 3) {
          stalled();
          await new Promise<void>(() => {});
        }
      },
    });
    await reached;
    expect(await postCount()).toBeGreaterThan(before.posts!.length + 3);
    // A second import while it "runs" is refused.
    await expect(beginImportJob(t.db.kysely, { label: 'x.xml', bytes: 1, createdBy: null })).rejects.toThrow(/Another WordPress import is running/);
    // Time passes without a heartbeat: the next import finds it stale and undoes it first.
    await t.db.kysely.updateTable('jobs').set({ updated_at: '2000-01-01T00:00:00.000Z' }).where('status', '=', 'running').execute();
    const next = await beginImportJob(t.db.kysely, { label: 'next.xml', bytes: 1, createdBy: null });
    expect(await snapshot(t.db, ['jobs'])).toEqual(before);
    const crashed = await t.db.kysely.selectFrom('jobs').selectAll().where('id', '<', next.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(crashed).toMatchObject({ status: 'failed', message: 'Interrupted (the process stopped); its changes were undone.' });
    await t.db.kysely.updateTable('jobs').set({ status: 'done' }).where('id', '=', next.id).execute();
  });
});
