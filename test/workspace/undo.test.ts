import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, postForm, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { api, commentCount, commentRow, logOf, postComment, statusOf } from './helpers.js';

let t: TestApp;
let post: { id: number; slug: string };
beforeEach(async () => {
  t = await buildTestApp();
  post = await publishPost(t);
});
afterEach(() => t.close());

const undo = (headers: Record<string, string>, actionId?: string) => api(t, headers, 'POST', '/api/v1/moderation/undo', actionId ? { action_id: actionId } : {});

describe('undo through the API', () => {
  it('puts a comment back where it was, audited, and only once', async () => {
    const mod = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug);
    await api(t, mod.headers, 'PATCH', `/api/v1/comments/${id}`, { status: 'approved' });
    expect(await commentCount(t, post.id)).toBe(1);

    const res = await undo(mod.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().undone.comments).toEqual([{ id, status: 'pending' }]);
    expect(await statusOf(t, id)).toBe('pending');
    expect(await commentCount(t, post.id)).toBe(0);
    const log = await logOf(t, id);
    expect(log.map((r) => `${r.from_status}→${r.to_status}`)).toEqual(['pending→approved', 'approved→pending']);
    expect(log[1]!.undo_of).toBe(log[0]!.action_id);
    expect(log[1]!.actor_id).toBe(mod.user.id);
    expect(res.json().undone.action_id).toBe(log[0]!.action_id);

    const again = await undo(mod.headers);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.message).toMatch(/undo cannot be undone/);
    const byId = await undo(mod.headers, log[0]!.action_id!);
    expect(byId.statusCode).toBe(409);
    expect(byId.json().error.message).toBe('That action was already undone');
    expect(await statusOf(t, id)).toBe('pending');
    expect(await logOf(t, id)).toHaveLength(2);
  });

  it('undoes a bulk action as one', async () => {
    const mod = await apiToken(t, 'admin');
    const ids = [
      await postComment(t, post.slug, { email: 'a@example.org' }),
      await postComment(t, post.slug, { email: 'b@example.org' }),
      await postComment(t, post.slug, { email: 'c@example.org' }),
    ];
    await api(t, mod.headers, 'PATCH', `/api/v1/comments/${ids[2]}`, { status: 'spam' });
    const bulk = await api(t, mod.headers, 'POST', '/api/v1/comments/bulk', { ids, status: 'approved' });
    expect(bulk.json().updated).toBe(3);
    expect(await commentCount(t, post.id)).toBe(3);
    const res = await undo(mod.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().undone.comments).toEqual([
      { id: ids[0], status: 'pending' },
      { id: ids[1], status: 'pending' },
      { id: ids[2], status: 'spam' },
    ]);
    expect(await commentCount(t, post.id)).toBe(0);
    expect(await Promise.all(ids.map((id) => statusOf(t, id)))).toEqual(['pending', 'pending', 'spam']);
  });

  it('brings a deleted comment back: same id, its replies under it again, its notes, the count', async () => {
    await setSettings(t, { moderation: 'none' });
    const mod = await apiToken(t, 'editor');
    const top = await postComment(t, post.slug, { body: 'Top' });
    const middle = await postComment(t, post.slug, { body: 'Middle words', parent_id: String(top) });
    const leaf = await postComment(t, post.slug, { body: 'Leaf', parent_id: String(middle), email: 'leaf@example.org' });
    await api(t, mod.headers, 'POST', `/api/v1/comments/${middle}/notes`, { body: 'Keep an eye on this thread' });
    const before = await commentRow(t, middle);
    expect(await commentCount(t, post.id)).toBe(3);

    expect((await api(t, mod.headers, 'DELETE', `/api/v1/comments/${middle}`)).statusCode).toBe(204);
    expect(await commentRow(t, middle)).toBeUndefined();
    expect((await commentRow(t, leaf))!.parent_id).toBe(top);
    expect((await commentRow(t, leaf))!.reply_to_id).toBeNull();
    expect(await commentCount(t, post.id)).toBe(2);
    expect(await t.db.kysely.selectFrom('comment_snapshots').select('comment_id').execute()).toEqual([{ comment_id: middle }]);

    const res = await undo(mod.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().undone.comments).toEqual([{ id: middle, status: 'approved' }]);
    const after = await commentRow(t, middle);
    expect({ ...after, updated_at: '' }).toEqual({ ...before, updated_at: '' });
    expect((await commentRow(t, leaf))!.parent_id).toBe(middle);
    expect((await commentRow(t, leaf))!.reply_to_id).toBe(middle);
    expect(await commentCount(t, post.id)).toBe(3);
    const notes = await api(t, mod.headers, 'GET', `/api/v1/comments/${middle}/notes`);
    expect(notes.json().notes.map((n: { body: string }) => n.body)).toEqual(['Keep an eye on this thread']);
    // The copy is used up.
    expect(await t.db.kysely.selectFrom('comment_snapshots').selectAll().execute()).toEqual([]);
    expect((await logOf(t, middle)).map((r) => `${r.from_status}→${r.to_status}`)).toEqual(['approved→deleted', 'deleted→approved']);
  });

  it('brings back a reply and its parent deleted together, in their places, whichever went first', async () => {
    await setSettings(t, { moderation: 'none', comment_rate_per_minute: 1000 });
    const mod = await signIn(t, 'editor');
    for (const order of ['parent first', 'reply first']) {
      const top = await postComment(t, post.slug, { body: `Top ${order}` });
      const parent = await postComment(t, post.slug, { body: 'Parent', parent_id: String(top), email: 'p@example.org' });
      const reply = await postComment(t, post.slug, { body: 'Reply', parent_id: String(parent), email: 'r@example.org' });
      const ids = order === 'parent first' ? [parent, reply] : [reply, parent];
      expect((await postForm(t, mod, '/admin/comments/bulk', { ids: ids.map(String), bulk_action: 'deleted' })).statusCode).toBe(303);
      expect(await commentRow(t, parent)).toBeUndefined();
      expect(await commentRow(t, reply)).toBeUndefined();
      expect((await postForm(t, mod, '/admin/moderation/undo', {})).statusCode).toBe(303);
      expect(await commentRow(t, parent), order).toMatchObject({ parent_id: top, reply_to_id: top, status: 'approved' });
      expect(await commentRow(t, reply), order).toMatchObject({ parent_id: parent, reply_to_id: parent, status: 'approved' });
    }
    expect(await commentCount(t, post.id)).toBe(6);
  });

  it('keeps the copy of a deleted comment under the privacy tools: exported, and erased with the person', async () => {
    const mod = await apiToken(t, 'editor');
    const admin = await apiToken(t, 'admin');
    const id = await postComment(t, post.slug, { email: 'gone@example.org', body: 'Words to forget' });
    await api(t, mod.headers, 'DELETE', `/api/v1/comments/${id}`);
    const exported = await api(t, admin.headers, 'GET', '/api/v1/privacy?email=gone%40example.org');
    expect(exported.json().other_records.comment_snapshots).toHaveLength(1);
    expect(exported.json().other_records.comment_snapshots[0].data).toContain('Words to forget');
    const erased = await api(t, admin.headers, 'POST', '/api/v1/privacy/erase', { email: 'gone@example.org', mode: 'delete' });
    expect(erased.json().remaining).toEqual([]);
    expect(await t.db.kysely.selectFrom('comment_snapshots').selectAll().execute()).toEqual([]);
    const res = await undo(mod.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toBe(`Comment #${id} cannot be brought back: no copy of it was kept`);
    expect(await commentRow(t, id)).toBeUndefined();
  });

  it('refuses someone else’s action, an action one has acted since, and a comment moved again', async () => {
    const ann = await apiToken(t, 'editor');
    const bo = await apiToken(t, 'editor');
    const one = await postComment(t, post.slug, { email: 'one@example.org' });
    const two = await postComment(t, post.slug, { email: 'two@example.org' });

    await api(t, ann.headers, 'PATCH', `/api/v1/comments/${one}`, { status: 'approved' });
    const annAction = (await logOf(t, one))[0]!.action_id!;
    const others = await undo(bo.headers, annAction);
    expect(others.statusCode).toBe(409);
    expect(others.json().error.message).toBe(`That action was ${ann.user.display_name}'s: only they can undo it`);
    expect((await undo(bo.headers)).json().error.message).toBe('You have no moderation action to undo');

    // Bo moves Ann's comment again: her action can no longer be undone.
    await api(t, bo.headers, 'PATCH', `/api/v1/comments/${one}`, { status: 'spam' });
    const moved = await undo(ann.headers);
    expect(moved.statusCode).toBe(409);
    expect(moved.json().error.message).toBe(`Comment #${one} has been moved again since (by ${bo.user.display_name}), so this action can no longer be undone`);
    expect(await statusOf(t, one)).toBe('spam');

    // Ann acts again: only that newest action is hers to undo.
    await api(t, ann.headers, 'PATCH', `/api/v1/comments/${two}`, { status: 'rejected' });
    const old = await undo(ann.headers, annAction);
    expect(old.statusCode).toBe(409);
    expect(old.json().error.message).toMatch(/you have acted since|moved again/);
    expect((await undo(ann.headers)).statusCode).toBe(200);
    expect(await statusOf(t, two)).toBe('pending');

    expect((await undo(ann.headers, '00000000-0000-0000-0000-000000000000')).statusCode).toBe(404);
  });

  it('lets only one of two simultaneous undos through', async () => {
    const mod = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug);
    await api(t, mod.headers, 'PATCH', `/api/v1/comments/${id}`, { status: 'approved' });
    const answers = await Promise.all([undo(mod.headers), undo(mod.headers)]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    expect(await statusOf(t, id)).toBe('pending');
    expect(await commentCount(t, post.id)).toBe(0);
    expect(await logOf(t, id)).toHaveLength(2);
  });

  it('refuses authors and visitors', async () => {
    const author = await apiToken(t, 'author');
    expect((await undo(author.headers)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/moderation/undo', payload: {} })).statusCode).toBe(401);
  });
});

describe('undo in the queue', () => {
  it('says "Approved 3 comments." with an Undo button after a bulk action, and undoes them all', async () => {
    const mod = await signIn(t, 'editor');
    const ids = [
      await postComment(t, post.slug, { email: 'a@example.org' }),
      await postComment(t, post.slug, { email: 'b@example.org' }),
      await postComment(t, post.slug, { email: 'c@example.org' }),
    ];
    const acted = await postForm(t, mod, '/admin/comments/bulk', { ids: ids.map(String), bulk_action: 'approved', return_to: '/admin/comments?status=pending' });
    expect(acted.statusCode).toBe(303);
    const location = acted.headers.location as string;
    expect(location).toMatch(/^\/admin\/comments\?status=pending&undo=[0-9a-f-]{36}$/);
    const queue = await t.app.inject({ url: location, cookies: mod.cookies });
    expect(queue.body).toContain('Approved 3 comments.');
    expect(queue.body).toMatch(/<form method="post" action="\/admin\/moderation\/undo"[\s\S]*?name="action_id" value="[0-9a-f-]{36}"[\s\S]*?>Undo<\/button>/);
    const actionId = /name="action_id" value="([0-9a-f-]{36})"/.exec(queue.body)![1]!;
    expect(await commentCount(t, post.id)).toBe(3);

    const undone = await postForm(t, mod, '/admin/moderation/undo', { action_id: actionId, return_to: '/admin/comments?status=pending' });
    expect(undone.statusCode).toBe(303);
    expect(undone.headers.location).toMatch(/^\/admin\/comments\?status=pending&undone=[0-9a-f-]{36}$/);
    const after = await t.app.inject({ url: undone.headers.location as string, cookies: mod.cookies });
    expect(after.body).toContain('Undone: 3 comments put back as they were (3 pending).');
    expect(await commentCount(t, post.id)).toBe(0);
    expect(await Promise.all(ids.map((id) => statusOf(t, id)))).toEqual(['pending', 'pending', 'pending']);

    // The old notice no longer offers the button.
    const stale = await t.app.inject({ url: location, cookies: mod.cookies });
    expect(stale.body).toContain('It can no longer be undone.');
    const twice = await postForm(t, mod, '/admin/moderation/undo', { action_id: actionId });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('That action was already undone');
  });

  it('offers undo after a single action and a delete, and refuses authors', async () => {
    const mod = await signIn(t, 'admin');
    const author = await signIn(t, 'author');
    const id = await postComment(t, post.slug);
    const spam = await postForm(t, mod, `/admin/comments/${id}/status`, { status: 'spam', return_to: '/admin/comments' });
    expect((await t.app.inject({ url: spam.headers.location as string, cookies: mod.cookies })).body).toContain('Marked 1 comment as spam.');
    const deleted = await postForm(t, mod, `/admin/comments/${id}/delete`, { return_to: '/admin/comments?status=spam' });
    const page = await t.app.inject({ url: deleted.headers.location as string, cookies: mod.cookies });
    expect(page.body).toContain('Deleted 1 comment.');
    expect((await postForm(t, author, '/admin/moderation/undo', {})).statusCode).toBe(403);
    expect(await statusOf(t, id)).toBeUndefined();
    expect((await postForm(t, mod, '/admin/moderation/undo', {})).statusCode).toBe(303);
    expect(await statusOf(t, id)).toBe('spam');
  });
});

describe('undo and the page cache', () => {
  it('shows a deleted-then-restored comment again on a cached anonymous page', async () => {
    await setSettings(t, { moderation: 'none' });
    const mod = await apiToken(t, 'editor');
    const id = await postComment(t, post.slug, { body: 'Friendly staff who smile.' });
    const url = `/posts/${post.slug}`;
    await t.app.inject(url);
    const warm = await t.app.inject(url);
    expect(warm.headers['x-page-cache']).toBe('hit');
    expect(warm.body).toContain('Friendly staff who smile.');

    await api(t, mod.headers, 'DELETE', `/api/v1/comments/${id}`);
    const gone = await t.app.inject(url);
    expect(gone.body).not.toContain('Friendly staff who smile.');
    await t.app.inject(url);
    expect((await t.app.inject(url)).headers['x-page-cache']).toBe('hit');

    expect((await undo(mod.headers)).statusCode).toBe(200);
    const back = await t.app.inject(url);
    expect(back.headers['x-page-cache']).toBe('miss');
    expect(back.body).toContain('Friendly staff who smile.');
    expect(back.body).toContain(`id="comment-${id}"`);
  });
});
