import { printTable, ratioText } from '../../../bench/report';

describe("the benchmark table's ratios", () => {
  it('cuts a ratio off at two decimals, so one just under its target never reads as met', () => {
    expect(ratioText(0.447)).toBe('0.44×');
    expect(ratioText(0.4499)).toBe('0.44×');
    expect(ratioText(0.45)).toBe('0.45×');
    expect(ratioText(0.25)).toBe('0.25×');
    expect(ratioText(1.184)).toBe('1.18×');
  });

  it('keeps hundredths that binary fractions fall just short of', () => {
    // 0.29 * 100 is 28.999999999999996, 0.57 * 100 is 56.99999999999999.
    expect(ratioText(0.29)).toBe('0.29×');
    expect(ratioText(0.57)).toBe('0.57×');
    expect(ratioText(0.58)).toBe('0.58×');
  });

  it('prints the cut-off ratio beside the verdict in the Markdown table', () => {
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      printTable([
        {
          measure: 'projection rebuild',
          ours: '13.5 s',
          baseline: '388,730 events/s',
          ratio: 0.447,
          target: '≥ 0.45×',
          met: false,
          values: {},
        },
      ]);
    } finally {
      log.mockRestore();
    }
    expect(lines.at(-1)).toBe('| projection rebuild | 13.5 s | 388,730 events/s | 0.44× | ≥ 0.45× | NO |');
  });
});
