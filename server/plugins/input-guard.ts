import fp from 'fastify-plugin';
import { Transform } from 'node:stream';
import { AppError } from '../errors.js';

/**
 * Hostile bytes stop at the door with a 400, before any route or database sees them
 * (issue 5): a NUL (PostgreSQL cannot store one in text, and C libraries end strings at
 * it), invalid UTF-8, a lone surrogate, or a malformed %-escape in the address.
 * Multipart bodies are left alone: a file may hold any bytes.
 */

const TEXT_BODY = /^\s*(?:application\/(?:x-www-form-urlencoded|json|[\w.+-]+\+json)|text\/)/i;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const refused = (where: string) => new AppError(400, 'bad_request', `The ${where} holds characters that are not allowed (a NUL byte or invalid UTF-8)`);

const cleanString = (value: string) => !value.includes('\u0000') && !LONE_SURROGATE.test(value);

/** Walks parsed input without recursion, so a body nested 100,000 deep cannot exhaust the stack. */
export function isCleanInput(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const value = stack.pop();
    if (typeof value === 'string') {
      if (!cleanString(value)) return false;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (!cleanString(key)) return false;
        stack.push(inner);
      }
    }
  }
  return true;
}

/** A pass-through stream that fails on a NUL byte or bytes that are not UTF-8. */
function utf8Checker(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (chunk.includes(0)) return callback(refused('request body'));
      try {
        decoder.decode(chunk, { stream: true });
      } catch {
        return callback(refused('request body'));
      }
      callback(null, chunk);
    },
    flush(callback) {
      try {
        decoder.decode();
        callback();
      } catch {
        callback(refused('request body'));
      }
    },
  });
}

export default fp(
  async (app) => {
    app.addHook('onRequest', async (request) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(request.url);
      } catch {
        throw refused('address');
      }
      if (!cleanString(decoded)) throw refused('address');
    });

    app.addHook('preParsing', async (request, _reply, payload) => {
      if (!TEXT_BODY.test(request.headers['content-type'] ?? '')) return payload;
      const checked = utf8Checker();
      payload.on('error', (err) => checked.destroy(err));
      return payload.pipe(checked);
    });

    // After parsing: %00 in a form field or \u0000 in JSON decodes to a NUL only now.
    app.addHook('preValidation', async (request) => {
      if (!isCleanInput(request.params) || !isCleanInput(request.query)) throw refused('address');
      if (!isCleanInput(request.body)) throw refused('request body');
    });
  },
  { name: 'lectern-input-guard' },
);
