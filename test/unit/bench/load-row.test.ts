import { loadRow } from '../../../bench/load-row';
import type { GenerationReport } from '../../../src/infrastructure/generator/generate-data-set';

function report(scale: number, loadSeconds: number): GenerationReport {
  return {
    plan: { scale, applications: Math.round(172_565 * scale) } as GenerationReport['plan'],
    seed: '2015',
    commands: 1_295_963,
    events: 2_318_793,
    loadSeconds,
    rebuildSeconds: 21.5,
    totals: {} as GenerationReport['totals'],
  };
}

describe('the benchmark row of the data set load', () => {
  const now = new Date('2026-12-05T00:30:00.000Z');

  it('says the figure was measured in this run when the set was generated in it', () => {
    const row = loadRow(report(1, 81.1), { at: new Date('2026-12-05T00:09:00.000Z'), inThisRun: true }, now);
    expect(row.ours).toBe('81.1 s (15,980 commands/s, 2,318,793 events; generated in this run)');
    expect(row.met).toBe(false);
    expect(row.target).toBe('≤ 60 s');
    expect(row.values).toMatchObject({ seconds: 81.1, generatedInThisRun: true });
  });

  it('says when a kept set was generated, and how long before this run, so an old figure is not read as new', () => {
    const at = new Date('2026-12-04T15:25:40.000Z');
    const measureAgain = '`--fresh` measures it again';
    const row = loadRow(report(1, 59.7), { at, inThisRun: false, measureAgain }, now);
    expect(row.ours).toBe(
      '59.7 s (21,708 commands/s, 2,318,793 events; generated 2026-12-04 15:25 UTC, 9.1 h before this run: `--fresh` measures it again)',
    );
    expect(row.met).toBe(true);
    expect(row.values).toMatchObject({ generatedAt: '2026-12-04T15:25:40.000Z', generatedInThisRun: false });
    // A set given with --data is not the bench's to make again: its age alone.
    expect(loadRow(report(1, 59.7), { at, inThisRun: false }, now).ours).toMatch(/9\.1 h before this run\)$/);
  });

  it('leaves the 60 s target unjudged on a smaller set', () => {
    const row = loadRow(report(0.1, 9.3), { at: now, inThisRun: true }, now);
    expect(row.met).toBeNull();
    expect(row.target).toBe('≤ 60 s at full scale');
    expect(row.measure).toContain('17,257 applications');
  });
});
