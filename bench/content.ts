/**
 * Realistic text for the benchmark's site: library posts of several hundred words in
 * Markdown (headings, lists, links, emphasis, a quote, sometimes a table) and patrons'
 * comments. A deterministic generator, so every run serves the same pages.
 */

let state = 20260601;
export const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
export const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
export const resetRandom = (seed = 20260601) => {
  state = seed;
};

const WORDS = (
  'library libraries reader readers book books story time children family community volunteer volunteers branch ' +
  'opening hours catalogue renewal fines audiobook ebook local history archive exhibition knitting chess computer ' +
  'class printing wifi quiet study room parking holiday closure summer challenge poetry author event events staff ' +
  'service customer question answer welcome together learning reading morning afternoon evening weekend week month ' +
  'collection shelf shelves desk card membership program programme workshop talk meeting club group teen adult ' +
  'senior school homework help research database newspaper magazine map record photo photograph display garden ' +
  'the a an and of to in for on with at by from about as into over after before during while because that which ' +
  'is are was were be been has have had will would can could should may might must do does did not more most ' +
  'many few some every each other new old good great small large first last next early late long short open free'
).split(' ');

function sentence(min = 8, max = 22): string {
  const n = min + Math.floor(random() * (max - min));
  const words = Array.from({ length: n }, () => pick(WORDS));
  const s = words.join(' ');
  return s[0]!.toUpperCase() + s.slice(1) + '.';
}

function paragraph(sentences = 4): string {
  const parts = Array.from({ length: sentences }, () => sentence());
  // Some inline Markdown, as staff write it.
  const i = Math.floor(random() * parts.length);
  parts[i] = parts[i]!.replace(/^(\w+) (\w+)/, '**$1 $2**');
  if (random() < 0.5) parts.push(`See [the ${pick(WORDS)} page](https://library.example.org/${pick(WORDS)}) for *more*.`);
  return parts.join(' ');
}

/** A post body of roughly `words` words. */
export function postMarkdown(words = 500): string {
  const blocks: string[] = [paragraph(3)];
  let count = blocks[0]!.split(' ').length;
  let section = 1;
  while (count < words) {
    const r = random();
    let block: string;
    if (r < 0.15) block = `## ${sentence(3, 6).replace(/\.$/, '')}`;
    else if (r < 0.3) block = Array.from({ length: 3 + Math.floor(random() * 3) }, () => `- ${sentence(4, 10)}`).join('\n');
    else if (r < 0.37) block = `> ${sentence(10, 20)}`;
    else if (r < 0.4 && section++ < 3) block = `| Day | Opening hours |\n| --- | --- |\n| Monday | 9:00–17:00 |\n| Saturday | 10:00–16:00 |`;
    else block = paragraph(3 + Math.floor(random() * 3));
    blocks.push(block);
    count += block.split(' ').length;
  }
  return blocks.join('\n\n');
}

/** A comment of one to three short paragraphs, sometimes with emphasis or a list. */
export function commentMarkdown(): string {
  const paragraphs = 1 + Math.floor(random() * 3);
  const out = Array.from({ length: paragraphs }, () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => sentence(5, 16)).join(' '));
  if (random() < 0.2) out.push(`- ${sentence(3, 8)}\n- ${sentence(3, 8)}`);
  if (random() < 0.3) out[0] = `*${out[0]!.replace(/\.$/, '')}*.`;
  return out.join('\n\n');
}

export const titleText = () => sentence(3, 8).replace(/\.$/, '');

const FIRST = ['Ann', 'Bob', 'Chen', 'Dana', 'Eve', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jon', 'Kemi', 'Lars', 'Maya', 'Noor', 'Omar', 'Pia'];
const LAST = ['Smith', 'Garcia', 'Nguyen', 'Okafor', 'Kowalski', 'Silva', 'Ivanova', 'Haddad', 'Larsen', 'Tanaka', 'Moreau', 'Brown'];
export const personName = (n: number) => `${FIRST[n % FIRST.length]} ${LAST[Math.floor(n / FIRST.length) % LAST.length]}`;
