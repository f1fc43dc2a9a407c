import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../server/services/csv.js';
import { summaryCsv } from '../../server/services/theme-summary.js';

describe('CSV cells', () => {
  it.each([
    ['Friendly / smiles', 'Friendly / smiles'],
    ['Helping, then listening', '"Helping, then listening"'],
    ['Say "hello"', '"Say ""hello"""'],
    ['two\nlines', '"two\nlines"'],
    [' padded ', '" padded "'],
    ['=1+1', "'=1+1"],
    ['+44 20 7946 0000', "'+44 20 7946 0000"],
    ['-5 stars', "'-5 stars"],
    ['@mention', "'@mention"],
    ['\tTabbed', "'\tTabbed"],
    ['\rReturn', `"'\rReturn"`],
    ['=HYPERLINK("x","y")', `"'=HYPERLINK(""x"",""y"")"`],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j → %s', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('writes numbers as they are, rows with CRLF, and a byte-order mark first', () => {
    expect(csvCell(-3)).toBe('-3');
    expect(toCsv([['a', 1], ['b', 2]])).toBe('\uFEFFa,1\r\nb,2\r\n');
  });

  it('gives every theme a row, as wide as the theme with the most quotes', () => {
    const csv = summaryCsv({
      mentions: 3,
      themes: [
        { id: 1, name: 'Helping', mentions: 2, quotes: [{ comment_id: 1, text: 'One' }, { comment_id: 2, text: 'Two' }] },
        { id: 2, name: 'Listening', mentions: 1, quotes: [{ comment_id: 3, text: 'Three' }] },
      ],
    });
    expect(csv).toBe('\uFEFFTheme,Mentions,Quote 1,Quote 2\r\nHelping,2,One,Two\r\nListening,1,Three\r\n');
  });
});
