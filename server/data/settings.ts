import type { Executor } from './executor.js';

export async function readAllSettings(db: Executor): Promise<Record<string, unknown>> {
  const rows = await db.selectFrom('settings').selectAll().execute();
  const out: Record<string, unknown> = {};
  for (const row of rows) out[row.key] = JSON.parse(row.value);
  return out;
}

export async function writeSetting(db: Executor, key: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value);
  await db
    .insertInto('settings')
    .values({ key, value: json })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: json }))
    .execute();
}
