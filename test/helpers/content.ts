import type { TestApp } from './app.js';
import { makeUser } from './app.js';
import { createPost, type PostInput } from '../../server/services/posts.js';
import { writeSetting } from '../../server/data/settings.js';
import { findPostById } from '../../server/data/posts.js';

/** A published post by a fresh author; returns its id and slug. */
export async function publishPost(t: TestApp, input: Partial<PostInput> = {}): Promise<{ id: number; slug: string }> {
  const author = await makeUser(t, 'author');
  const id = await createPost(t.db.kysely, author, { title: 'What makes good customer service?', body: 'Tell us what you think.', status: 'published', ...input });
  const post = await findPostById(t.db.kysely, id);
  return { id, slug: post!.slug };
}

export async function setSettings(t: TestApp, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) await writeSetting(t.db.kysely, key, value);
}
