import { writeFile } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { findUserByUsername } from '../data/users.js';
import type { Db } from '../db/connect.js';
import { changeRole, disableUser, enableUser } from '../services/people.js';
import { ROLES } from '../services/permissions.js';
import { erasePersonalData, exportPersonalData } from '../services/privacy.js';
import { CliError, print, withDatabase, type CliIo } from './support.js';

/** Who acted, in the audit logs, when it was the command line. */
const CLI_ACTOR = { id: null, display_name: 'command line' };

async function userId(db: Db, username: string): Promise<number> {
  const user = await findUserByUsername(db.kysely, username.trim().toLowerCase());
  if (!user) throw new CliError(`no user named "${username}"`);
  return user.id;
}

/** `lectern user role|disable|enable`: the user management of the admin area, from a terminal. */
export function registerUserManagement(user: Command, io: CliIo): void {
  user
    .command('role')
    .description("Change a user's role (the last active admin can never be demoted)")
    .requiredOption('--username <username>', 'whose role to change')
    .addOption(new Option('--role <role>', 'the new role').choices(ROLES).makeOptionMandatory())
    .action(async (options: { username: string; role: string }) => {
      await withDatabase(io.env, async ({ db }) => {
        const changed = await changeRole(db.kysely, await userId(db, options.username), options.role);
        print(io.stdout, `"${changed.username}" is now ${changed.role}.`);
      });
    });

  user
    .command('disable')
    .description('Disable a user: their sessions and API tokens end at once; their posts stay')
    .requiredOption('--username <username>', 'whom to disable')
    .action(async (options: { username: string }) => {
      await withDatabase(io.env, async ({ db }) => {
        const disabled = await disableUser(db.kysely, await userId(db, options.username));
        print(io.stdout, `"${disabled.username}" is disabled; their sessions and API tokens have ended.`);
      });
    });

  user
    .command('enable')
    .description('Enable a disabled user again')
    .requiredOption('--username <username>', 'whom to enable')
    .action(async (options: { username: string }) => {
      await withDatabase(io.env, async ({ db }) => {
        const enabled = await enableUser(db.kysely, await userId(db, options.username));
        print(io.stdout, `"${enabled.username}" is enabled.`);
      });
    });
}

/** `lectern privacy export|erase`: the personal-data tools of the admin area, from a terminal. */
export function registerPrivacy(privacy: Command, io: CliIo): void {
  privacy
    .command('export')
    .description('Write everything stored for one email address as JSON (to a file, or - for standard output)')
    .requiredOption('--email <address>', 'the person')
    .argument('<file>', 'where to write the JSON, or - for standard output')
    .action(async (file: string, options: { email: string }) => {
      await withDatabase(io.env, async ({ db }) => {
        const data = await exportPersonalData(db.kysely, CLI_ACTOR, options.email);
        const json = JSON.stringify(data, null, 2) + '\n';
        if (file === '-') io.stdout.write(json);
        else {
          await writeFile(file, json, { mode: 0o600 });
          print(io.stdout, `Wrote ${data.comments.length} comment(s) and ${data.accounts.length} account(s) to ${file}.`);
        }
      });
    });

  privacy
    .command('erase')
    .description('Erase one person: comments deleted or kept as "Anonymous", subscriptions, mail and patron account')
    .requiredOption('--email <address>', 'the person')
    .addOption(new Option('--mode <mode>', 'what happens to their comments').choices(['delete', 'anonymise']).makeOptionMandatory())
    .action(async (options: { email: string; mode: string }) => {
      await withDatabase(io.env, async ({ db }) => {
        const { counts, remaining } = await erasePersonalData(db.kysely, CLI_ACTOR, options.email, options.mode);
        print(io.stdout, `Erased: ${counts.comments_deleted} comment(s) deleted, ${counts.comments_anonymised} anonymised, ${counts.accounts_deleted} account(s), ${counts.subscriptions_deleted} subscription(s), ${counts.mail_deleted} mail(s).`);
        if (remaining.length) print(io.stdout, `The address still appears in ${remaining.length} place(s) written by others; review them in /admin/privacy.`);
      });
    });
}
