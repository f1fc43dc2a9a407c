import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiToken, buildTestApp, makeUser, signIn, type TestApp } from '../helpers/app.js';
import { publishPost, setSettings } from '../helpers/content.js';
import { createMailTransport, type MailTransport } from '../../server/services/mail/sender.js';
import { deliverAll, linksIn, pathOf, postComment, queueRows, rawHeader, startSmtp, TEST_ENV, type TestSmtp } from './helpers.js';

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

describe('what gets mailed, to whom, with which links', () => {
  it('held → moderators; approved → the commenter; reply → the parent; new comment → followers of the post', async () => {
    await makeUser(t, 'admin', { email: 'Admin@Library.test' });
    await makeUser(t, 'editor', { email: 'editor@library.test' });
    await makeUser(t, 'author', { email: 'author@library.test' }); // not a moderator
    await makeUser(t, 'editor'); // a moderator without an address
    const mod = await apiToken(t, 'editor');
    const approve = (id: number, status = 'approved') =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}`, headers: mod.headers, payload: { status } });
    const post = await publishPost(t);
    const postUrl = `http://library.test/posts/${post.slug}`;

    // 1. Ann's first comment is held. She asks for both kinds of mail; only moderators hear now.
    const ann = await postComment(t, post.slug, { notify_replies: 'on', notify_post: 'on' });
    expect(ann.held).toBe(true);
    expect(await subscriptionsOf('ann@example.org')).toEqual([]); // nothing before approval
    expect(await deliverAll(t, transport)).toEqual({ sent: 2, retrying: 0, failed: 0 });
    expect(smtp.received.flatMap((r) => r.envelope.to).sort()).toEqual(['admin@library.test', 'editor@library.test']);
    const held = smtp.to('editor@library.test')[0]!;
    expect(held.mail.subject).toBe('[Lectern] A comment by Ann is awaiting moderation');
    expect(held.mail.text).toContain('Held because: first-time commenter');
    expect(held.mail.text).toContain('ann@example.org');
    const queueLink = `http://library.test/admin/comments?status=pending&post_id=${post.id}#q-${ann.id}`;
    expect(linksIn(held.mail.text!)).toContain(queueLink);
    expect(held.mail.html).toContain(`href="${queueLink.replace(/&/g, '&amp;')}"`);
    const moderator = await signIn(t, 'editor');
    const queue = await t.app.inject({ url: pathOf(queueLink), cookies: moderator.cookies });
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`id="q-${ann.id}"`);

    // 2. Approved: Ann hears it, and her subscriptions take effect.
    smtp.received.length = 0;
    await approve(ann.id);
    await deliverAll(t, transport);
    expect(smtp.received.map((r) => r.envelope.to)).toEqual([['ann@example.org']]);
    const approved = smtp.received[0]!;
    expect(approved.mail.subject).toBe(`Your comment on “${TITLE}” is published`);
    expect(linksIn(approved.mail.text!)).toContain(`${postUrl}#comment-${ann.id}`);
    expect(await subscriptionsOf('ann@example.org')).toEqual([
      { post_id: post.id, kind: 'post' },
      { post_id: post.id, kind: 'replies' },
    ]);

    // 3. Bo answers Ann (held, then approved): one reply mail to Ann, not also a new-comment mail.
    smtp.received.length = 0;
    const bo = await postComment(t, post.slug, { name: 'Bo', email: 'bo@example.org', body: 'I agree with *Ann*.', parent_id: String(ann.id) });
    expect(bo.held).toBe(true);
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toEqual([]); // held: nothing to Ann yet
    smtp.received.length = 0;
    await approve(bo.id);
    await deliverAll(t, transport);
    expect(smtp.received.map((r) => r.envelope.to)).toEqual([['ann@example.org']]); // Bo asked for nothing
    const reply = smtp.received[0]!;
    expect(reply.mail.subject).toBe(`Bo replied to your comment on “${TITLE}”`);
    expect(reply.mail.text).toContain('> Smiles matter.');
    expect(reply.mail.text).toContain('I agree with *Ann*.');
    expect(reply.mail.html).toContain('I agree with <em>Ann</em>.');
    expect(linksIn(reply.mail.text!)).toContain(`${postUrl}#comment-${bo.id}`);
    const page = await t.app.inject(pathOf(`${postUrl}#comment-${bo.id}`));
    expect(page.body).toContain(`id="comment-${bo.id}"`);

    // 4. Cy, approved at once: a new-comment mail to Ann; Cy is not told about her own comment.
    await setSettings(t, { moderation: 'none' });
    smtp.received.length = 0;
    const cy = await postComment(t, post.slug, { name: 'Cy', email: 'cy@example.org', body: 'Patience.', notify_post: 'on' });
    expect(cy.held).toBe(false);
    await deliverAll(t, transport);
    expect(smtp.received.map((r) => r.envelope.to)).toEqual([['ann@example.org']]);
    expect(smtp.received[0]!.mail.subject).toBe(`New comment on “${TITLE}” from Cy`);
    expect(linksIn(smtp.received[0]!.mail.text!)).toContain(`${postUrl}#comment-${cy.id}`);

    // 5. Ann answers herself, then comments again: Cy hears of both, Ann of neither.
    smtp.received.length = 0;
    await postComment(t, post.slug, { body: 'Adding to my own point.', parent_id: String(ann.id), notify_replies: 'on' });
    await postComment(t, post.slug, { body: 'And one more thing.' });
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toEqual([]);
    expect(smtp.to('cy@example.org').map((r) => r.mail.subject)).toEqual([`New comment on “${TITLE}” from Ann`, `New comment on “${TITLE}” from Ann`]);

    // Every mail: both parts, the sender, the unsubscribe headers and link, auto-submitted.
    // 2 held (Ann) + approved + 2 held (Bo) + reply + new comment (Cy) + 2 to Cy.
    const all = await queueRows(t);
    expect(all.map((r) => r.status)).toEqual(Array(9).fill('sent'));
    expect(all.map((r) => r.kind)).toEqual(['held', 'held', 'approved', 'held', 'held', 'reply', 'new-comment', 'new-comment', 'new-comment']);
    for (const message of [held, approved, reply, ...smtp.received]) {
      expect(message.mail.text).toBeTruthy();
      expect(message.mail.html).toBeTruthy();
      expect(message.mail.from?.text).toBe('"Lectern" <noreply@library.test>');
      expect(message.envelope.from).toBe('noreply@library.test');
      const unsubscribe = rawHeader(message, 'List-Unsubscribe')!;
      expect(unsubscribe).toMatch(/^<http:\/\/library\.test\/unsubscribe\?token=[\w-]+\.[\w-]+>$/);
      expect(linksIn(message.mail.text!)).toContain(unsubscribe.slice(1, -1));
      expect(message.mail.html).toContain(`href="${unsubscribe.slice(1, -1)}"`);
      expect(rawHeader(message, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(rawHeader(message, 'Auto-Submitted')).toBe('auto-generated');
    }
  });

  it('never mails about held or spam comments; mails once a comment is approved, and only once', async () => {
    await makeUser(t, 'admin', { email: 'admin@library.test' });
    const mod = await apiToken(t, 'admin');
    const patch = (id: number, status: string) =>
      t.app.inject({ method: 'PATCH', url: `/api/v1/comments/${id}`, headers: mod.headers, payload: { status } });
    const bulk = (ids: number[], status: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/comments/bulk', headers: mod.headers, payload: { ids, status } });
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await postComment(t, post.slug, { notify_post: 'on' }); // Ann follows the post
    await setSettings(t, { moderation: 'first-time', block_words: ['casino'] });
    await deliverAll(t, transport);
    smtp.received.length = 0;

    const dan = await postComment(t, post.slug, { name: 'Dan', email: 'dan@example.org', body: 'Held for now.' });
    const trap = await postComment(t, post.slug, { name: 'Bot', email: 'victim@example.org', body: 'Hello', homepage: 'http://spam.example', notify_post: 'on', notify_replies: 'on' });
    const blocked = await postComment(t, post.slug, { name: 'Bot', email: 'victim2@example.org', body: 'Best casino bonus', notify_post: 'on' });
    expect(dan.held && trap.held && blocked.held).toBe(true); // spam looks held to its poster
    const statuses = await t.db.kysely.selectFrom('comments').select(['id', 'status']).where('id', 'in', [dan.id, trap.id, blocked.id]).orderBy('id').execute();
    expect(statuses.map((s) => s.status)).toEqual(['pending', 'spam', 'spam']);
    await deliverAll(t, transport);
    // Only the moderator hears, and only of the held one.
    expect(smtp.received.map((r) => [r.envelope.to[0], r.mail.subject])).toEqual([['admin@library.test', '[Lectern] A comment by Dan is awaiting moderation']]);
    expect(await t.db.kysely.selectFrom('subscription_requests').selectAll().execute()).toEqual([]); // spam subscribes nobody

    smtp.received.length = 0;
    await patch(dan.id, 'approved');
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org').map((r) => r.mail.subject)).toEqual([`New comment on “${TITLE}” from Dan`]);

    // Unapprove and approve again, one at a time and in bulk: no second mail.
    await patch(dan.id, 'pending');
    await patch(dan.id, 'approved');
    await bulk([dan.id], 'pending');
    await bulk([dan.id], 'approved');
    await patch(dan.id, 'approved'); // already approved: no change
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toHaveLength(1);
    expect((await queueRows(t)).filter((r) => r.to_address === 'ann@example.org')).toHaveLength(1);

    // Approving in bulk mails about each comment once.
    const eve = await postComment(t, post.slug, { name: 'Eve', email: 'eve@example.org', body: 'One' });
    const fay = await postComment(t, post.slug, { name: 'Fay', email: 'fay@example.org', body: 'Two' });
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toHaveLength(1);
    expect((await bulk([eve.id, fay.id], 'approved')).json()).toEqual({ updated: 2, missing: [] });
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org').map((r) => r.mail.subject).slice(1)).toEqual([`New comment on “${TITLE}” from Eve`, `New comment on “${TITLE}” from Fay`]);

    // Spam restored by a moderator is news like any approval; its poster's ticks never counted.
    await patch(blocked.id, 'approved');
    await deliverAll(t, transport);
    expect(smtp.to('ann@example.org')).toHaveLength(4);
    expect(smtp.to('victim@example.org')).toEqual([]);
    expect(smtp.to('victim2@example.org')).toEqual([]);
    expect(await subscriptionsOf('victim2@example.org')).toEqual([]);
  });

  it('a reply below the deepest level mails the person actually answered, not the comment above', async () => {
    await setSettings(t, { moderation: 'none', thread_depth: 2 });
    const post = await publishPost(t);
    const top = await postComment(t, post.slug, { name: 'Top', email: 'top@example.org', body: 'Level one' });
    const deep = await postComment(t, post.slug, { name: 'Deep', email: 'deep@example.org', body: 'Level two', parent_id: String(top.id), notify_replies: 'on' });
    await deliverAll(t, transport);
    smtp.received.length = 0;
    const answer = await postComment(t, post.slug, { name: 'Cy', email: 'cy@example.org', body: 'Answering Deep', parent_id: String(deep.id) });
    const row = await t.db.kysely.selectFrom('comments').select(['parent_id', 'reply_to_id']).where('id', '=', answer.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ parent_id: top.id, reply_to_id: deep.id });
    await deliverAll(t, transport);
    expect(smtp.received.flatMap((r) => r.envelope.to)).toEqual(['deep@example.org']);
  });

  it('a name with CR/LF cannot add a header or a recipient', async () => {
    await makeUser(t, 'admin', { email: 'admin@library.test' });
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await postComment(t, post.slug, { notify_post: 'on' });
    await deliverAll(t, transport);
    smtp.received.length = 0;

    const evil = 'Eve\r\nBcc: victim@evil.example\r\nX-Injected: yes\nSubject: hijacked';
    // Approved at once (new-comment to Ann), then held (a mail to the moderator, name in the subject).
    await postComment(t, post.slug, { name: evil, email: 'eve@example.org', body: 'Hi.\r\n.\r\nRCPT TO:<victim@evil.example>\r\n' });
    await setSettings(t, { moderation: 'all' });
    await postComment(t, post.slug, { name: evil, email: 'eve@example.org', body: 'Again.' });
    await deliverAll(t, transport);

    expect(smtp.received).toHaveLength(2);
    for (const message of smtp.received) {
      expect(message.envelope.to).toHaveLength(1);
      expect(message.envelope.to[0]).not.toContain('evil');
      const head = message.raw.slice(0, message.raw.indexOf('\r\n\r\n'));
      expect(head).not.toMatch(/^(bcc|x-injected):/im);
      expect(head.match(/^subject:/gim)).toHaveLength(1);
      expect(message.mail.subject).not.toMatch(/[\r\n]/);
      expect(message.mail.subject).toContain('Eve Bcc: victim@evil.example X-Injected: yes Subject: hijacked');
      expect(message.mail.bcc).toBeUndefined();
    }
    expect(smtp.received.map((r) => r.envelope.to[0]).sort()).toEqual(['admin@library.test', 'ann@example.org']);
    // The HTML part escapes the name like everything else a user wrote.
    await setSettings(t, { moderation: 'none' });
    smtp.received.length = 0;
    await postComment(t, post.slug, { name: '<img src=x onerror=alert(1)>', email: 'mal@example.org', body: '<script>alert(1)</script>' });
    await deliverAll(t, transport);
    const html = smtp.to('ann@example.org')[0]!.mail.html as string;
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
  });

  it('a failure while queueing mail is logged, and the comment is still posted', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    await t.db.kysely.schema.dropTable('subscription_requests').execute();
    const { res, id } = await postComment(t, post.slug, { notify_post: 'on' });
    expect(res.statusCode).toBe(303);
    expect(await t.db.kysely.selectFrom('comments').select('status').where('id', '=', id).executeTakeFirst()).toEqual({ status: 'approved' });
    expect(t.logs()).toContain('queueing a notification failed');
  });

  it('takes the wishes from the JSON API as booleans', async () => {
    const post = await publishPost(t);
    await setSettings(t, { moderation: 'none' });
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/posts/${post.slug}/comments`,
      payload: { name: 'Gil', email: 'gil@example.org', body: 'Via the API', notify_replies: true, notify_post: false },
    });
    expect(res.statusCode).toBe(201);
    expect(await subscriptionsOf('gil@example.org')).toEqual([{ post_id: post.id, kind: 'replies' }]);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/posts/${post.slug}/comments`,
      payload: { name: 'Gil', email: 'gil@example.org', body: 'Again', notify_post: 'please' },
    });
    expect(bad.statusCode).toBe(422);
  });

  it('offers the two checkboxes under the comment form and keeps them ticked on an error', async () => {
    const post = await publishPost(t);
    const page = await t.app.inject(`/posts/${post.slug}`);
    expect(page.body).toContain('name="notify_replies"');
    expect(page.body).toContain('Email me when someone replies');
    expect(page.body).toContain('Email me about new comments on this post');
    const error = await postComment(t, post.slug, { body: '', notify_post: 'on' });
    expect(error.res.statusCode).toBe(422);
    expect(error.res.body).toMatch(/id="notify_post" name="notify_post" type="checkbox" checked/);
    expect(error.res.body).toMatch(/id="notify_replies" name="notify_replies" type="checkbox">/);
  });
});

