import { describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { fts5Match } from '../../server/data/search.js';
import { QUERY_LIMITS, highlightHtml, parseQuery, queryText } from '../../server/services/search.js';

const clause = (words: string[], prefix = false, negated = false) => ({ words, prefix, negated });

describe('parseQuery', () => {
  it.each([
    ['customer service', [[clause(['customer']), clause(['service'])]]],
    ['"customer service" desk', [[clause(['customer', 'service']), clause(['desk'])]]],
    ['libr*', [[clause(['libr'], true)]]],
    ['"story ti"*', [[clause(['story', 'ti'], true)]]],
    ['a*', [[clause(['a'])]]],
    ['cats -dogs', [[clause(['cats']), clause(['dogs'], false, true)]]],
    ['cats NOT dogs', [[clause(['cats']), clause(['dogs'], false, true)]]],
    ['cats -"hot dogs"', [[clause(['cats']), clause(['hot', 'dogs'], false, true)]]],
    ['cats OR dogs', [[clause(['cats'])], [clause(['dogs'])]]],
    ['cats AND dogs', [[clause(['cats']), clause(['dogs'])]]],
    ['e-mail', [[clause(['e', 'mail'])]]],
    ['Café NAÏVE', [[clause(['café']), clause(['naïve'])]]],
    ['ｆｕｌｌｗｉｄｔｈ', [[clause(['fullwidth'])]]],
    ['title:customer', [[clause(['title', 'customer'])]]],
    ['NEAR(a b)', [[clause(['near', 'a']), clause(['b'])]]],
    ['"unclosed phrase', [[clause(['unclosed', 'phrase'])]]],
    ['OR cats OR OR', [[clause(['cats'])]]],
    ['-cats OR dogs', [[clause(['dogs'])]]],
  ])('%j', (input, groups) => {
    expect(parseQuery(input).groups).toEqual(groups);
  });

  it.each(['', '   ', '"', '*', '-', '(((', 'AND OR NOT', '""', '-cats', 'NOT cats', '☕🤖', '\u200B', '!@#$%^&()[]{}<>?/\\|~`'])('%j has no words to search for', (input) => {
    expect(parseQuery(input).groups).toEqual([]);
  });

  it('cuts very long queries rather than refusing them', () => {
    const { groups } = parseQuery('word '.repeat(1000));
    expect(groups[0]).toHaveLength(QUERY_LIMITS.clauses);
    const phrase = parseQuery(`"${'w '.repeat(100)}"`).groups[0]![0]!;
    expect(phrase.words).toHaveLength(QUERY_LIMITS.phraseWords);
  });

  it('reads q however it arrived', () => {
    expect(queryText('a')).toBe('a');
    expect(queryText(['a', 'b'])).toBe('a');
    expect(queryText(undefined)).toBe('');
    expect(queryText({ x: 1 })).toBe('');
  });
});

describe('the FTS5 compilation', () => {
  it('quotes every clause, so FTS5 operators in the input are plain words', () => {
    expect(fts5Match(parseQuery('"customer service" libr* -fines OR NEAR').groups)).toBe(
      '("customer service" AND "libr"* NOT "fines") OR ("near")',
    );
  });

  it('never produces a query FTS5 rejects (random hostile input)', () => {
    const db = new SQLite(':memory:');
    db.exec(`CREATE VIRTUAL TABLE f USING fts5(a, b, tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3');
             INSERT INTO f VALUES ('customer service', 'the library desk'), ('near and far', 'or not');`);
    const match = db.prepare('SELECT count(*) AS n FROM f WHERE f MATCH ?');
    const alphabet = [...'"*-()^:+{},.;\'\\/|&!<>~ \t\n', 'AND', 'OR', 'NOT', 'NEAR', 'a', 'b', 'é', '日', '🤖', '\u0301', '\u200B', '\u0000', 'customer', 'desk', '𞤀'];
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const input = Array.from({ length: 1 + Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        random() < 0.5 ? ' ' : '',
      );
      const { groups } = parseQuery(input);
      if (groups.length === 0) continue;
      expect(() => match.get(fts5Match(groups)), JSON.stringify(input)).not.toThrow();
    }
    db.close();
  });
});

describe('highlightHtml', () => {
  const O = '\uE000';
  const C = '\uE001';

  it('escapes everything but its own marks', () => {
    expect(highlightHtml(`<b>${O}x${C}</b> & "q" 'y'`, 'comment')).toBe(`&lt;b&gt;<mark>x</mark>&lt;/b&gt; &amp; &quot;q&quot; &#39;y&#39;`);
    expect(highlightHtml(`A <em>${O}b${C}</em>`, 'title')).toBe('A &lt;em&gt;<mark>b</mark>&lt;/em&gt;');
  });

  it('drops raw HTML tags and Markdown syntax from post snippets only', () => {
    expect(highlightHtml(`See <img src=x onerror=alert(1)> the **${O}word${C}** in [a link](https://x.test/y).`, 'post')).toBe(
      'See the <mark>word</mark> in a link.',
    );
  });

  it('cannot be made to open a tag it does not close, whatever the text holds', () => {
    expect(highlightHtml(`${O}${O}a${C}${C}b${O}c`, 'comment')).toBe('<mark>a</mark>b<mark>c</mark>');
    expect(highlightHtml(`${C}x${O}`, 'comment')).toBe('x<mark></mark>');
  });
});
