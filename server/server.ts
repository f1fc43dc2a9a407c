import { pathToFileURL } from 'node:url';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { loadOrCreateSecret } from './services/secrets.js';
import { startUpkeep } from './services/scheduler.js';
import { startMailWorker } from './services/mail/sender.js';
import { sendModeratorDigest } from './services/notifications.js';

/** load config → open db → migrate → build → listen; SIGTERM/SIGINT → close gracefully. */
export async function serve(config: Config): Promise<void> {
  const db = await openDatabase(config.databaseUrl);
  await migrateToLatest(db);
  const secret = loadOrCreateSecret(config.dataDir, config.secretKey);
  const app = await buildApp({ config, db, secret });
  const stopUpkeep = startUpkeep(db.kysely, (err) => app.log.error({ err }, 'upkeep failed'));
  // Notifications leave from the mail queue in the background; without SMTP_URL this does nothing.
  const stopMail = startMailWorker(db.kysely, config, {
    beforeDelivery: (now) => sendModeratorDigest(db.kysely, now),
    onError: (err) => app.log.error({ err }, 'mail delivery failed'),
  });
  app.addHook('onClose', async () => {
    stopUpkeep();
    await stopMail();
    await db.close();
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    // Stop accepting, let requests in flight finish, then close the database.
    app.close().then(
      () => process.exit(0),
      (err) => {
        app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Lectern is serving ${config.baseUrl}`);
}

export async function main(): Promise<void> {
  try {
    await serve(loadConfig());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`lectern: ${err.message}`);
    } else {
      console.error(`lectern: could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main();
}
