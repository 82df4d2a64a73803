/** A run of the read-and-parse baseline: every event of the log read and parsed. */
export interface BaselineRun {
  readonly events: number;
  readonly seconds: number;
}

/** A rebuild: the events it projected (its position) and its time. */
export interface RebuildRun {
  readonly position: number;
  readonly seconds: number;
}

/**
 * The baseline's rate around each rebuild: over the baseline runs just before and just after it
 * (baseline, rebuild, baseline, rebuild, …, baseline), their events over their time. A machine
 * whose speed drifts through a round then weighs on the rebuild and on its baseline alike; against
 * the run before it alone, a rebuild in a minute slower or faster than that run's moved its ratio by
 * a fifth or more (runs 75 and 78 in docs/performance.md: 0.588 and 0.559 against baselines that
 * ran at 57 and 67 % of their usual rate).
 */
export function baselineRatesAround(
  rebuilds: readonly RebuildRun[],
  baselines: readonly BaselineRun[],
): number[] {
  if (baselines.length !== rebuilds.length + 1) {
    throw new Error(
      `${rebuilds.length} rebuilds need ${rebuilds.length + 1} baseline runs around them, not ${baselines.length}`,
    );
  }
  return rebuilds.map((_, round) => {
    const before = baselines[round]!;
    const after = baselines[round + 1]!;
    return (before.events + after.events) / (before.seconds + after.seconds);
  });
}

/** The rounds against one baseline: its rate around each rebuild, and each rebuild's ratio to it. */
export interface RoundsAgainst {
  readonly baselineRates: readonly number[];
  readonly ratios: readonly number[];
}

/** Each rebuild's rate as a ratio to the baseline's rate around it (baselineRatesAround). */
export function roundsAgainst(
  rebuilds: readonly RebuildRun[],
  baselines: readonly BaselineRun[],
): RoundsAgainst {
  const baselineRates = baselineRatesAround(rebuilds, baselines);
  return {
    baselineRates,
    ratios: rebuilds.map((rebuild, round) => rebuild.position / rebuild.seconds / baselineRates[round]!),
  };
}
