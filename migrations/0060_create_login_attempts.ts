import type { Kysely } from 'kysely';
import { withId } from './_portable.js';

/**
 * Failed sign-ins, counted per account and per client IP so brute force slows to a crawl
 * (server/services/login-throttle.ts). In the database, not in memory, so the count holds
 * across restarts and across every instance behind one load balancer. `key` is
 * "account:<keyed hash>" or "ip:<keyed hash>": neither a typed name nor an address is kept.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('login_attempts'))
    .addColumn('key', 'text', (col) => col.notNull().unique())
    .addColumn('failures', 'integer', (col) => col.notNull())
    .addColumn('first_failure_at', 'text', (col) => col.notNull())
    .addColumn('last_failure_at', 'text', (col) => col.notNull())
    .addColumn('locked_until', 'text')
    .execute();
  await db.schema.createIndex('login_attempts_last_failure').on('login_attempts').column('last_failure_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('login_attempts').execute();
}
