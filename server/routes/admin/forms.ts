import type { FastifyReply } from 'fastify';
import { AppError } from '../../errors.js';

/** A urlencoded form body as strings (repeated fields keep their last value). */
export type FormBody = Record<string, string | string[] | undefined>;

export function field(body: unknown, name: string): string {
  const value = (body as FormBody | undefined)?.[name];
  return Array.isArray(value) ? (value.at(-1) ?? '') : (value ?? '');
}

/**
 * Only local paths: never "//evil.example" or "/\evil.example". Browsers drop tabs and
 * newlines from a URL ("/\t/evil.example" reads as "//evil.example"), and a newline cannot
 * go in a header, so control characters and spaces are refused too.
 */
export function safeNext(next: unknown, fallback = '/admin'): string {
  if (typeof next !== 'string' || !/^\/(?![/\\])/.test(next)) return fallback;
  for (const ch of next) if (ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f) return fallback;
  // A header holds ASCII only ("/\u2028/x" made a 500): other characters go %-encoded.
  try {
    return next.replace(/[^\x21-\x7e]+/g, (run) => encodeURIComponent(run));
  } catch {
    return fallback; // a lone surrogate cannot be encoded
  }
}

/**
 * Runs a form action; on a 422/409 it renders the form again with the errors and every
 * typed value, so nothing the person wrote is lost.
 */
export async function handleForm(
  reply: FastifyReply,
  action: () => Promise<unknown>,
  rerender: (errors: Record<string, string>, message: string, status: number) => Promise<unknown>,
): Promise<unknown> {
  try {
    return await action();
  } catch (err) {
    if (err instanceof AppError && (err.status === 422 || err.status === 409)) {
      const errors = Object.keys(err.fields).length ? err.fields : { form: err.message };
      return rerender(errors, err.message, 422);
    }
    throw err;
  }
}
