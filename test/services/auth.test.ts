import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeUser, PASSWORD, type TestApp } from '../helpers/app.js';
import {
  checkCredentials,
  endSession,
  purgeExpiredSessions,
  resolveApiToken,
  resolveSession,
  SESSION_ABSOLUTE_MS,
  SESSION_IDLE_MS,
  startSession,
} from '../../server/services/auth.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../server/services/passwords.js';
import { createApiToken, createApiTokenFor, revokeApiToken } from '../../server/services/api-tokens.js';
import { sha256 } from '../../server/services/tokens.js';
import { createUser } from '../../server/services/users.js';

let t: TestApp;
const db = () => t.db.kysely;
const T0 = new Date('2026-05-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

const sessionRow = (token: string) => db().selectFrom('sessions').selectAll().where('id', '=', sha256(token)).executeTakeFirst();

describe('passwords', () => {
  it('hashes with scrypt, a fresh salt each time, and verifies', async () => {
    const a = await hashPassword('a long password', 10);
    const b = await hashPassword('a long password', 10);
    expect(a).toMatch(/^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('a long password');
    expect(await verifyPassword('a long password', a)).toBe(true);
    expect(await verifyPassword('a long passwore', a)).toBe(false);
    expect(await verifyPassword('a long password', 'plain-text')).toBe(false);
  });

  it('asks for at least 10 characters', () => {
    expect(passwordProblem('123456789')).toMatch(/10/);
    expect(passwordProblem('Kx9#vQ2!mZ')).toBeNull();
  });

  it('createUser stores only the hash and refuses a taken username', async () => {
    const user = await createUser(db(), { username: 'Hashed.User', role: 'author', password: 'my secret words' }, 10);
    expect(user.username).toBe('hashed.user');
    expect(user.display_name).toBe('hashed.user');
    expect(user.password_hash).toMatch(/^scrypt\$/);
    expect(JSON.stringify(await db().selectFrom('users').selectAll().execute())).not.toContain('my secret words');
    await expect(createUser(db(), { username: 'hashed.user', role: 'author', password: 'my secret words' }, 10)).rejects.toMatchObject({
      status: 409,
      fields: { username: expect.any(String) },
    });
  });

  it.each([
    ['username', { username: 'A', role: 'author', password: 'long enough pw' }],
    ['username', { username: 'has space', role: 'author', password: 'long enough pw' }],
    ['role', { username: 'okname', role: 'overlord', password: 'long enough pw' }],
    ['email', { username: 'okname', role: 'author', password: 'long enough pw', email: 'not-an-email' }],
    ['password', { username: 'okname', role: 'author', password: 'short' }],
  ])('createUser refuses a bad %s', async (field, input) => {
    await expect(createUser(db(), input, 10)).rejects.toMatchObject({ status: 422, fields: { [field]: expect.any(String) } });
  });
});

describe('checkCredentials', () => {
  it('returns the user for the right password only', async () => {
    const user = await makeUser(t, 'author');
    expect((await checkCredentials(db(), user.username, PASSWORD, 10))?.id).toBe(user.id);
    expect(await checkCredentials(db(), user.username, PASSWORD + 'x', 10)).toBeNull();
    expect(await checkCredentials(db(), 'nobody-here', PASSWORD, 10)).toBeNull();
  });

  it('matches the username without regard to case, as it was stored lower-case', async () => {
    const user = await makeUser(t, 'author', { username: 'mixed.case' });
    expect((await checkCredentials(db(), 'Mixed.Case', PASSWORD, 10))?.id).toBe(user.id);
    expect((await checkCredentials(db(), ' MIXED.CASE ', PASSWORD, 10))?.id).toBe(user.id);
  });

  it('refuses a disabled user with the right password', async () => {
    const user = await makeUser(t, 'editor');
    await db().updateTable('users').set({ disabled_at: T0.toISOString() }).where('id', '=', user.id).execute();
    expect(await checkCredentials(db(), user.username, PASSWORD, 10)).toBeNull();
  });
});

describe('sessions', () => {
  it('stores only the hash of the cookie value, and resolves it to the user without the password hash', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(db(), user.id, T0);
    expect(await db().selectFrom('sessions').selectAll().where('id', '=', token).executeTakeFirst()).toBeUndefined();
    expect(await sessionRow(token)).toMatchObject({
      user_id: user.id,
      created_at: T0.toISOString(),
      expires_at: at(SESSION_ABSOLUTE_MS).toISOString(),
    });
    const resolved = await resolveSession(db(), token, at(1000));
    expect(resolved?.user.id).toBe(user.id);
    expect(resolved?.user).not.toHaveProperty('password_hash');
    expect((await db().selectFrom('users').select('last_login_at').where('id', '=', user.id).executeTakeFirst())?.last_login_at).toBe(T0.toISOString());
  });

  it('refuses an unknown cookie', async () => {
    expect(await resolveSession(db(), 'made-up-token', T0)).toBeNull();
  });

  it('ends a session after its absolute lifetime, even when used daily', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(db(), user.id, T0);
    for (let day = 1; day < 30; day++) expect(await resolveSession(db(), token, at(day * 86_400_000))).not.toBeNull();
    expect(await resolveSession(db(), token, at(SESSION_ABSOLUTE_MS))).toBeNull();
    expect(await sessionRow(token)).toBeUndefined();
  });

  it('ends an idle session', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(db(), user.id, T0);
    expect(await resolveSession(db(), token, at(SESSION_IDLE_MS - 1000))).not.toBeNull();
    // Used just now, so idle time starts again from here.
    const lastUse = SESSION_IDLE_MS - 1000;
    expect((await sessionRow(token))?.last_seen_at).toBe(at(lastUse).toISOString());
    expect(await resolveSession(db(), token, at(lastUse + SESSION_IDLE_MS))).toBeNull();
    expect(await sessionRow(token)).toBeUndefined();
  });

  it('does not write last_seen_at on every request', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(db(), user.id, T0);
    await resolveSession(db(), token, at(30_000));
    expect((await sessionRow(token))?.last_seen_at).toBe(T0.toISOString());
    await resolveSession(db(), token, at(61_000));
    expect((await sessionRow(token))?.last_seen_at).toBe(at(61_000).toISOString());
  });

  it('ends every session of a user who is disabled', async () => {
    const user = await makeUser(t, 'editor');
    const token = await startSession(db(), user.id, T0);
    await db().updateTable('users').set({ disabled_at: T0.toISOString() }).where('id', '=', user.id).execute();
    expect(await resolveSession(db(), token, at(1000))).toBeNull();
  });

  it('endSession deletes the row', async () => {
    const user = await makeUser(t, 'author');
    const token = await startSession(db(), user.id, T0);
    await endSession(db(), token);
    expect(await sessionRow(token)).toBeUndefined();
    expect(await resolveSession(db(), token, at(1000))).toBeNull();
  });

  it('purgeExpiredSessions removes expired and idle rows and keeps live ones', async () => {
    const local = await buildTestApp();
    try {
      const user = await makeUser(local, 'author');
      const live = await startSession(local.db.kysely, user.id, at(SESSION_IDLE_MS));
      const idle = await startSession(local.db.kysely, user.id, T0);
      const expired = await startSession(local.db.kysely, user.id, T0);
      await local.db.kysely.updateTable('sessions').set({ expires_at: at(1000).toISOString(), last_seen_at: at(SESSION_IDLE_MS).toISOString() }).where('id', '=', sha256(expired)).execute();
      expect(await purgeExpiredSessions(local.db.kysely, at(SESSION_IDLE_MS + 1000))).toBe(2);
      const left = await local.db.kysely.selectFrom('sessions').select('id').execute();
      expect(left.map((r) => r.id)).toEqual([sha256(live)]);
      expect(idle).not.toBe(live);
    } finally {
      await local.close();
    }
  });
});

