import { baselineRatesAround, roundsAgainst } from '../../../bench/rebuild-rounds';

const EVENTS = 2_318_793;
const baseline = (seconds: number) => ({ events: EVENTS, seconds });
const rebuild = (seconds: number) => ({ position: EVENTS, seconds });

describe("the rebuild's rounds, each against the baseline runs around it", () => {
  it("takes the baseline's rate over the runs just before and just after each rebuild", () => {
    const rates = baselineRatesAround([rebuild(17), rebuild(18)], [baseline(7), baseline(9), baseline(8)]);
    expect(rates[0]).toBeCloseTo((2 * EVENTS) / 16, 6);
    expect(rates[1]).toBeCloseTo((2 * EVENTS) / 17, 6);
  });

  it('gives a rebuild in a slower minute than the baseline before it the ratio of a steady machine', () => {
    // A steady machine: the baseline takes 8 s, the rebuild 17.6 s, the ratio 8 / 17.6 = 0.4545.
    // The machine then slows steadily by a tenth per round's worth of time: the run before the
    // rebuild takes 8 s, the rebuild 10 % longer, the run after 20 % longer.
    const [drifting] = roundsAgainst([rebuild(17.6 * 1.1)], [baseline(8), baseline(8 * 1.2)]).ratios;
    // (Against the run before it alone, it would have come out a tenth lower: 0.413.)
    expect(drifting).toBeCloseTo(8 / 17.6, 6);
  });

  it('refuses rounds without a baseline run on each side', () => {
    expect(() => roundsAgainst([rebuild(17), rebuild(18)], [baseline(7), baseline(9)])).toThrow(
      '2 rebuilds need 3 baseline runs around them, not 2',
    );
  });
});
