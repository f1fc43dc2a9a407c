import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeUser, postForm, signIn, type TestApp, buildTestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { createMailTransport, type MailTransport } from '../../server/services/mail/sender.js';
import { signToken } from '../../server/services/mail/queue.js';
import { deliverAll, linksIn, pathOf, postComment, rawHeader, startSmtp, TEST_ENV, type Received, type TestSmtp } from './helpers.js';

let smtp: TestSmtp;
let transport: MailTransport;
let t: TestApp;

beforeAll(async () => {
  smtp = await startSmtp();
  transport = createMailTransport(smtp.url);
});
afterAll(async () => {
  transport.close?.();
  await smtp.close();
});
beforeEach(async () => {
  smtp.received.length = 0;
  t = await buildTestApp(TEST_ENV(smtp));
});
afterEach(async () => {
  await t.close();
});

const TITLE = 'What makes good customer service?';
const subscriptionsOf = (email: string) =>
  t.db.kysely.selectFrom('subscriptions').select(['post_id', 'kind']).where('email', '=', email).orderBy('kind').execute();
const headerLink = (message: Received) => rawHeader(message, 'List-Unsubscribe')!.slice(1, -1);
const oneClick = (link: string, payload = 'List-Unsubscribe=One-Click', contentType = 'application/x-www-form-urlencoded') =>
  t.app.inject({ method: 'POST', url: pathOf(link), headers: { 'content-type': contentType }, payload });

describe('one-click unsubscribe, no sign-in', () => {
  it('the link in a mail asks first, then stops exactly that mail; the RFC 8058 POST works as well', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const ann = await postComment(t, post.slug, { notify_replies: 'on', notify_post: 'on' });
    await postComment(t, post.slug, { name: 'Bo', email: 'bo@example.org', body: 'Yes!', parent_id: String(ann.id) });
    await deliverAll(t, transport);
    const [reply] = smtp.to('ann@example.org');
    expect(reply!.mail.subject).toBe(`Bo replied to your comment on “${TITLE}”`);

    // The header and the body carry the same signed link.
    const link = headerLink(reply!);
    expect(linksIn(reply!.mail.text!)).toContain(link);
    expect(reply!.mail.text).toContain(`Stop email about replies to your comments on “${TITLE}”`);

    // GET only asks (mail scanners follow links), and changes nothing.
    const confirm = await t.app.inject(pathOf(link));
    expect(confirm.statusCode).toBe(200);
    expect(confirm.headers['x-robots-tag']).toBe('noindex');
    expect(confirm.body).toContain(`email about replies to your comments on “${TITLE}”`);
    expect(confirm.body).toContain('ann@example.org');
    expect(confirm.body).toContain('<form method="post" action="/unsubscribe"');
    expect(await subscriptionsOf('ann@example.org')).toHaveLength(2);

    // The page's button: a plain form POST with the token, no cookies, no CSRF token.
    const token = /name="token" value="([^"]+)"/.exec(confirm.body)![1]!;
    const done = await t.app.inject({
      method: 'POST',
      url: '/unsubscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token }).toString(),
    });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('You are unsubscribed');
    expect(await subscriptionsOf('ann@example.org')).toEqual([{ post_id: post.id, kind: 'post' }]);

    // Replies no longer reach Ann; new comments on the post still do.
    smtp.received.length = 0;
    await postComment(t, post.slug, { name: 'Cy', email: 'cy@example.org', body: 'Me too', parent_id: String(ann.id) });
    await deliverAll(t, transport);
    const [news] = smtp.to('ann@example.org');
    expect(smtp.to('ann@example.org')).toHaveLength(1);
    expect(news!.mail.subject).toBe(`New comment on “${TITLE}” from Cy`);

    // A mail program's one-click POST (RFC 8058) to the header's link.
    const res = await oneClick(headerLink(news!));
    expect(res.statusCode).toBe(200);
    expect(await subscriptionsOf('ann@example.org')).toEqual([]);
    expect((await oneClick(headerLink(news!))).statusCode).toBe(200); // again: still fine
    // RFC 8058 allows multipart/form-data too.
    const boundary = 'b0undary';
    const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    expect((await oneClick(headerLink(news!), multipart, `multipart/form-data; boundary=${boundary}`)).statusCode).toBe(200);

    smtp.received.length = 0;
    await postComment(t, post.slug, { name: 'Dee', email: 'dee@example.org', body: 'Late to this', parent_id: String(ann.id) });
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toEqual([]);
  });

  it('"Stop all email" removes every subscription and waiting request of the address', async () => {
    const one = await publishPost(t);
    const two = await publishPost(t, { title: 'Opening hours' });
    await setSettings(t, { moderation: 'none' });
    await postComment(t, one.slug, { notify_post: 'on' });
    await postComment(t, two.slug, { notify_replies: 'on' });
    await setSettings(t, { moderation: 'all' });
    await postComment(t, two.slug, { body: 'Held one', notify_post: 'on' });
    await setSettings(t, { moderation: 'none' });
    await postComment(t, one.slug, { name: 'Bo', email: 'bo@example.org', body: 'News' });
    await deliverAll(t, transport);
    const [news] = smtp.to('ann@example.org');
    const confirm = await t.app.inject(pathOf(headerLink(news!)));
    const tokens = [...confirm.body.matchAll(/name="token" value="([^"]+)"/g)].map((m) => m[1]!);
    expect(tokens).toHaveLength(2);
    expect(confirm.body).toContain('Stop all email');
    const res = await t.app.inject({
      method: 'POST',
      url: '/unsubscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: tokens[1]! }).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('email from this site');
    expect(await subscriptionsOf('ann@example.org')).toEqual([]);
    expect(await t.db.kysely.selectFrom('subscription_requests').selectAll().execute()).toEqual([]);
  });

  it('refuses a link that was changed or signed with another key', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await postComment(t, post.slug, { notify_post: 'on' });
    await postComment(t, post.slug, { name: 'Bo', email: 'bo@example.org', body: 'News' });
    await deliverAll(t, transport);
    const link = new URL(headerLink(smtp.to('ann@example.org')[0]!));
    const token = link.searchParams.get('token')!;
    const [body, mac] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ e: 'bo@example.org', k: 'all' })).toString('base64url');
    const wrongKey = signToken('another-secret-that-is-long-enough-0000', 'unsubscribe', { e: 'ann@example.org', k: 'all' });
    for (const bad of [`${forgedBody}.${mac}`, `${body}.${mac!.slice(0, -2)}xx`, wrongKey, 'garbage', '']) {
      const get = await t.app.inject(`/unsubscribe?token=${encodeURIComponent(bad)}`);
      expect(get.statusCode).toBe(400);
      expect(get.body).toContain('This unsubscribe link does not work');
      expect((await oneClick(`http://library.test/unsubscribe?token=${encodeURIComponent(bad)}`)).statusCode).toBe(400);
    }
    expect(await subscriptionsOf('ann@example.org')).toHaveLength(1);
  });

  it('moderators can stop held-comment mail with one click, and an admin can turn it back on', async () => {
    await makeUser(t, 'admin', { email: 'admin@library.test' });
    await makeUser(t, 'editor', { email: 'editor@library.test' });
    const post = await publishPost(t);
    await postComment(t, post.slug, { name: 'One', email: 'one@example.org' });
    await deliverAll(t, transport);
    expect(smtp.received.flatMap((r) => r.envelope.to).sort()).toEqual(['admin@library.test', 'editor@library.test']);
    const [held] = smtp.to('editor@library.test');
    expect(held!.mail.text).toContain('Stop email about comments awaiting moderation');
    expect((await oneClick(headerLink(held!))).statusCode).toBe(200);

    smtp.received.length = 0;
    await postComment(t, post.slug, { name: 'Two', email: 'two@example.org' });
    await deliverAll(t, transport);
    expect(smtp.received.flatMap((r) => r.envelope.to)).toEqual(['admin@library.test']);

    const admin = await signIn(t, 'admin');
    const page = await t.app.inject({ url: '/admin/subscriptions?email=Editor@Library.test', cookies: admin.cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Email about comments awaiting moderation');
    const restored = await postForm(t, admin, '/admin/subscriptions/restore', { email: 'editor@library.test', kind: 'moderation' });
    expect(restored.statusCode).toBe(303);

    smtp.received.length = 0;
    await postComment(t, post.slug, { name: 'Three', email: 'three@example.org' });
    await deliverAll(t, transport);
    expect(smtp.received.flatMap((r) => r.envelope.to).sort()).toEqual(['admin@library.test', 'editor@library.test']);
  });
});

