import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Db;
    /** Signs cookies and keys the IP and avatar hashes. */
    secret: string;
  }
}

/** Makes the configuration and the database reachable from every route and hook. */
export default fp<{ config: Config; db: Db; secret: string }>(
  async (app, { config, db, secret }) => {
    app.decorate('config', config);
    app.decorate('db', db);
    app.decorate('secret', secret);
  },
  { name: 'lectern-context' },
);
