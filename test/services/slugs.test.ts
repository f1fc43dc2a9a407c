import { describe, expect, it } from 'vitest';
import { isValidSlug, slugFromTitle } from '../../server/services/slugs.js';

describe('slugFromTitle', () => {
  it.each([
    ['What makes good customer service?', 'what-makes-good-customer-service'],
    ['  Story time: Saturdays!  ', 'story-time-saturdays'],
    ['Café crème at the Bücherei', 'cafe-creme-at-the-bucherei'],
    ['Łódź and Kraków', 'lodz-and-krakow'],
    ['Привет, библиотека', 'privet-biblioteka'],
    ['图书馆开放时间', '图书馆开放时间'],
    ['図書館 お知らせ', '図書館-お知らせ'],
    ['!!!', 'post'],
  ])('%j → %j', (title, slug) => {
    expect(slugFromTitle(title)).toBe(slug);
  });

  it('gives slugs that pass its own validation', () => {
    for (const title of ['What makes good customer service?', 'Café', 'Привет', '图书馆开放时间', 'A -- b', 'x'.repeat(300)]) {
      expect(isValidSlug(slugFromTitle(title)), title).toBe(true);
    }
  });

  it('keeps slugs short', () => {
    expect(slugFromTitle('word '.repeat(100)).length).toBeLessThanOrEqual(80);
  });
});

describe('isValidSlug', () => {
  it.each(['about', 'opening-hours-2026', '图书馆', 'привет-мир'])('accepts %j', (slug) => {
    expect(isValidSlug(slug)).toBe(true);
  });

  it.each(['', 'About', 'two--hyphens', '-leading', 'trailing-', 'with space', 'a/b', 'a.b', 'x'.repeat(101)])('rejects %j', (slug) => {
    expect(isValidSlug(slug)).toBe(false);
  });
});
