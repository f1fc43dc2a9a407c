import type { Executor } from '../data/executor.js';
import type { CommentClaim, CommentNote } from '../db/schema.js';
import { actionWasUndone, lastLogRowOf, logRowsOfAction } from '../data/workspace.js';
import { CLAIM_MINUTES, claimsOn } from './claims.js';
import { notesByComment } from './notes.js';

/**
 * What the moderation queue shows beside each comment (issue 11): who has claimed it, the
 * staff's internal notes, and after an action the "Approved 3 comments. Undo" notice.
 */
export interface QueueWorkspace {
  claims: Map<number, CommentClaim>;
  notes: Map<number, CommentNote[]>;
  /** The action just taken, offered for undo while it still can be. */
  undo: { actionId: string; message: string; undoable: boolean } | null;
  /** The undo just made. */
  undone: string | null;
  claimMinutes: number;
}

const plural = (n: number) => `${n} comment${n === 1 ? '' : 's'}`;

const VERBS: Record<string, (n: number) => string> = {
  approved: (n) => `Approved ${plural(n)}.`,
  pending: (n) => `Moved ${plural(n)} to pending.`,
  rejected: (n) => `Rejected ${plural(n)}.`,
  spam: (n) => `Marked ${plural(n)} as spam.`,
  deleted: (n) => `Deleted ${plural(n)}.`,
};

/** "Approved 3 comments." for an action; for an undo, where the comments went back to. */
export function describeAction(rows: { to_status: string; undo_of: string | null }[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.to_status, (counts.get(r.to_status) ?? 0) + 1);
  if (rows[0]?.undo_of) {
    const parts = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
    return `Undone: ${plural(rows.length)} put back as ${rows.length === 1 ? 'it was' : 'they were'} (${parts}).`;
  }
  return [...counts].map(([status, n]) => (VERBS[status] ?? ((k: number) => `Moved ${plural(k)} to ${status}.`))(n)).join(' ');
}

async function undoOffer(db: Executor, userId: number, actionId: string): Promise<QueueWorkspace['undo']> {
  const rows = await logRowsOfAction(db, actionId);
  if (rows.length === 0 || rows[0]!.actor_id !== userId || rows[0]!.undo_of !== null) return null;
  const last = await lastLogRowOf(db, userId);
  const undoable = last?.action_id === actionId && !(await actionWasUndone(db, actionId));
  return { actionId, message: describeAction(rows), undoable };
}

async function undoneNotice(db: Executor, userId: number, actionId: string): Promise<string | null> {
  const rows = await logRowsOfAction(db, actionId);
  if (rows.length === 0 || rows[0]!.actor_id !== userId || rows[0]!.undo_of === null) return null;
  return describeAction(rows);
}

const param = (query: unknown, name: string) => {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && /^[0-9a-f-]{36}$/.test(value) ? value : null;
};

export async function queueWorkspace(db: Executor, user: { id: number }, commentIds: number[], query: unknown, now = new Date()): Promise<QueueWorkspace> {
  const undoId = param(query, 'undo');
  const undoneId = param(query, 'undone');
  const [claims, notes, undo, undone] = await Promise.all([
    claimsOn(db, commentIds, now),
    notesByComment(db, commentIds),
    undoId ? undoOffer(db, user.id, undoId) : null,
    undoneId ? undoneNotice(db, user.id, undoneId) : null,
  ]);
  return { claims, notes, undo, undone, claimMinutes: CLAIM_MINUTES };
}