describe('/admin/subscriptions', () => {
  it('shows and removes the subscriptions of an email address; admins only', async () => {
    const one = await publishPost(t, { title: 'Story time' });
    const two = await publishPost(t, { title: 'Opening hours' });
    const three = await publishPost(t, { title: 'New books' });
    await setSettings(t, { moderation: 'none' });
    await postComment(t, one.slug, { notify_post: 'on' });
    await postComment(t, two.slug, { notify_replies: 'on' });
    await setSettings(t, { moderation: 'all' });
    await postComment(t, three.slug, { notify_post: 'on' }); // held: a request, not yet a subscription

    const editor = await signIn(t, 'editor');
    expect((await t.app.inject({ url: '/admin/subscriptions?email=ann@example.org', cookies: editor.cookies })).statusCode).toBe(403);

    const admin = await signIn(t, 'admin');
    const page = await t.app.inject({ url: '/admin/subscriptions?email=ANN@example.org', cookies: admin.cookies });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Subscriptions of ann@example.org');
    expect(page.body).toContain('Story time');
    expect(page.body).toContain('Every new comment');
    expect(page.body).toContain('Opening hours');
    expect(page.body).toContain('Replies to their comments');
    expect(page.body).toContain('Waiting for a held comment to be approved');
    expect(page.body).toContain('New books');

    const ids = [...page.body.matchAll(/action="\/admin\/subscriptions\/(\d+)\/delete"/g)].map((m) => m[1]!);
    expect(ids).toHaveLength(2);
    const removed = await postForm(t, admin, `/admin/subscriptions/${ids[0]}/delete`, { email: 'ann@example.org' });
    expect(removed.statusCode).toBe(303);
    expect(removed.headers.location).toBe('/admin/subscriptions?email=ann%40example.org&done=removed');
    expect(await subscriptionsOf('ann@example.org')).toEqual([{ post_id: two.id, kind: 'replies' }]);

    // Without the CSRF token nothing happens.
    const forged = await postForm(t, { cookies: admin.cookies, csrf: 'nope' }, '/admin/subscriptions/remove-all', { email: 'ann@example.org' });
    expect(forged.statusCode).toBe(403);
    expect(await subscriptionsOf('ann@example.org')).toHaveLength(1);

    const all = await postForm(t, admin, '/admin/subscriptions/remove-all', { email: 'ann@example.org' });
    expect(all.statusCode).toBe(303);
    expect(await subscriptionsOf('ann@example.org')).toEqual([]);
    expect(await t.db.kysely.selectFrom('subscription_requests').selectAll().execute()).toEqual([]);
    const after = await t.app.inject({ url: all.headers.location as string, cookies: admin.cookies });
    expect(after.body).toContain('Every subscription of this address was removed.');
    expect(after.body).toContain('No subscriptions.');
  });
});
