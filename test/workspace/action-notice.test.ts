import { describe, expect, it } from 'vitest';
import { withActionNotice } from '../../server/routes/admin/workspace.js';

describe('the address the queue returns to after an action', () => {
  it.each([
    ['/admin/comments', 'undo', '/admin/comments?undo=A'],
    ['/admin/comments?status=pending', 'undo', '/admin/comments?status=pending&undo=A'],
    ['/admin/comments?status=pending&undo=OLD&page=2', 'undo', '/admin/comments?status=pending&page=2&undo=A'],
    ['/admin/comments?undo=OLD#q-4', 'undone', '/admin/comments?undone=A#q-4'],
    ['/admin/comments?done=1', 'undo', '/admin/comments?undo=A'],
    // Dot segments are left alone: a URL parser would make this "//evil.example", another site.
    ['/.//evil.example', 'undo', '/.//evil.example?undo=A'],
  ] as const)('%s → %s', (from, name, to) => {
    expect(withActionNotice(from, name, 'A')).toBe(to);
  });

  it('leaves the address alone when nothing moved', () => {
    expect(withActionNotice('/admin/comments?status=spam', 'undo', null)).toBe('/admin/comments?status=spam');
  });
});
