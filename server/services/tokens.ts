import { createHash, randomBytes } from 'node:crypto';

/** Opaque random secrets; only their SHA-256 is stored, so the table alone grants nothing. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
