import type { Executor } from '../data/executor.js';
import { nowIso } from '../data/executor.js';
import { countUsers, findUserByUsername, insertUser, updateUser } from '../data/users.js';
import type { Role, User } from '../db/schema.js';
import { conflict, invalid } from '../errors.js';
import { renderBio } from '../markup/render.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { ROLES } from './permissions.js';

export interface NewUserInput {
  username?: string;
  password?: string;
  role?: string;
  email?: string | null;
  display_name?: string;
}

const USERNAME = /^[a-z0-9][a-z0-9._-]{1,31}$/;
// Deliberately loose: one @, something on both sides, a dot in the domain.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/** `extraErrors` lets a form add its own checks (a password typed twice) to the same report. */
export async function createUser(
  db: Executor,
  input: NewUserInput,
  passwordCost: number,
  extraErrors: Record<string, string> = {},
): Promise<User> {
  const errors: Record<string, string> = { ...extraErrors };
  const username = (input.username ?? '').trim().toLowerCase();
  const email = (input.email ?? '').trim() || null;
  const displayName = (input.display_name ?? '').trim() || username;
  const role = (input.role ?? '') as Role;
  const password = input.password ?? '';
  if (!USERNAME.test(username)) {
    errors.username = 'Use 2 to 32 lower-case letters, digits, dots, hyphens or underscores';
  }
  if (!ROLES.includes(role)) errors.role = `Choose one of ${ROLES.join(', ')}`;
  if (email && !isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  if (displayName.length > 100) errors.display_name = 'Use at most 100 characters';
  const weak = passwordProblem(password);
  if (weak) errors.password = weak;
  if (Object.keys(errors).length) throw invalid(errors);
  if (await findUserByUsername(db, username)) throw conflict('That username is taken', { username: 'That username is taken' });
  const createdAt = nowIso();
  return insertUser(db, {
    username,
    email,
    display_name: displayName,
    role,
    password_hash: await hashPassword(password, passwordCost),
    bio_md: '',
    bio_html: '',
    created_at: createdAt,
    // Made by staff or the CLI: the address counts as vouched for (self-registration does not).
    email_confirmed_at: createdAt,
  });
}

/** First run: true while the site has no user at all, so /admin/setup is open. */
export async function needsSetup(db: Executor): Promise<boolean> {
  return (await countUsers(db)) === 0;
}

export async function updateProfile(db: Executor, userId: number, input: { display_name?: string; email?: string; bio?: string }): Promise<void> {
  const errors: Record<string, string> = {};
  const displayName = (input.display_name ?? '').trim();
  const email = (input.email ?? '').trim() || null;
  const bio = input.bio ?? '';
  if (!displayName) errors.display_name = 'Give a name readers will see';
  else if (displayName.length > 100) errors.display_name = 'Use at most 100 characters';
  if (email && !isEmail(email)) errors.email = 'Give an email address such as name@example.org';
  if (bio.length > 5000) errors.bio = 'Use at most 5,000 characters';
  if (Object.keys(errors).length) throw invalid(errors);
  await updateUser(db, userId, { display_name: displayName, email, bio_md: bio, bio_html: renderBio(bio) });
}
