import type { Command } from 'commander';
import { createApiTokenFor } from '../services/api-tokens.js';
import { print, withDatabase, type CliIo } from './support.js';

interface TokenCreateOptions {
  username: string;
  name?: string;
}

/**
 * `lectern token create` (product.md, Operations). The token is the last line of the output,
 * alone, so `TOKEN=$(lectern token create --username alice | tail -n 1)` works.
 */
export function registerTokenCreate(token: Command, io: CliIo): void {
  token
    .command('create')
    .description('Create an API token for a staff user (for Authorization: Bearer <token>)')
    .requiredOption('--username <username>', 'the staff user the token acts as')
    .option('--name <label>', 'a label to recognise the token by in the admin area', 'API token')
    .addHelpText('after', '\nExample:\n  $ TOKEN=$(lectern token create --username alice --name deploy | tail -n 1)')
    .action(async (options: TokenCreateOptions) => {
      await withDatabase(io.env, async ({ db }) => {
        const label = (options.name ?? '').trim() || 'API token';
        const { id, token: secret } = await createApiTokenFor(db.kysely, options.username, label);
        const owner = options.username.trim().toLowerCase();
        print(io.stdout, `Created API token "${label}" (id ${id}) for "${owner}". It is shown only now; store it safely:`);
        print(io.stdout, secret);
      });
    });
}
