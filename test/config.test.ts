import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.js';

describe('loadConfig', () => {
  it('has working defaults: port 3000 on 127.0.0.1, SQLite under ./data', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseUrl).toBe(`sqlite:${process.cwd()}/data/lectern.db`);
    expect(config.baseUrl).toBe('http://127.0.0.1:3000');
    expect(config.logLevel).toBe('info');
    expect(config.trustProxy).toBe(false);
    expect(config.smtpUrl).toBeNull();
    expect(config.maxUploadBytes).toBe(5 * 1024 * 1024);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'sqlite:/var/lib/lectern/site.db',
      BASE_URL: 'https://blog.example.org/news/',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: 'true',
      SMTP_URL: 'smtp://user:pass@mail.example.org:587',
    });
    expect(config.port).toBe(8080);
    expect(config.host).toBe('0.0.0.0');
    expect(config.databaseUrl).toBe('sqlite:/var/lib/lectern/site.db');
    expect(config.baseUrl).toBe('https://blog.example.org/news');
    expect(config.logLevel).toBe('warn');
    expect(config.trustProxy).toBe(true);
    expect(config.smtpUrl).toBe('smtp://user:pass@mail.example.org:587');
  });

  it('accepts a postgres:// DATABASE_URL as given', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/lectern' }).databaseUrl).toBe('postgres://u:p@db:5432/lectern');
  });

  it('makes a relative sqlite path absolute', () => {
    expect(loadConfig({ DATABASE_URL: 'sqlite:./x/y.db' }).databaseUrl).toBe(`sqlite:${process.cwd()}/x/y.db`);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'sqlite:'],
    ['DATABASE_URL', 'lectern.db'],
    ['LOG_LEVEL', 'verbose'],
    ['BASE_URL', 'not a url'],
    ['BASE_URL', 'ftp://example.org'],
    ['TRUST_PROXY', 'yes please'],
    ['SMTP_URL', 'http://mail.example.org'],
    ['SECRET_KEY', 'short'],
  ])('rejects %s=%j with a ConfigError naming the variable', (name, value) => {
    let caught: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const message = (caught as Error).message;
    expect(message).toContain(name);
    // One line, fit for "lectern: <message>" on stderr.
    expect(message).not.toContain('\n');
  });
});
