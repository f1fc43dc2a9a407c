import type { FastifyInstance } from 'fastify';
import postsApi from './posts.js';

export default async function apiRoutes(app: FastifyInstance) {
  await app.register(postsApi);
}
