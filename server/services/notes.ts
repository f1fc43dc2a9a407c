import type { Executor } from '../data/executor.js';
import type { CommentNote } from '../db/schema.js';
import { findComment } from '../data/comments.js';
import { insertNote, notesOf } from '../data/workspace.js';
import { invalid, notFound } from '../errors.js';
import { touchClaim } from './claims.js';

/**
 * Internal notes on queue items (issue 11): staff write them for each other ("asked the
 * branch manager", "regular, usually fine"). Shown only in the staff queue and the staff API,
 * never on public pages nor in the public API; they are plain text, escaped where shown.
 */
export const NOTE_MAX = 2000;

export interface NoteAuthor {
  id: number;
  display_name: string;
}

export async function addNote(db: Executor, author: NoteAuthor, commentId: number, rawBody: unknown, now = new Date()): Promise<CommentNote> {
  if (!(await findComment(db, commentId))) throw notFound('Comment');
  const body = (typeof rawBody === 'string' ? rawBody : '').replace(/\r\n/g, '\n').trim();
  if (!body) throw invalid({ body: 'Write the note first' }, 'Write the note first');
  if (body.length > NOTE_MAX) throw invalid({ body: `Keep the note under ${NOTE_MAX.toLocaleString('en')} characters (it has ${body.length.toLocaleString('en')})` });
  const note = await insertNote(db, { comment_id: commentId, author_id: author.id, author_name: author.display_name, body, created_at: now.toISOString() });
  // Writing about an item is working on it: the writer's own claim keeps running.
  await touchClaim(db, author.id, commentId, now);
  return note;
}

export async function notesOn(db: Executor, commentId: number): Promise<CommentNote[]> {
  if (!(await findComment(db, commentId))) throw notFound('Comment');
  return notesOf(db, [commentId]);
}

/** The notes of a page of the queue, by comment id. */
export async function notesByComment(db: Executor, commentIds: number[]): Promise<Map<number, CommentNote[]>> {
  const out = new Map<number, CommentNote[]>();
  for (const note of await notesOf(db, commentIds)) {
    const list = out.get(note.comment_id) ?? [];
    list.push(note);
    out.set(note.comment_id, list);
  }
  return out;
}

/** A note as the staff API shows it. */
export const noteJson = (n: CommentNote) => ({ id: n.id, comment_id: n.comment_id, author: { id: n.author_id, name: n.author_name }, body: n.body, created_at: n.created_at });
