import type { Executor } from './executor.js';

export async function insertUpload(
  db: Executor,
  row: { user_id: number; path: string; original_name: string; mime_type: string; size_bytes: number; created_at: string },
): Promise<number> {
  const inserted = await db.insertInto('uploads').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}
