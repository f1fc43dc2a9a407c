import type { Role } from '../db/schema.js';

/** The roles table of product.md, as code. */
export type Action =
  | 'staff-area'
  | 'write-posts'
  | 'edit-any-post'
  | 'moderate'
  | 'manage-users'
  | 'manage-settings'
  | 'manage-tokens-of-others'
  | 'upload';

const GRANTS: Record<Role, readonly Action[]> = {
  admin: ['staff-area', 'write-posts', 'edit-any-post', 'moderate', 'manage-users', 'manage-settings', 'manage-tokens-of-others', 'upload'],
  editor: ['staff-area', 'write-posts', 'edit-any-post', 'moderate', 'upload'],
  author: ['staff-area', 'write-posts', 'upload'],
  patron: [],
};

export const ROLES: readonly Role[] = ['admin', 'editor', 'author', 'patron'];
export const STAFF_ROLES: readonly Role[] = ['admin', 'editor', 'author'];

export function can(role: Role | undefined | null, action: Action): boolean {
  return role != null && GRANTS[role].includes(action);
}

export function isStaff(role: Role | undefined | null): boolean {
  return role != null && STAFF_ROLES.includes(role);
}

/** May this user change or delete that post? */
export function canEditPost(user: { id: number; role: Role }, post: { author_id: number }): boolean {
  return can(user.role, 'edit-any-post') || (can(user.role, 'write-posts') && post.author_id === user.id);
}
