/**
 * Bundles the compiled server (dist/server/server.js) and its pure-JS dependencies into one
 * file, dist/server/server.bundle.js, which `npm start`, Docker and the benchmarks run.
 * Why: Node 20 spends most of a start-up resolving and compiling some 1,500 small modules;
 * one file starts in about half the time (issue 9: first answer under 1 s). The CLI and the
 * tests keep running the unbundled modules. Native and optional packages stay outside.
 */
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/server/server.js'],
  outfile: 'dist/server/server.bundle.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // better-sqlite3 loads a compiled addon; pg is loaded only for a PostgreSQL DATABASE_URL.
  external: ['better-sqlite3', 'pg', 'pg-native'],
  // CommonJS dependencies inside an ES module still call require() for Node's built-ins.
  banner: { js: "import { createRequire as lecternCreateRequire } from 'node:module'; const require = lecternCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
