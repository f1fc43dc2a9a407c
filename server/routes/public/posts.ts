import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SlugParams } from '../../schemas/common.js';
import { getPublicPost, type PostView } from '../../services/posts.js';
import { loadSettings, type SiteSettings } from '../../services/settings.js';
import { keyedHash, submitComment } from '../../services/comments.js';
import { commentRefusal, effectiveDiscussion, threadVisible } from '../../services/discussion.js';
import { editableUntil, ownControls, ownIdsOnPost, ownIdsWorthKeeping } from '../../services/own-comments.js';
import { buildThread, mergeById } from '../../services/threads.js';
import { listApprovedComments, listCommentsByIds } from '../../data/comments.js';
import { avatarSvg } from '../../markup/avatar.js';
import { AppError } from '../../errors.js';
import { field } from '../admin/forms.js';
import { mailEnabled } from '../../services/mail/queue.js';
import { adjacentPosts } from '../../services/archive.js';
import { commentsFeedLink } from '../../services/feeds.js';
import { postSeo } from '../../services/seo.js';
import { questionSection } from '../../services/questions.js';
import { likesForPostPage } from '../../services/likes.js';
import { existingReaderHash } from '../reader.js';

/** Signed cookies: the visitor's own held comments, and (if asked) their name for next time. */
const OWN_COOKIE = 'lectern_own';
const REMEMBER_COOKIE = 'lectern_commenter';
const OWN_KEEP = 20;
const YEAR_S = 365 * 24 * 3600;

interface FormState {
  values: { name: string; email: string; url: string; body: string; parent_id: string; remember: boolean; notify_replies?: boolean; notify_post?: boolean };
  errors: Record<string, string>;
}

