import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The server secret signs cookies and keys the IP hashes. Given as SECRET_KEY, or generated
 * on first run into the data directory, readable by the server's user only. Instances
 * behind one load balancer must share it (same SECRET_KEY, or the same file).
 */
export function loadOrCreateSecret(dataDir: string, explicit: string | null): string {
  if (explicit) return explicit;
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  // 'wx' fails if another process created it first; then read theirs.
  try {
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
    return secret;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}
