import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

/** Repositories take either; the caller owns the transaction. */
export type Executor = Kysely<Database> | Transaction<Database>;

export const nowIso = () => new Date().toISOString();
