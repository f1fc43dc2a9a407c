import type { Executor } from '../data/executor.js';
import { publishDuePosts } from '../data/posts.js';
import { purgeExpiredSessions } from './auth.js';
import { purgeIpHashes } from './privacy.js';
import { loadSettings } from './settings.js';

/**
 * Periodic upkeep. Every step is a conditional UPDATE/DELETE, so running it on several
 * instances at once changes each row once. Readers never wait for it: a due scheduled
 * post is already visible through the listing queries.
 */
export async function runUpkeep(
  db: Executor,
  now = new Date(),
): Promise<{ published: number; sessionsPurged: number; ipHashesPurged: number }> {
  const published = await publishDuePosts(db, now.toISOString());
  const sessionsPurged = await purgeExpiredSessions(db, now);
  const ipHashesPurged = await purgeIpHashes(db, (await loadSettings(db)).ip_hash_retention_days, now);
  return { published, sessionsPurged, ipHashesPurged };
}

export function startUpkeep(db: Executor, onError: (err: unknown) => void, intervalMs = 30_000): () => void {
  const timer = setInterval(() => {
    runUpkeep(db).catch(onError);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
