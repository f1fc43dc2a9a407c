import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, repoRoot } from './support.js';

/**
 * Runs once before the e2e files: builds the server (the tests run `node dist/server/server.js`,
 * as `npm start` does) and checks that Chromium is there, with one clear message when not.
 * E2E_SKIP_BUILD=1 reuses an existing dist/ (handy when iterating on the tests alone).
 */
export default function setup(): void {
  const executable = chromiumPath();
  if (!existsSync(executable)) {
    throw new Error(`Chromium not found at ${executable}: run "apt-get install -y chromium" (Debian) or set CHROMIUM_PATH`);
  }
  if (process.env.E2E_SKIP_BUILD === '1' && existsSync(join(repoRoot, 'dist/server/server.bundle.js'))) return;
  const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    // tsc still writes the JavaScript when types fail; `npm run typecheck` is where type errors fail CI.
    process.stderr.write(`e2e: the build reported type errors (running the emitted JavaScript anyway):\n${result.stdout}${result.stderr}\n`);
  }
  if (!existsSync(join(repoRoot, 'dist/server/server.js'))) throw new Error('e2e: the build wrote no dist/server/server.js');
  // The browser tests run the file `npm start` runs: the start-up bundle (scripts/bundle.mjs).
  const bundle = spawnSync(process.execPath, ['scripts/bundle.mjs'], { cwd: repoRoot, encoding: 'utf8' });
  if (bundle.status !== 0) throw new Error(`e2e: bundling the server failed:\n${bundle.stdout}${bundle.stderr}`);
}
