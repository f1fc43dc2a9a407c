/** What an import did, per kind of thing: the CLI prints it as a table, the admin page shows it. */

export const SUMMARY_KINDS = ['users', 'categories', 'tags', 'posts', 'pages', 'comments', 'other'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];

export interface KindCount {
  created: number;
  updated: number;
  skipped: number;
  /** Why things were skipped: reason → how many. */
  reasons: Record<string, number>;
  /** What was imported differently from WordPress: note → how many. */
  notes: Record<string, number>;
}

export interface ImportSummary {
  jobId: number;
  file: string;
  /** The WordPress site, as host and path. */
  source: string;
  siteTitle: string;
  seconds: number;
  counts: Record<SummaryKind, KindCount>;
  warnings: string[];
}

export function emptyCounts(): Record<SummaryKind, KindCount> {
  return Object.fromEntries(SUMMARY_KINDS.map((k) => [k, { created: 0, updated: 0, skipped: 0, reasons: {}, notes: {} }])) as Record<SummaryKind, KindCount>;
}

export const KIND_LABELS: Record<SummaryKind, string> = {
  users: 'Authors',
  categories: 'Categories',
  tags: 'Tags',
  posts: 'Posts',
  pages: 'Pages',
  comments: 'Comments',
  other: 'Other items',
};

/** The summary as plain-text lines: a table, then the reasons and notes. */
export function formatSummary(summary: ImportSummary): string[] {
  const rows = SUMMARY_KINDS.map((k) => [KIND_LABELS[k], summary.counts[k].created, summary.counts[k].updated, summary.counts[k].skipped] as const);
  const header = ['', 'created', 'updated', 'skipped'] as const;
  const width = Math.max(...rows.map((r) => r[0].length), 4);
  const num = (n: number | string) => String(n).padStart(8);
  const lines = [`${header[0].padEnd(width)}${num(header[1])}${num(header[2])}${num(header[3])}`];
  for (const [label, c, u, s] of rows) lines.push(`${label.padEnd(width)}${num(c)}${num(u)}${num(s)}`);
  const details = (title: string, pick: (k: KindCount) => Record<string, number>) => {
    const out: string[] = [];
    for (const kind of SUMMARY_KINDS) {
      for (const [text, n] of Object.entries(pick(summary.counts[kind]))) out.push(`  ${KIND_LABELS[kind].toLowerCase()}: ${n} ${text}`);
    }
    if (out.length) lines.push('', title, ...out);
  };
  details('Skipped:', (k) => k.reasons);
  details('Notes:', (k) => k.notes);
  if (summary.warnings.length) lines.push('', 'Next steps:', ...summary.warnings.map((w) => `  ${w}`));
  return lines;
}
