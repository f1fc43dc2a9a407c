import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import type { PublicComment } from '../data/comments.js';
import { findComment } from '../data/comments.js';
import { findPostById, findPostsWithAuthorByIds } from '../data/posts.js';
import { countAwaitingStaffReply, listAwaitingStaffReply, setAnswerComment } from '../data/questions.js';
import { termsOfPosts } from '../data/terms.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { can } from './permissions.js';
import { getPublicPost, toView, type PostView } from './posts.js';
import { SUMMARY_QUOTES, themeSummary, type ThemeSummary } from './theme-summary.js';

/**
 * Question posts (issue 11): the staff reply pinned as the official answer, and the list of
 * questions still waiting for staff to answer.
 */

export interface QuestionActor {
  id: number;
  role: Role;
}

function requireModerator(actor: QuestionActor): void {
  if (!can(actor.role, 'moderate')) throw forbidden('Only moderators (editors and administrators) can pin an official answer');
}

/**
 * Pins an approved staff reply of a question post. 422 names comment_id when the comment is
 * missing, on another post, not by staff or not approved.
 */
export async function pinAnswer(db: Kysely<Database>, actor: QuestionActor, postId: number, commentId: number, now = new Date()): Promise<void> {
  requireModerator(actor);
  await db.transaction().execute(async (trx) => {
    const post = await findPostById(trx, postId);
    if (!post) throw notFound('Post');
    if (post.is_question !== 1) throw invalid({ comment_id: 'Only a question post has an official answer: mark the post as a question first' });
    const comment = await findComment(trx, commentId);
    if (!comment || comment.post_id !== post.id) throw invalid({ comment_id: 'That comment is not on this post' });
    if (comment.is_staff !== 1) throw invalid({ comment_id: 'Only a reply by library staff can be the official answer' });
    if (comment.status !== 'approved') throw invalid({ comment_id: 'Only an approved comment can be the official answer' });
    await setAnswerComment(trx, post.id, comment.id, now.toISOString());
  });
}

export async function unpinAnswer(db: Kysely<Database>, actor: QuestionActor, postId: number, now = new Date()): Promise<void> {
  requireModerator(actor);
  const post = await findPostById(db, postId);
  if (!post) throw notFound('Post');
  if (post.answer_comment_id !== null) await setAnswerComment(db, post.id, null, now.toISOString());
}

/**
 * The official answer among a post's approved comments, or null. Checked here as well as
 * kept by the triggers of migration 0080: a page never shows a comment that is not approved,
 * or not by staff, as the answer.
 */
export function officialAnswer<C extends Pick<PublicComment, 'id' | 'is_staff' | 'status'>>(
  post: Pick<PostView, 'is_question' | 'answer_comment_id'>,
  approved: readonly C[],
): C | null {
  if (!post.is_question || post.answer_comment_id === null) return null;
  return approved.find((c) => c.id === post.answer_comment_id && c.status === 'approved' && c.is_staff === 1) ?? null;
}

/** Whom the "awaiting a staff reply" list covers: moderators see every post, authors their own. */
const scopeOf = (actor: QuestionActor) => (can(actor.role, 'edit-any-post') ? undefined : actor.id);

export async function countAwaiting(db: Executor, actor: QuestionActor, now = new Date()): Promise<number> {
  return countAwaitingStaffReply(db, now.toISOString(), scopeOf(actor));
}

/** Published question posts with no approved staff comment yet, longest waiting first. */
export async function listAwaiting(
  db: Executor,
  actor: QuestionActor,
  page: number,
  perPage: number,
  now = new Date(),
): Promise<{ posts: PostView[]; total: number }> {
  const { ids, total } = await listAwaitingStaffReply(db, { now: now.toISOString(), authorId: scopeOf(actor), page, perPage });
  const rows = new Map((await findPostsWithAuthorByIds(db, ids)).map((r) => [r.id, r]));
  const terms = await termsOfPosts(db, ids);
  const posts = ids.flatMap((id) => {
    const row = rows.get(id);
    return row ? [toView(row, terms.get(id) ?? [])] : [];
  });
  return { posts, total };
}

export interface QuestionSection<C> {
  answer: C | null;
  summary: ThemeSummary;
}

/** What a question post's page shows besides the thread: the official answer and the tally. */
export async function questionSection<C extends Pick<PublicComment, 'id' | 'is_staff' | 'status'>>(
  db: Executor,
  post: Pick<PostView, 'id' | 'is_question' | 'answer_comment_id'>,
  approved: readonly C[],
): Promise<QuestionSection<C> | null> {
  if (!post.is_question) return null;
  return { answer: officialAnswer(post, approved), summary: await themeSummary(db, post.id, SUMMARY_QUOTES.post) };
}

/** A published question post, or 404 (a plain post has no summary). */
export async function getPublicQuestion(db: Executor, slug: string): Promise<PostView> {
  const post = await getPublicPost(db, slug, 'post');
  if (!post.is_question) throw notFound('Summary');
  return post;
}
