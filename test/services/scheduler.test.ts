import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addPost, buildTestApp, makeUser, postRow, type TestApp } from '../helpers/app.js';
import { runUpkeep } from '../../server/services/scheduler.js';
import { startSession } from '../../server/services/auth.js';

let t: TestApp;
beforeEach(async () => {
  t = await buildTestApp();
});
afterEach(() => t.close());

const T0 = new Date('2026-06-01T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('runUpkeep', () => {
  it('flips a due scheduled post to published, once', async () => {
    const author = await makeUser(t, 'author');
    const due = await addPost(t, author, { status: 'scheduled', published_at: at(60_000).toISOString() }, T0);
    const notYet = await addPost(t, author, { status: 'scheduled', published_at: at(3600_000).toISOString() }, T0);
    const draft = await addPost(t, author, { status: 'draft' }, T0);

    expect(await runUpkeep(t.db.kysely, at(30_000))).toMatchObject({ published: 0 });
    expect((await postRow(t, due))!.status).toBe('scheduled');

    expect(await runUpkeep(t.db.kysely, at(61_000))).toMatchObject({ published: 1 });
    expect(await postRow(t, due)).toMatchObject({ status: 'published', published_at: at(60_000).toISOString(), updated_at: at(61_000).toISOString() });
    expect((await postRow(t, notYet))!.status).toBe('scheduled');
    expect((await postRow(t, draft))!.status).toBe('draft');

    // Running again (or on a second instance) changes nothing.
    expect(await runUpkeep(t.db.kysely, at(62_000))).toMatchObject({ published: 0 });
    expect((await postRow(t, due))!.updated_at).toBe(at(61_000).toISOString());
  });

  it('purges ended sessions', async () => {
    const user = await makeUser(t, 'author');
    await startSession(t.db.kysely, user.id, T0);
    expect(await runUpkeep(t.db.kysely, at(60_000))).toMatchObject({ sessionsPurged: 0 });
    expect(await runUpkeep(t.db.kysely, at(31 * 86_400_000))).toMatchObject({ sessionsPurged: 1 });
    expect(await t.db.kysely.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });
});

describe('a scheduled post goes live by itself', () => {
  it('appears on the home page, its page and the API once its time passes, with no upkeep run', async () => {
    const author = await makeUser(t, 'author');
    const when = new Date(Date.now() + 1500);
    await addPost(t, author, { title: 'Timed announcement', status: 'scheduled', published_at: when.toISOString() });

    expect((await t.app.inject('/')).body).not.toContain('Timed announcement');
    expect((await t.app.inject('/posts/timed-announcement')).statusCode).toBe(404);
    expect((await t.app.inject('/api/v1/posts')).json().total).toBe(0);

    await new Promise((resolve) => setTimeout(resolve, when.getTime() - Date.now() + 50));

    expect((await t.app.inject('/')).body).toContain('Timed announcement');
    const page = await t.app.inject('/posts/timed-announcement');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Timed announcement');
    expect((await t.app.inject('/api/v1/posts')).json().total).toBe(1);
    // The row still says scheduled until upkeep runs; readers do not wait for it.
    expect((await t.db.kysely.selectFrom('posts').select('status').executeTakeFirstOrThrow()).status).toBe('scheduled');
  });
});
