import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/connect.js';
import { migrateToLatest } from '../../server/db/migrate.js';
import { migrations } from '../../migrations/index.js';

describe('migrations', () => {
  it('applies a migration numbered below ones a site already ran (files are numbered by area)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lectern-migrate-'));
    const db = await openDatabase(`sqlite:${join(dir, 'site.db')}`);
    try {
      // A site that ran everything but 0010, as if 0010 had been added later.
      const { '0010_add_comment_reply_to': later, ...earlier } = migrations;
      expect(later).toBeDefined();
      const { error } = await new Migrator({ db: db.kysely, provider: { getMigrations: async () => earlier } }).migrateToLatest();
      expect(error).toBeUndefined();
      const outcome = await migrateToLatest(db);
      expect(outcome.applied).toEqual(['0010_add_comment_reply_to']);
      const columns = (await db.kysely.introspection.getTables()).find((t) => t.name === 'comments')!.columns.map((c) => c.name);
      expect(columns).toContain('reply_to_id');
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
