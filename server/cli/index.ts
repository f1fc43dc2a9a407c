import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../errors.js';
import { projectRoot } from '../paths.js';
import { registerCopy } from './copy.js';
import { registerBackup } from './backup.js';
import { registerExport } from './export.js';
import { registerImportWordPress } from './import-wordpress.js';
import { registerMigrate } from './migrate.js';
import { registerPrivacy, registerUserManagement } from './people.js';
import { registerServe } from './serve.js';
import { CliError, print, type CliIo } from './support.js';
import { registerTokenCreate } from './token-create.js';
import { registerUserCreate } from './user-create.js';

export type { CliIo } from './support.js';

/** Service field names → the option a user typed, so a message points at the right flag. */
const FIELD_LABELS: Record<string, string> = {
  username: '--username',
  role: '--role',
  email: '--email',
  display_name: '--display-name',
  name: '--name',
  password: 'password',
};

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Any failure as one readable line, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof AppError) {
    const fields = Object.entries(err.fields);
    if (fields.length === 0) return err.message;
    return fields.map(([field, problem]) => `${FIELD_LABELS[field] ?? field}: ${problem}`).join('; ');
  }
  if (err instanceof ConfigError || err instanceof CliError) return err.message;
  if (err instanceof AggregateError && !err.message) {
    // e.g. a refused connection to every address of a database host
    return err.errors.map((e) => describeError(e)).join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return err.message || (typeof code === 'string' ? code : err.name);
  }
  return String(err);
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const ENVIRONMENT_HELP = `
Configuration comes from the environment:
  DATA_DIR       data directory (default ./data): SQLite file, uploads, secret
  DATABASE_URL   sqlite:<path> (default sqlite:$DATA_DIR/lectern.db) or postgres://...
  PORT, HOST     where \`serve\` listens (default 3000, 127.0.0.1)
  BASE_URL       public address used in links and feeds
  LOG_LEVEL, TRUST_PROXY, SMTP_URL, SECRET_KEY

Run \`lectern <command> --help\` for a command's options.`;

function buildProgram(io: CliIo): Command {
  const stream = (s: NodeJS.WritableStream) => s as NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  const program = new Command('lectern')
    .description('Lectern: a self-hostable blog and discussion engine')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      // Commander says "error: ..." and may add "(Did you mean ...?)" on a second line.
      outputError: (text, write) => write(`lectern: ${oneLine(text.replace(/^error: /, ''))}\n`),
      getOutHelpWidth: () => (stream(io.stdout).isTTY && stream(io.stdout).columns) || 80,
      getErrHelpWidth: () => (stream(io.stderr).isTTY && stream(io.stderr).columns) || 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .addHelpText('after', ENVIRONMENT_HELP);

  registerServe(program, io);
  registerMigrate(program, io);
  registerCopy(program, io);
  const user = program.command('user').description('Manage user accounts');
  registerUserCreate(user, io);
  registerUserManagement(user, io);
  registerPrivacy(program.command('privacy').description('Find, export and erase what is stored for one email address'), io);
  registerTokenCreate(program.command('token').description('Manage API tokens'), io);
  registerImportWordPress(program, io);
  registerExport(program, io);
  registerBackup(program, io);
  return program;
}

/**
 * The `lectern` command. Returns the exit code and never exits the process itself, so tests
 * run it in-process; bin/lectern.js sets process.exitCode. `serve` resolves once listening.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    // Usage errors were already printed by outputError; --help and --version end here with 0.
    if (err instanceof CommanderError) return err.exitCode;
    print(io.stderr, `lectern: ${oneLine(describeError(err))}`);
    if (io.env.LECTERN_DEBUG && err instanceof Error && err.stack) print(io.stderr, err.stack);
    return 1;
  }
}