describe('API tokens', () => {
  it('creates a prefixed token, stores only its sha256, and resolves it to the user', async () => {
    const user = await makeUser(t, 'author');
    const { id, token } = await createApiToken(db(), user, '  Newsletter  ');
    expect(token).toMatch(/^lct_[A-Za-z0-9_-]{40,}$/);
    const row = await db().selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ user_id: user.id, name: 'Newsletter', token_hash: sha256(token), revoked_at: null, last_used_at: null });
    expect(JSON.stringify(await db().selectFrom('api_tokens').selectAll().execute())).not.toContain(token);
    const resolved = await resolveApiToken(db(), token, T0);
    expect(resolved?.id).toBe(user.id);
    expect(resolved).not.toHaveProperty('password_hash');
    expect((await db().selectFrom('api_tokens').select('last_used_at').where('id', '=', id).executeTakeFirst())?.last_used_at).toBe(T0.toISOString());
  });

  it('refuses tokens for patrons', async () => {
    const patron = await makeUser(t, 'patron');
    await expect(createApiToken(db(), patron, 'x')).rejects.toMatchObject({ status: 422 });
    await expect(createApiTokenFor(db(), patron.username, 'x')).rejects.toMatchObject({ status: 422 });
    await expect(createApiTokenFor(db(), 'no-such-user', 'x')).rejects.toMatchObject({ status: 404 });
  });

  it('stops a revoked token at once', async () => {
    const user = await makeUser(t, 'author');
    const { id, token } = await createApiToken(db(), user, 'x');
    await revokeApiToken(db(), user, id);
    expect(await resolveApiToken(db(), token)).toBeNull();
    expect((await db().selectFrom('api_tokens').select('revoked_at').where('id', '=', id).executeTakeFirst())?.revoked_at).toBeTruthy();
  });

  it('stops the tokens of a disabled user at once', async () => {
    const user = await makeUser(t, 'editor');
    const { token } = await createApiToken(db(), user, 'x');
    await db().updateTable('users').set({ disabled_at: T0.toISOString() }).where('id', '=', user.id).execute();
    expect(await resolveApiToken(db(), token)).toBeNull();
  });

  it('lets only the owner or an admin revoke a token', async () => {
    const owner = await makeUser(t, 'author');
    const other = await makeUser(t, 'editor');
    const admin = await makeUser(t, 'admin');
    const { id, token } = await createApiToken(db(), owner, 'x');
    await expect(revokeApiToken(db(), other, id)).rejects.toMatchObject({ status: 403 });
    expect(await resolveApiToken(db(), token)).not.toBeNull();
    await revokeApiToken(db(), admin, id);
    expect(await resolveApiToken(db(), token)).toBeNull();
    await expect(revokeApiToken(db(), admin, 999_999)).rejects.toMatchObject({ status: 404 });
  });
});