function readSigned(request: FastifyRequest, name: string): string | null {
  const raw = request.cookies[name];
  if (!raw) return null;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

export function ownCommentIds(request: FastifyRequest): number[] {
  const value = readSigned(request, OWN_COOKIE);
  return value ? value.split('.').map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
}

function rememberedCommenter(request: FastifyRequest): { name: string; email: string; url: string } | null {
  const value = readSigned(request, REMEMBER_COOKIE);
  if (!value) return null;
  try {
    const parsed = JSON.parse(value) as Record<string, unknown>;
    return { name: String(parsed.name ?? ''), email: String(parsed.email ?? ''), url: String(parsed.url ?? '') };
  } catch {
    return null;
  }
}

export default async function postRoutes(base: FastifyInstance) {
  const app = base.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => app.db.kysely;
  const cookieOpts = (request: FastifyRequest) => ({
    path: '/',
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: request.protocol === 'https',
    signed: true,
    maxAge: YEAR_S,
  });

  /** Drops from the own-comments cookie what no longer needs proving, so the visitor's pages can be cached again. */
  async function pruneOwnCookie(request: FastifyRequest, reply: FastifyReply, settings: SiteSettings) {
    const ids = ownCommentIds(request);
    if (ids.length === 0) return;
    const keep = await ownIdsWorthKeeping(db(), ids, settings);
    if (keep.length === ids.length) return;
    if (keep.length === 0) reply.clearCookie(OWN_COOKIE, { path: '/' });
    else reply.setCookie(OWN_COOKIE, keep.join('.'), cookieOpts(request));
  }

  async function renderPostPage(request: FastifyRequest, reply: FastifyReply, post: PostView, settings: SiteSettings, form: FormState | null, status = 200) {
    const query = request.query as Record<string, string | undefined>;
    // services/discussion.ts: a hidden thread is not read at all; the form follows the mode.
    const now = new Date();
    const discussion = effectiveDiscussion(post, post.category_discussion_mode, settings, now);
    const shown = threadVisible(discussion);
    const formOffered = commentRefusal(discussion, request.user) === null;
    const approved = shown ? await listApprovedComments(db(), post.id) : [];
    const ownIds = shown ? await ownIdsOnPost(db(), post.id, ownCommentIds(request), request.user) : [];
    const own = await listCommentsByIds(db(), post.id, ownIds);
    const ownHeld = own.filter((c) => c.status === 'pending');
    const all = mergeById(approved, ownHeld);
    const replyToId = Number(form?.values.parent_id || query.replytocom || 0);
    const replyTo = replyToId ? approved.find((c) => c.id === replyToId) ?? null : null;
    const remembered = rememberedCommenter(request);
    const values = form?.values ?? {
      name: remembered?.name ?? '',
      email: remembered?.email ?? '',
      url: remembered?.url ?? '',
      body: '',
      parent_id: replyTo ? String(replyTo.id) : '',
      remember: remembered !== null,
    };
    return reply.page(
      'post',
      {
        title: post.title,
        description: post.excerpt,
        post,
        thread: buildThread(all),
        threadDepth: settings.thread_depth,
        closed: !formOffered,
        discussion,
        own: await ownControls(db(), own, new Set(ownIds), settings, formOffered, now),
        ownNotice: query.deleted === '1' ? 'Your comment was deleted.' : null,
        form: { values, errors: form?.errors ?? {}, replyTo, notify: mailEnabled(app.config) },
        heldId: Number(query.held) || null,
        adjacent: await adjacentPosts(db(), post),
        question: await questionSection(db(), post, approved),
        // This reader's own likes only on ?liked=1 (after a like): such a page is never cached.
        likes: await likesForPostPage(db(), post.id, query.liked === '1' ? existingReaderHash(app, request) : null),
        seo: postSeo({ baseUrl: app.config.baseUrl, siteName: settings.site_name, tagline: settings.tagline }, post),
        feeds: [commentsFeedLink(post)],
      },
      status,
    );
  }

  app.get('/posts/:slug', { schema: { params: SlugParams } }, async (request, reply) => {
    const post = await getPublicPost(db(), request.params.slug, 'post');
    const settings = await loadSettings(db());
    await pruneOwnCookie(request, reply, settings);
    return renderPostPage(request, reply, post, settings, null);
  });

  // A signed-in person's cookie could be ridden by another site; a visitor's cannot.
  const csrfWhenSignedIn = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) =>
    request.user ? app.csrfProtection(request, reply, done) : done();

  app.post('/posts/:slug/comments', { schema: { params: SlugParams }, preHandler: csrfWhenSignedIn }, async (request, reply) => {
    const body = request.body;
    const values = {
      name: field(body, 'name'),
      email: field(body, 'email'),
      url: field(body, 'url'),
      body: field(body, 'body'),
      parent_id: field(body, 'parent_id'),
      remember: field(body, 'remember') === 'on',
      notify_replies: field(body, 'notify_replies') === 'on',
      notify_post: field(body, 'notify_post') === 'on',
    };
    const settings = await loadSettings(db());
    try {
      const result = await submitComment(
        db(),
        request.params.slug,
        { ...values, honeypot: field(body, 'homepage') },
        { user: request.user, ipHash: keyedHash(app.secret, 'ip', request.ip) },
        settings,
        app.secret,
      );
      if (values.remember && !request.user) {
        reply.setCookie(REMEMBER_COOKIE, JSON.stringify({ name: values.name, email: values.email, url: values.url }), cookieOpts(request));
      } else if (!values.remember && request.cookies[REMEMBER_COOKIE]) {
        reply.clearCookie(REMEMBER_COOKIE, { path: '/' });
      }
      // The cookie shows a held comment to its author, and proves whose comment it is while
      // it may still be edited (services/own-comments.ts).
      if (result.status === 'pending' || (result.status === 'approved' && editableUntil(result.createdAt, settings))) {
        const own = [...ownCommentIds(request).filter((id) => id !== result.id), result.id].slice(-OWN_KEEP);
        reply.setCookie(OWN_COOKIE, own.join('.'), cookieOpts(request));
      }
      // Spam is answered exactly like a held comment, so a bot learns nothing.
      if (result.status === 'approved') return reply.redirect(`/posts/${encodeURIComponent(result.postSlug)}#comment-${result.id}`, 303);
      return reply.redirect(`/posts/${encodeURIComponent(result.postSlug)}?held=${result.id}#comment-${result.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && [403, 422, 429].includes(err.status)) {
        const post = await getPublicPost(db(), request.params.slug, 'post');
        const errors = err.status === 422 ? err.fields : { form: err.message };
        if (err.status === 429) reply.header('retry-after', '60');
        return renderPostPage(request, reply, post, settings, { values, errors }, err.status);
      }
      throw err;
    }
  });

  app.get(
    '/avatars/:key',
    { schema: { params: Type.Object({ key: Type.String({ pattern: '^[0-9a-f]{32}\\.svg$' }) }) } },
    async (request, reply) =>
      reply
        .type('image/svg+xml')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(avatarSvg(request.params.key.slice(0, 32))),
  );
}
