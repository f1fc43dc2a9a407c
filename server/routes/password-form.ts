import type { FastifyInstance, FastifyRequest } from 'fastify';
import { changeOwnPassword } from '../services/people.js';
import { sha256 } from '../services/tokens.js';
import { field } from './admin/forms.js';

/**
 * The "change your password" form, from the staff area (/admin/password) or a patron's
 * account (/account/password): the fields checked by services/people.ts, and every other
 * session of the account ended while this one stays signed in. Throws the service's 422.
 */
export function changePasswordFromForm(app: FastifyInstance, request: FastifyRequest): Promise<void> {
  const input = {
    current: field(request.body, 'current'),
    password: field(request.body, 'password'),
    password_confirm: field(request.body, 'password_confirm'),
  };
  return changeOwnPassword(app.db.kysely, request.user!.id, input, app.config.passwordCost, request.sessionToken ? sha256(request.sessionToken) : null);
}