describe('without SMTP_URL', () => {
  it('offers nothing, queues nothing, and the admin says why', async () => {
    const off = await buildTestApp();
    try {
      await makeUser(off, 'admin', { email: 'admin@library.test' });
      const post = await publishPost(off);
      const page = await off.app.inject(`/posts/${post.slug}`);
      expect(page.body).not.toContain('notify_replies');
      await postComment(off, post.slug, { notify_post: 'on', notify_replies: 'on' }); // held
      await setSettings(off, { moderation: 'none' });
      await postComment(off, post.slug, { name: 'Bo', email: 'bo@example.org', notify_post: 'on' }); // approved
      expect(await off.db.kysely.selectFrom('mail_queue').selectAll().execute()).toEqual([]);
      expect(await off.db.kysely.selectFrom('subscriptions').selectAll().execute()).toEqual([]);
      expect(await off.db.kysely.selectFrom('subscription_requests').selectAll().execute()).toEqual([]);
      const admin = await signIn(off, 'admin');
      const mail = await off.app.inject({ url: '/admin/mail', cookies: admin.cookies });
      expect(mail.statusCode).toBe(200);
      expect(mail.body).toContain('Email notifications are off: no SMTP server is configured.');
      expect(mail.body).toContain('SMTP_URL');
    } finally {
      await off.close();
    }
  });

  it('the admin page has no such note when SMTP is set', async () => {
    const admin = await signIn(t, 'admin');
    const mail = await t.app.inject({ url: '/admin/mail', cookies: admin.cookies });
    expect(mail.statusCode).toBe(200);
    expect(mail.body).not.toContain('Email notifications are off');
    expect(mail.body).toContain('href="/admin/mail"');
  });
});
