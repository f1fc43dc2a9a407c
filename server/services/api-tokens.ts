import type { Executor } from '../data/executor.js';
import { nowIso } from '../data/executor.js';
import { findToken, insertToken, revokeToken } from '../data/tokens.js';
import { findUserByUsername } from '../data/users.js';
import { forbidden, invalid, notFound } from '../errors.js';
import type { Role } from '../db/schema.js';
import { can, isStaff } from './permissions.js';
import { newSecret, sha256 } from './tokens.js';

export const TOKEN_PREFIX = 'lct_';

/** Creates a token for a staff user; the secret is returned once and stored only hashed. */
export async function createApiToken(
  db: Executor,
  owner: { id: number; role: Role },
  name: string,
): Promise<{ id: number; token: string }> {
  const label = name.trim() || 'API token';
  if (label.length > 100) throw invalid({ name: 'Use at most 100 characters' });
  if (!isStaff(owner.role)) throw invalid({ username: 'API tokens are for staff accounts (admin, editor, author)' });
  const token = newSecret(TOKEN_PREFIX);
  const id = await insertToken(db, { user_id: owner.id, name: label, token_hash: sha256(token), created_at: nowIso() });
  return { id, token };
}

export async function createApiTokenFor(db: Executor, username: string, name: string) {
  const user = await findUserByUsername(db, username.trim().toLowerCase());
  if (!user) throw notFound(`User "${username}"`);
  if (user.disabled_at) throw invalid({ username: `User "${username}" is disabled` });
  return createApiToken(db, user, name);
}

export async function revokeApiToken(db: Executor, actor: { id: number; role: Role }, tokenId: number): Promise<void> {
  const token = await findToken(db, tokenId);
  if (!token) throw notFound('Token');
  if (token.user_id !== actor.id && !can(actor.role, 'manage-tokens-of-others')) throw forbidden();
  await revokeToken(db, tokenId, nowIso());
}
