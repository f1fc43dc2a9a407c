import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import type { CliIo } from './support.js';

interface ServeOptions {
  port?: string;
  host?: string;
}

/**
 * `lectern serve`: the same start-up as `npm start`. The action resolves once the server
 * listens; the open server then keeps the process alive until SIGTERM/SIGINT.
 */
export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('Run the web server (migrates the database first)')
    .option('-p, --port <port>', 'port to listen on (overrides PORT; default 3000)')
    .option('--host <host>', 'address to listen on (overrides HOST; default 127.0.0.1)')
    .action(async (options: ServeOptions) => {
      const env = { ...io.env };
      if (options.port !== undefined) env.PORT = options.port;
      if (options.host !== undefined) env.HOST = options.host;
      const config = loadConfig(env);
      // Loaded here, not at the top: the other commands never need fastify and its plugins.
      const { serve } = await import('../server.js');
      await serve(config);
    });
}
