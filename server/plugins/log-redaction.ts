import type { FastifyRequest } from 'fastify';

/**
 * What the request log says about a request, minus secrets that travel in addresses: the
 * CSRF token of the no-JS upload form (?_csrf=), unsubscribe links (?token=), and the
 * tokens in the paths of reset, invitation and confirmation links (any route parameter
 * whose name says token). Headers with credentials are redacted by the logger itself.
 */
const SECRET_NAME = /token|csrf|secret|password|passwd/i;

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function redactUrl(url: string, params: Record<string, unknown> = {}): string {
  const at = url.indexOf('?');
  let path = at === -1 ? url : url.slice(0, at);
  const query = at === -1 ? null : url.slice(at + 1);
  const secrets = Object.entries(params)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value !== '')
    .map(([, value]) => value as string);
  if (secrets.length) {
    path = path
      .split('/')
      .map((segment) => (secrets.includes(decodeSafe(segment)) ? '[redacted]' : segment))
      .join('/');
  }
  if (query === null) return path;
  const safeQuery = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_NAME.test(decodeSafe(name)) ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${path}?${safeQuery}`;
}

/** fastify's request serializer, with the address redacted. */
export const logSerializers = {
  req(request: FastifyRequest) {
    return {
      method: request.method,
      url: redactUrl(request.url, (request.params ?? {}) as Record<string, unknown>),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort,
    };
  },
};
