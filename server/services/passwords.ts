import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { COMMON_PASSWORDS } from '../data/common-passwords.js';

/**
 * scrypt is memory-hard and built into Node (no native build step). The cost parameters
 * are stored in the hash, so raising them later leaves old hashes verifiable.
 * Format: scrypt$<log2N>$<r>$<p>$<salt b64>$<hash b64>
 */
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string, log2Cost = 15): Promise<string> {
  const salt = randomBytes(16);
  const r = 8;
  const p = 1;
  const N = 2 ** log2Cost;
  const key = await derive(password, salt, { N, r, p, maxmem: 256 * N * r });
  return ['scrypt', log2Cost, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, log2, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !log2 || !r || !p || !salt || !hash) return false;
  const N = 2 ** Number(log2);
  const expected = Buffer.from(hash, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to verify against when the username does not exist, so both paths take as long. */
let decoyHash: Promise<string> | null = null;
export function decoyPasswordHash(log2Cost: number): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'), log2Cost);
  return decoyHash;
}

export const MIN_PASSWORD_LENGTH = 10;

let common: Set<string> | null = null;

/** True when the password is on the shipped list of common passwords, whatever its case. */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(COMMON_PASSWORDS);
  return common.has(password.normalize('NFKC').trim().toLowerCase());
}

export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `Use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'Use at most 1024 characters';
  if (isCommonPassword(password)) return 'That password is one of the most common ones, so it is easy to guess. Choose another.';
  return null;
}

/** A strong password to print once, for accounts created from the terminal. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
