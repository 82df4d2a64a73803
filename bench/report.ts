/** One line of the benchmark's table: our figure, its raw baseline and DESIGN §7's target. */
export interface Row {
  readonly measure: string;
  readonly ours: string;
  readonly baseline?: string;
  /** Our speed as a fraction of the baseline's (higher is better). */
  readonly ratio?: number;
  readonly target: string;
  /** null when the target does not apply (e.g. a full-scale target on a smaller data set). */
  readonly met: boolean | null;
  readonly values: Record<string, unknown>;
}

/** Prints the rows as a Markdown table, so it can be pasted into docs/performance.md as it is. */
export function printTable(rows: readonly Row[]): void {
  const header = ['measure', 'ours', 'raw baseline', 'ratio', 'target (DESIGN §7)', 'met'];
  const lines = rows.map((row) => [
    row.measure,
    row.ours,
    row.baseline ?? '—',
    row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`,
    row.target || '—',
    row.met === null ? '—' : row.met ? 'yes' : 'NO',
  ]);
  console.log(`\n| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}
