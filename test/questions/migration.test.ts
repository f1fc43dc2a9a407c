import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import * as m0080 from '../../migrations/0080_create_questions_and_themes.js';
import { answer, questionPost } from './helpers.js';

/** Migration 0080 goes down cleanly on either dialect (triggers, functions, index, columns) and up again. */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const columnsOf = async (table: string) => {
  const schema = t.db.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(t.db.kysely)).rows[0]!.s : undefined;
  const found = (await t.db.kysely.introspection.getTables()).find((x) => x.name === table && (schema === undefined || x.schema === schema));
  return found?.columns.map((c) => c.name) ?? null;
};

it('goes down and up again, and comments still work in between', async () => {
  const q = await questionPost(t);
  await answer(t, q.slug, 'Before the rollback.');
  await m0080.down(t.db.kysely);
  expect(await columnsOf('themes')).toBeNull();
  expect(await columnsOf('comment_themes')).toBeNull();
  expect(await columnsOf('posts')).not.toContain('is_question');
  // No trigger left behind that names the dropped column: deleting a comment still works.
  const id = await t.db.kysely.selectFrom('comments').select('id').executeTakeFirstOrThrow();
  await t.db.kysely.deleteFrom('comments').where('id', '=', id.id).execute();
  await m0080.up(t.db.kysely);
  expect(await columnsOf('posts')).toEqual(expect.arrayContaining(['is_question', 'answer_comment_id']));
  expect(await columnsOf('comment_themes')).toEqual(expect.arrayContaining(['comment_id', 'theme_id', 'tagged_by', 'created_at']));
});
