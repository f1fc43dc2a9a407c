import type { Kysely } from 'kysely';
import type { Database, Role } from '../db/schema.js';
import type { Executor } from '../data/executor.js';
import { findComment } from '../data/comments.js';
import { findPostById } from '../data/posts.js';
import {
  countThemesOfPost,
  deleteCommentTheme,
  deleteTheme,
  findTheme,
  findThemesByIds,
  findThemesByKeys,
  insertCommentTheme,
  insertThemeIfMissing,
  themesOfComments,
} from '../data/themes.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { can } from './permissions.js';

/**
 * Tagging a question post's approved comments with themes (issue 11). Themes are created on
 * the fly by name; "Helping" and " helping " are the same theme of that post. A theme whose
 * last tag is removed is kept (it stays on the staff page to reuse, and drops out of the
 * public summary, which only lists themes with mentions); deleting a theme is a separate,
 * explicit action that removes it from every comment.
 */
export const THEME_LIMITS = { name: 60, perPost: 100, perRequest: 20 };

export interface ThemeActor {
  id: number;
  role: Role;
}

/** Trimmed, inner spaces folded; the key is that, lower-cased. */
export function normaliseThemeName(raw: string): { name: string; key: string } {
  const name = raw.trim().replace(/\s+/g, ' ');
  return { name, key: name.toLowerCase() };
}

function requireModerator(actor: ThemeActor): void {
  if (!can(actor.role, 'moderate')) throw forbidden('Only moderators (editors and administrators) can tag comments');
}

/** The comment and its post, if tagging it is allowed: approved, on a question post. */
async function taggableComment(db: Executor, commentId: number) {
  const comment = await findComment(db, commentId);
  if (!comment) throw notFound('Comment');
  const post = await findPostById(db, comment.post_id);
  if (!post) throw notFound('Post');
  if (post.is_question !== 1) throw invalid({ comment_id: 'Only comments on a question post can be tagged with themes' });
  if (comment.status !== 'approved') throw invalid({ comment_id: 'Only approved comments can be tagged with themes' });
  return { comment, post };
}

export interface TagInput {
  /** Existing themes of the post, by id (the staff page's checkboxes). */
  themeIds?: number[];
  /** Theme names, created when the post has none by that name. */
  names?: string[];
  /** The form or API field the names came from, for the error message. */
  namesField?: string;
}

/**
 * Adds themes to an approved comment of a question post; returns the comment's themes after.
 * 422 names the field: an empty or too long name, too many, an id of another post's theme.
 */
export async function tagComment(
  db: Kysely<Database>,
  actor: ThemeActor,
  commentId: number,
  input: TagInput,
  now = new Date(),
): Promise<{ id: number; name: string }[]> {
  requireModerator(actor);
  const namesField = input.namesField ?? 'themes';
  const names = (input.names ?? []).map(normaliseThemeName);
  const themeIds = [...new Set(input.themeIds ?? [])];
  if (names.length === 0 && themeIds.length === 0) throw invalid({ [namesField]: 'Choose a theme or write a new one' });
  if (names.some((n) => n.name === '')) throw invalid({ [namesField]: 'A theme needs a name' });
  const long = names.find((n) => n.name.length > THEME_LIMITS.name);
  if (long) throw invalid({ [namesField]: `Keep theme names to ${THEME_LIMITS.name} characters (“${long.name.slice(0, 20)}…” is longer)` });
  if (names.length + themeIds.length > THEME_LIMITS.perRequest) throw invalid({ [namesField]: `Add at most ${THEME_LIMITS.perRequest} themes at a time` });

  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const { comment, post } = await taggableComment(trx, commentId);
    const chosen = await findThemesByIds(trx, themeIds);
    if (chosen.length !== themeIds.length || chosen.some((t) => t.post_id !== post.id)) {
      throw invalid({ theme_ids: 'That theme is not one of this post’s' });
    }
    // The first spelling of a name wins, as it does against an existing theme.
    const keys = names.filter((n, i) => names.findIndex((m) => m.key === n.key) === i);
    const existing = await findThemesByKeys(trx, post.id, keys.map((k) => k.key));
    const missing = keys.filter((k) => !existing.some((t) => t.name_key === k.key));
    if (missing.length && (await countThemesOfPost(trx, post.id)) + missing.length > THEME_LIMITS.perPost) {
      throw invalid({ [namesField]: `A post can have at most ${THEME_LIMITS.perPost} themes; reuse or delete some` });
    }
    for (const k of missing) await insertThemeIfMissing(trx, { post_id: post.id, name: k.name, name_key: k.key, created_by: actor.id, created_at: at });
    const named = missing.length ? await findThemesByKeys(trx, post.id, keys.map((k) => k.key)) : existing;
    for (const theme of [...chosen, ...named]) {
      await insertCommentTheme(trx, { comment_id: comment.id, theme_id: theme.id, tagged_by: actor.id, created_at: at });
    }
    return (await themesOfComments(trx, [comment.id])).get(comment.id) ?? [];
  });
}

/** Takes one theme off a comment; 404 when it did not carry it. The theme itself stays. */
export async function untagComment(db: Kysely<Database>, actor: ThemeActor, commentId: number, themeId: number): Promise<void> {
  requireModerator(actor);
  const removed = await deleteCommentTheme(db, commentId, themeId);
  if (!removed) {
    if (!(await findComment(db, commentId))) throw notFound('Comment');
    throw notFound('Theme on this comment');
  }
}

/** Deletes a theme of a post, and so its tags on every comment. */
export async function removeTheme(db: Kysely<Database>, actor: ThemeActor, postId: number, themeId: number): Promise<void> {
  requireModerator(actor);
  const theme = await findTheme(db, themeId);
  if (!theme || theme.post_id !== postId) throw notFound('Theme');
  await deleteTheme(db, themeId);
}
