import type { FastifyInstance } from 'fastify';
import postsApi from './posts.js';
import commentsApi from './comments.js';
import usersApi from './users.js';
import privacyApi from './privacy.js';

export default async function apiRoutes(app: FastifyInstance) {
  await app.register(postsApi);
  await app.register(commentsApi);
  await app.register(usersApi);
  await app.register(privacyApi);
}
