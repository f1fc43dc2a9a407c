import type { PublicComment } from '../data/comments.js';

export interface ThreadNode extends PublicComment {
  replies: ThreadNode[];
}

/**
 * Builds the reply tree from comments sorted by id (oldest first) in one pass: a parent
 * always has a smaller id than its replies. A reply whose parent is not shown (held,
 * removed) is shown at the top level rather than lost.
 */
export function buildThread(comments: PublicComment[]): ThreadNode[] {
  const nodes = new Map<number, ThreadNode>();
  const roots: ThreadNode[] = [];
  for (const comment of comments) {
    const node: ThreadNode = { ...comment, replies: [] };
    nodes.set(comment.id, node);
    const parent = comment.parent_id === null ? undefined : nodes.get(comment.parent_id);
    (parent ? parent.replies : roots).push(node);
  }
  return roots;
}

/** Merges a visitor's own held comments into the approved ones, keeping id order. */
export function mergeById(a: PublicComment[], b: PublicComment[]): PublicComment[] {
  if (b.length === 0) return a;
  const seen = new Set(a.map((c) => c.id));
  return [...a, ...b.filter((c) => !seen.has(c.id))].sort((x, y) => x.id - y.id);
}
