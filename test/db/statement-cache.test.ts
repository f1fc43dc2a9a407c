import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from '../../server/db/connect.js';

describe('prepared statement cache (SQLite)', () => {
  let database: SQLite.Database;
  afterEach(() => database?.close());

  it('hands back the statement it prepared for the same SQL text', () => {
    database = new SQLite(':memory:');
    const cache = withStatementCache(database);
    const first = cache.prepare('select 1 as one');
    expect(cache.prepare('select 1 as one')).toBe(first);
    expect(cache.prepare('select 2 as two')).not.toBe(first);
  });

  it('drops the least recently used statement beyond its size', () => {
    database = new SQLite(':memory:');
    const cache = withStatementCache(database, 2);
    const a = cache.prepare('select 1');
    const b = cache.prepare('select 2');
    cache.prepare('select 1'); // a is now the most recent
    cache.prepare('select 3'); // evicts b
    expect(cache.prepare('select 1')).toBe(a);
    expect(cache.prepare('select 2')).not.toBe(b);
  });

  it('gives a fresh statement while the kept one is still being iterated', () => {
    database = new SQLite(':memory:');
    const cache = withStatementCache(database);
    database.exec('create table t (n integer); insert into t values (1), (2), (3)');
    const text = 'select n from t order by n';
    const iterator = cache.prepare(text).iterate();
    iterator.next();
    const other = cache.prepare(text);
    expect(other.all()).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    iterator.return?.();
  });

  it('keeps answering right through Kysely after the schema changes', async () => {
    database = new SQLite(':memory:');
    const db = new Kysely<{ t: { n: number; m?: number } }>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
    await sql`create table t (n integer)`.execute(db);
    await db.insertInto('t').values({ n: 1 }).execute();
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ n: 1 }]);
    await sql`alter table t add column m integer default 7`.execute(db);
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ n: 1, m: 7 }]);
    // Same insert text, many parameter sets: each row is its own.
    for (let i = 2; i <= 4; i++) await db.insertInto('t').values({ n: i }).execute();
    expect((await db.selectFrom('t').select('n').orderBy('n').execute()).map((r) => r.n)).toEqual([1, 2, 3, 4]);
  });
});
