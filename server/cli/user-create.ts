import { Option, type Command } from 'commander';
import { generatePassword } from '../services/passwords.js';
import { ROLES } from '../services/permissions.js';
import { createUser } from '../services/users.js';
import { print, readAll, withDatabase, type CliIo } from './support.js';

interface UserCreateOptions {
  username: string;
  role: string;
  email?: string;
  displayName?: string;
  passwordStdin?: boolean;
}

/** What a script pipes in: all of stdin, less the one newline `echo` or a here-string adds. */
async function passwordFromStdin(io: CliIo): Promise<string> {
  if ((io.stdin as { isTTY?: boolean }).isTTY) print(io.stderr, 'Type the password, then press Enter and Ctrl-D:');
  return (await readAll(io.stdin)).replace(/\r?\n$/, '');
}

/**
 * `lectern user create` (product.md, Operations). Without --password-stdin a strong password
 * is generated and printed once, alone on the last line, so a script can take it with `tail -n 1`.
 */
export function registerUserCreate(user: Command, io: CliIo): void {
  user
    .command('create')
    .description('Create a user account')
    .requiredOption('--username <username>', '2 to 32 lower-case letters, digits, dots, hyphens or underscores')
    .addOption(new Option('--role <role>', 'what the account may do').choices(ROLES).makeOptionMandatory())
    .option('--email <email>', 'email address (optional)')
    .option('--display-name <name>', 'name readers see (defaults to the username)')
    .option('--password-stdin', 'read the password from standard input instead of generating one')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ lectern user create --username alice --role admin\n' +
        "  $ printf '%s' \"$PASSWORD\" | lectern user create --username bob --role editor --password-stdin",
    )
    .action(async (options: UserCreateOptions) => {
      // Read stdin before touching the database, so a broken pipe fails without side effects.
      const generated = options.passwordStdin ? null : generatePassword();
      const password = generated ?? (await passwordFromStdin(io));
      await withDatabase(io.env, async ({ db, config }) => {
        const created = await createUser(
          db.kysely,
          {
            username: options.username,
            role: options.role,
            email: options.email ?? null,
            display_name: options.displayName ?? '',
            password,
          },
          config.passwordCost,
        );
        print(io.stdout, `Created ${created.role} "${created.username}" (id ${created.id}, display name "${created.display_name}")`);
        if (generated) {
          print(io.stdout, 'Generated password (shown only now; store it safely):');
          print(io.stdout, generated);
        }
      });
    });
}
