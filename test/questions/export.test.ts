import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, type TestApp } from '../helpers/app.js';
import { jsonExport } from '../../server/services/export-json.js';
import { answer, questionPost } from './helpers.js';

/** `lectern export json` carries what issue 11 added: question posts, themes and their tags, likes, without any hash. */
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

async function exported(): Promise<Record<string, unknown[]>> {
  let text = '';
  for await (const piece of jsonExport(t.db.kysely, { baseUrl: 'http://localhost' })) text += piece;
  return JSON.parse(text) as Record<string, unknown[]>;
}

describe('the JSON export after issue 11', () => {
  it('has question posts, their themes, which answer carries which theme, and likes with no reader hash', async () => {
    const post = await questionPost(t);
    const first = await answer(t, post.slug, 'A warm welcome at the desk.', 'Alice');
    const second = await answer(t, post.slug, 'Listening to the whole question.', 'Bob');
    const editor = await apiToken(t, 'editor');
    for (const [id, themes] of [[first, ['Friendly / smiles']], [second, ['Listening', 'Friendly / smiles']]] as const) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/comments/${id}/themes`, headers: editor.headers, payload: { themes: [...themes] } });
      expect(res.statusCode, res.body).toBe(200);
    }
    const liked = await t.app.inject({ method: 'POST', url: `/api/v1/posts/${post.slug}/like` });
    expect(liked.statusCode, liked.body).toBe(201);

    const doc = await exported();
    expect(doc.posts).toContainEqual(expect.objectContaining({ id: post.id, is_question: true, discussion_mode: null, answer_comment_id: null }));
    const themes = doc.themes as { id: number; name: string }[];
    expect(themes.map((th) => th.name).sort()).toEqual(['Friendly / smiles', 'Listening']);
    const friendly = themes.find((th) => th.name === 'Friendly / smiles')!.id;
    const listening = themes.find((th) => th.name === 'Listening')!.id;
    expect(doc.comment_themes).toEqual(
      [
        { comment_id: first, theme_id: friendly },
        { comment_id: second, theme_id: friendly },
        { comment_id: second, theme_id: listening },
      ].sort((a, b) => a.comment_id - b.comment_id || a.theme_id - b.theme_id),
    );
    expect(doc.likes).toEqual([expect.objectContaining({ post_id: post.id, comment_id: null })]);
    const raw = JSON.stringify(doc);
    expect(raw).not.toContain('"reader_hash"');
    expect(raw).not.toContain('"ip_hash"');
  });
});
