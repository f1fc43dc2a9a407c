import { defineConfig } from 'vitest/config';

/**
 * `npm test` runs the whole suite twice: on SQLite (the default database) and on PostgreSQL
 * (127.0.0.1:5432, database `test`; every app in a test gets a schema of its own).
 * `npm run test:sqlite` runs the SQLite half alone, for machines without PostgreSQL.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**', 'node_modules/**'] },
      },
      {
        extends: true,
        test: {
          name: 'postgres',
          include: ['test/**/*.test.ts'],
          // These tests are about SQLite itself, or already talk to both databases.
          exclude: ['test/e2e/**', 'node_modules/**', 'test/scale/**', 'test/cli.test.ts'],
          env: { LECTERN_TEST_DATABASE: 'postgres' },
        },
      },
    ],
  },
});
