import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiToken, buildTestApp, signIn, type TestApp } from '../helpers/app.js';
import { createPostgresSchema, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';
import { openDatabase } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { copySite } from '../../server/services/copy-site.js';
import { answer, questionPost, staffReply } from './helpers.js';

/**
 * A site copy (lectern copy) carries question posts whole: the pinned answer (posts are
 * written before comments, which is why answer_comment_id has no foreign key), the themes
 * and the tags. The copy goes to the other dialect than the one the suite runs on.
 */
let t: TestApp;
let dir: string;
let target: TestDatabase;

beforeAll(async () => {
  t = await buildTestApp();
  dir = mkdtempSync(join(tmpdir(), 'lectern-qcopy-'));
  target = TEST_DIALECT === 'postgres' ? { url: `sqlite:${join(dir, 'copy.db')}`, drop: async () => {} } : await createPostgresSchema();
});
afterAll(async () => {
  await t.close();
  await target.drop();
  rmSync(dir, { recursive: true, force: true });
});

it('copies the official answer, the themes and the tags to the other database', async () => {
  const q = await questionPost(t);
  const editor = await signIn(t, 'editor');
  const api = await apiToken(t, 'editor');
  const a = await answer(t, q.slug, 'Smiles.');
  const b = await answer(t, q.slug, 'Listening.');
  const reply = await staffReply(t, editor, q.slug, 'Thank you both.', a);
  expect((await t.app.inject({ method: 'PUT', url: `/api/v1/posts/${q.slug}/answer`, headers: api.headers, payload: { comment_id: reply } })).statusCode).toBe(200);
  for (const [id, themes] of [[a, ['Friendly / smiles']], [b, ['Listening', 'Friendly / smiles']]] as const) {
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/comments/${id}/themes`, headers: api.headers, payload: { themes } })).statusCode).toBe(200);
  }

  const db = await openDatabase(target.url);
  try {
    await migrateToLatest(db);
    const report = await copySite(t.db, db);
    expect(report.tables.filter((r) => ['themes', 'comment_themes'].includes(r.table))).toEqual([
      { table: 'themes', source: 2, target: 2 },
      { table: 'comment_themes', source: 3, target: 3 },
    ]);
  } finally {
    await db.close();
  }
  const copy = await buildTestApp({ DATABASE_URL: target.url });
  try {
    for (const url of [`/api/v1/posts/${q.slug}/summary`, `/api/v1/posts/${q.slug}`]) {
      const [here, there] = await Promise.all([t.app.inject(url), copy.app.inject(url)]);
      expect(there.statusCode).toBe(200);
      expect(there.json(), url).toEqual(here.json());
    }
    expect((await copy.app.inject(`/api/v1/posts/${q.slug}`)).json().post.answer_comment_id).toBe(reply);
  } finally {
    await copy.close();
  }
});
