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

/**
 * A ratio as the table shows it: two decimals, cut off rather than rounded, so a ratio just under its
 * target never reads as the target (0.447 against 0.45 printed "0.45×" beside "NO").
 */
export function ratioText(ratio: number): string {
  // The small margin keeps binary fractions such as 0.29 (0.28999…) from dropping a hundredth.
  return `${(Math.floor(ratio * 100 + 1e-9) / 100).toFixed(2)}×`;
}

/** Prints the rows as a Markdown table, so it can be pasted into docs/performance.md as it is. */
export function printTable(rows: readonly Row[]): void {
  const header = ['measure', 'ours', 'raw baseline', 'ratio', 'target (DESIGN §7)', 'met'];
  const lines = rows.map((row) => [
    row.measure,
    row.ours,
    row.baseline ?? '—',
    row.ratio === undefined ? '—' : ratioText(row.ratio),
    row.target || '—',
    row.met === null ? '—' : row.met ? 'yes' : 'NO',
  ]);
  console.log(`\n| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const line of lines) console.log(`| ${line.join(' | ')} |`);
}
