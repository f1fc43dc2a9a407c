import type { FastifyInstance } from 'fastify';
import postsApi from './posts.js';
import commentsApi from './comments.js';
import ownCommentsApi from './own-comments.js';
import moderationApi from './moderation.js';
import usersApi from './users.js';
import privacyApi from './privacy.js';
import questionsApi from './questions.js';
import reactionsApi from './reactions.js';

export default async function apiRoutes(app: FastifyInstance) {
  await app.register(postsApi);
  await app.register(commentsApi);
  await app.register(ownCommentsApi);
  await app.register(moderationApi);
  await app.register(usersApi);
  await app.register(privacyApi);
  await app.register(questionsApi);
  await app.register(reactionsApi);
}
