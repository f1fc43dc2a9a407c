import type { FastifyInstance } from 'fastify';
import postsApi from './posts.js';
import commentsApi from './comments.js';

export default async function apiRoutes(app: FastifyInstance) {
  await app.register(postsApi);
  await app.register(commentsApi);
}
