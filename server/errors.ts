/**
 * Every user-facing error in one place. Routes and services throw AppError; the error
 * plugin turns it into the JSON envelope of the API or an HTML page.
 */
export type ErrorCode =
  | 'bad_request'
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'csrf_invalid'
  | 'comments_closed'
  /** A signed-in-only discussion (services/discussion.ts). */
  | 'sign_in_required'
  /** A commenter's own edit or delete refused: not theirs, too late, or replied to (services/own-comments.ts). */
  | 'edit_not_allowed'
  | 'rate_limited'
  | 'internal_error'
  | 'unavailable';

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Field name → what is wrong with it, for 422s. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what = 'Page') => new AppError(404, 'not_found', `${what} not found`);
export const forbidden = (message = 'You do not have permission to do that') =>
  new AppError(403, 'forbidden', message);
export const unauthorized = (message = 'Sign in or send a valid API token') =>
  new AppError(401, 'unauthorized', message);
export const invalid = (fields: Record<string, string>, message = 'Some fields need attention') =>
  new AppError(422, 'validation_failed', message, fields);
export const conflict = (message: string, fields: Record<string, string> = {}) =>
  new AppError(409, 'conflict', message, fields);

/** The JSON body every API error has (product.md). */
export function errorEnvelope(code: string, message: string, fields: Record<string, string> = {}) {
  return { error: { code, message, fields } };
}
