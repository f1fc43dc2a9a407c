import { isAbsolute, resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** `sqlite:<path>` or `postgres://...` */
  readonly databaseUrl: string;
  /** Absolute origin used in links, feeds and mails, without a trailing slash. */
  readonly baseUrl: string;
  readonly logLevel: LogLevel;
  readonly trustProxy: boolean | string;
  readonly smtpUrl: string | null;
  /** Holds the SQLite file by default, uploads and the generated secret. */
  readonly dataDir: string;
  /** Explicit server secret; when null one is generated and kept in dataDir. */
  readonly secretKey: string | null;
  readonly production: boolean;
  /** log2 of the scrypt cost for new password hashes (tests lower it to stay fast). */
  readonly passwordCost: number;
  /** Largest accepted upload, in bytes. */
  readonly maxUploadBytes: number;
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be a whole number from 0 to 65535, got "${value}"`);
  }
  return port;
}

function parseDatabaseUrl(value: string): string {
  if (value.startsWith('postgres://') || value.startsWith('postgresql://')) {
    try {
      new URL(value);
    } catch {
      throw new ConfigError(`DATABASE_URL is not a valid postgres:// URL`);
    }
    return value;
  }
  if (value.startsWith('sqlite:')) {
    const file = value.slice('sqlite:'.length);
    if (!file) throw new ConfigError('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:./data/lectern.db');
    if (file === ':memory:') return value;
    return 'sqlite:' + (isAbsolute(file) ? file : resolve(process.cwd(), file));
  }
  throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${value}"`);
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`BASE_URL must be an absolute http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`BASE_URL must use http or https, got "${value}"`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function parseTrustProxy(value: string | undefined): boolean | string {
  if (value === undefined || value === '' || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  // fastify accepts a comma-separated list of addresses or CIDR ranges.
  if (!/^[0-9a-fA-F.:/,\s]+$/.test(value)) {
    throw new ConfigError(`TRUST_PROXY must be true, false or a list of proxy addresses, got "${value}"`);
  }
  return value;
}

function parseSmtpUrl(value: string | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error();
  } catch {
    throw new ConfigError('SMTP_URL must look like smtp://user:pass@host:587');
  }
  return value;
}

/** The only reader of process.env: validates everything once, at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(process.cwd(), env.DATA_DIR || 'data');
  const port = parsePort(env.PORT ?? '3000');
  const host = env.HOST || '127.0.0.1';
  const logLevel = (env.LOG_LEVEL || 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const secretKey = env.SECRET_KEY || null;
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY must be at least 32 characters long');
  }
  const hostForUrl = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return Object.freeze({
    port,
    host,
    databaseUrl: parseDatabaseUrl(env.DATABASE_URL || `sqlite:${resolve(dataDir, 'lectern.db')}`),
    baseUrl: parseBaseUrl(env.BASE_URL || `http://${hostForUrl}:${port}`),
    logLevel,
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
    smtpUrl: parseSmtpUrl(env.SMTP_URL),
    dataDir,
    secretKey,
    production: env.NODE_ENV !== 'development' && env.NODE_ENV !== 'test',
    passwordCost: 15,
    maxUploadBytes: 5 * 1024 * 1024,
  });
}

