import slugify from 'slugify';

/**
 * A readable, URL-safe slug. slugify transliterates most scripts' accented letters
 * ("Café" → "cafe"); for scripts it cannot transliterate (Cyrillic, Greek, CJK…) the
 * letters are kept as Unicode, which browsers show as typed.
 */
export function slugFromTitle(title: string): string {
  const ascii = slugify(title, { lower: true, strict: true, trim: true });
  if (ascii.replace(/-/g, '').length >= Math.min(3, title.trim().length)) return ascii.slice(0, 80).replace(/-+$/, '');
  const unicode = title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return unicode || 'post';
}

const SLUG_PATTERN = /^[\p{Ll}\p{Lo}\p{N}]+(?:-[\p{Ll}\p{Lo}\p{N}]+)*$/u;

export function isValidSlug(slug: string): boolean {
  return slug.length <= 100 && SLUG_PATTERN.test(slug);
}
