import type { Executor } from '../data/executor.js';
import { categoryModesOfPost, findCategory, listCategoriesWithModes, setCategoryMode } from '../data/discussion.js';
import type { DiscussionMode } from '../db/schema.js';
import { invalid } from '../errors.js';
import { DISCUSSION_MODES, isDiscussionMode, strictestMode } from './discussion.js';

/** Categories and their default discussion modes (issue 11; /admin/categories). */
export const listCategories = (db: Executor) => listCategoriesWithModes(db);

/** The default a post gets from its categories: the strictest one set, or null. */
export async function categoryDefaultOf(db: Executor, postId: number): Promise<DiscussionMode | null> {
  return strictestMode(await categoryModesOfPost(db, postId));
}

/**
 * Sets the defaults from the categories form: category id → a mode, or '' for the site's.
 * All are checked before any is written; unknown ids are refused by name.
 */
export async function saveCategoryModes(db: Executor, values: ReadonlyMap<number, string>): Promise<void> {
  const errors: Record<string, string> = {};
  const changes: { id: number; mode: DiscussionMode | null }[] = [];
  for (const [id, value] of values) {
    if (!(await findCategory(db, id))) errors[`mode_${id}`] = 'This category is gone; reload the page';
    else if (value !== '' && !isDiscussionMode(value)) errors[`mode_${id}`] = `Choose the site default or one of ${DISCUSSION_MODES.join(', ')}`;
    else changes.push({ id, mode: value === '' ? null : (value as DiscussionMode) });
  }
  if (Object.keys(errors).length) throw invalid(errors);
  for (const { id, mode } of changes) await setCategoryMode(db, id, mode);
}
