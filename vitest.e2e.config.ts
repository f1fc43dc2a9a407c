import { defineConfig } from 'vitest/config';

/**
 * `npm run test:e2e`: the end-to-end suite (test/e2e) in a real Chromium, driven by
 * playwright-core. Each file starts the built server as a child process of its own, so
 * files run one at a time; the unit suite (vitest.config.ts) never includes these.
 * Chromium comes from Debian (/usr/bin/chromium, or CHROMIUM_PATH); see test/e2e/README.md.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // A browser test that fails once is a bug to fix, not a flake to retry.
    retry: 0,
  },
});
