import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { IdParams, SlugParams } from '../../schemas/common.js';
import { PostsListQuery } from '../../schemas/questions.js';
import { listAwaiting, officialAnswer } from '../../services/questions.js';
import { CreatePostBody, UpdatePostBody } from '../../schemas/posts.js';
import {
  createPost,
  deletePostById,
  getPostForStaff,
  getPublicPost,
  listPublicPosts,
  updatePostById,
  type PostView,
} from '../../services/posts.js';
import { findPostById } from '../../data/posts.js';
import { listApprovedComments } from '../../data/comments.js';
import { buildThread, type ThreadNode } from '../../services/threads.js';
import { loadSettings } from '../../services/settings.js';
import { apiDiscussion, threadHidden } from './discussion.js';
import { likesForPostPage } from '../../services/likes.js';
import { withLikeCounts } from './reactions.js';

const API_PAGE_SIZE = 10;

/** The list shape of product.md; term names, as the API accepts them. */
export function apiSummary(post: PostView) {
  return {
    id: post.id,
    slug: post.slug,
    title: post.title,
    excerpt: post.excerpt,
    author: { username: post.author.username, display_name: post.author.display_name },
    published_at: post.published_at,
    tags: post.tags.map((t) => t.name),
    categories: post.categories.map((t) => t.name),
    // null when the post's discussion is hidden (docs/api-discussion.md).
    comment_count: threadHidden(post) ? null : post.comment_count,
    is_question: post.is_question,
  };
}

/** A public comment and its replies: never the email or the IP hash. */
function apiComment(node: ThreadNode): Record<string, unknown> {
  return {
    id: node.id,
    parent_id: node.parent_id,
    author_name: node.author_name,
    author_url: node.author_url || null,
    html: node.body_html,
    created_at: node.created_at,
    is_staff: node.is_staff === 1,
    edited_at: node.edited_at,
    replies: node.replies.map(apiComment),
  };
}

function apiStaffPost(post: PostView, bodyMd: string) {
  return {
    ...apiSummary(post),
    kind: post.kind,
    status: post.status,
    body: bodyMd,
    html: post.html,
    comments_open: post.comments_open,
    updated_at: post.updated_at,
  };
}

export default async function postsApi(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;

  app.get('/posts', { schema: { querystring: PostsListQuery } }, async (request) => {
    // Staff only: question posts no approved staff comment answers yet (docs/api-questions.md).
    if (request.query.awaiting_staff_reply === 1) {
      await app.requireApiRole('write-posts')(request);
      const awaiting = await listAwaiting(db(), request.user!, request.query.page, API_PAGE_SIZE);
      return { posts: awaiting.posts.map(apiSummary), page: request.query.page, total: awaiting.total };
    }
    const listing = await listPublicPosts(db(), {}, request.query.page, API_PAGE_SIZE);
    return { posts: listing.posts.map(apiSummary), page: listing.page, total: listing.total };
  });

  app.get('/posts/:slug', { schema: { params: SlugParams } }, async (request) => {
    const post = await getPublicPost(db(), request.params.slug, 'post');
    const approved = threadHidden(post) ? [] : await listApprovedComments(db(), post.id);
    const comments = buildThread(approved);
    const answer = officialAnswer(post, approved);
    const likes = await likesForPostPage(db(), post.id, null);
    return {
      post: {
        ...apiSummary(post), html: post.html, comments_open: post.comments_open, answer_comment_id: answer?.id ?? null,
        ...apiDiscussion(post, await loadSettings(db())),
        like_count: likes.post.count,
      },
      comments: withLikeCounts(comments.map(apiComment), likes),
    };
  });

  const staffView = async (actor: { id: number; role: 'admin' | 'editor' | 'author' | 'patron' }, id: number) => {
    const view = await getPostForStaff(db(), actor, id);
    const row = await findPostById(db(), id);
    return { ...apiStaffPost(view, row?.body_md ?? ''), ...apiDiscussion(view, await loadSettings(db())) };
  };

  app.post(
    '/posts',
    { schema: { body: CreatePostBody }, preHandler: app.requireApiRole('write-posts') },
    async (request, reply) => {
      const actor = request.user!;
      const id = await createPost(db(), actor, request.body);
      return reply.code(201).send({ post: await staffView(actor, id) });
    },
  );

  app.patch(
    '/posts/:id',
    { schema: { params: IdParams, body: UpdatePostBody }, preHandler: app.requireApiRole('write-posts') },
    async (request) => {
      const actor = request.user!;
      await updatePostById(db(), actor, request.params.id, request.body);
      return { post: await staffView(actor, request.params.id) };
    },
  );

  app.delete(
    '/posts/:id',
    { schema: { params: IdParams }, preHandler: app.requireApiRole('write-posts') },
    async (request, reply) => {
      await deletePostById(db(), request.user!, request.params.id);
      return reply.code(204).send();
    },
  );
}
