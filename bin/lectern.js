#!/usr/bin/env node
// The `lectern` command. Its code is compiled to dist/ by `npm run build` (which `npm install`
// runs through the prepare script); this file only wires it to the real process.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/server/cli/index.js', import.meta.url);

// `lectern --help | head -1`: a reader that went away is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') throw err;
  });
}

if (!existsSync(entry)) {
  process.stderr.write('lectern: not built yet: run `npm run build` in the Lectern folder first\n');
  process.exitCode = 1;
} else {
  try {
    const { runCli } = await import(entry.href);
    // No process.exit(): `serve` resolves once listening and the open server keeps the process alive.
    process.exitCode = await runCli(process.argv.slice(2), {
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      env: process.env,
    });
  } catch (err) {
    // runCli reports its own failures; this is for a broken install (e.g. a missing dependency).
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`lectern: ${message.split('\n')[0]} (try \`npm install\`)\n`);
    process.exitCode = 1;
  }
}
