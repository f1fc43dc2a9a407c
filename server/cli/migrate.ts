import type { Command } from 'commander';
import { describeDatabase, print, withDatabase, type CliIo } from './support.js';

/** `lectern migrate`: applies pending migrations and names them. */
export function registerMigrate(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('Bring the database schema up to date (the server also does this when it starts)')
    .action(async () => {
      await withDatabase(io.env, async ({ config, migrations }) => {
        const where = describeDatabase(config.databaseUrl);
        if (migrations.applied.length === 0) {
          print(io.stdout, `Database is up to date (${where})`);
          return;
        }
        const n = migrations.applied.length;
        print(io.stdout, `Applied ${n} migration${n === 1 ? '' : 's'} to ${where}:`);
        for (const name of migrations.applied) print(io.stdout, `  ${name}`);
      });
    });
}
