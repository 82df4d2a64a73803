import type { GenerationReport } from '../src/infrastructure/generator/generate-data-set';
import type { Row } from './report';

/** When and where the data set was generated: in this run, or kept from an earlier one. */
export interface Generated {
  readonly at: Date;
  readonly inThisRun: boolean;
  /** For a set kept from an earlier run: how to measure the load again (e.g. the bench's `--fresh`). */
  readonly measureAgain?: string;
}

const HOUR_MS = 3_600_000;

/**
 * The load's row: measured only when the data set is generated, so a kept set carries the figure of
 * the run that made it, however long ago and in whatever hour of the machine. The row says which,
 * so that a reader does not take an old figure for a new one.
 */
export function loadRow(generation: GenerationReport, generated: Generated, now: Date): Row {
  const fullScale = generation.plan.scale >= 1;
  const hoursBefore = Math.max(0, (now.getTime() - generated.at.getTime()) / HOUR_MS);
  const when = generated.inThisRun
    ? 'generated in this run'
    : `generated ${utcMinute(generated.at)} UTC, ${hoursBefore.toFixed(1)} h before this run` +
      (generated.measureAgain ? `: ${generated.measureAgain}` : '');
  return {
    measure: `data set loaded through the command path (${generation.plan.applications.toLocaleString('en')} applications; when it was generated)`,
    ours: `${generation.loadSeconds.toFixed(1)} s (${Math.round(generation.commands / generation.loadSeconds).toLocaleString('en')} commands/s, ${generation.events.toLocaleString('en')} events; ${when})`,
    target: fullScale ? '≤ 60 s' : '≤ 60 s at full scale',
    met: fullScale ? generation.loadSeconds <= 60 : null,
    values: {
      seconds: generation.loadSeconds,
      commands: generation.commands,
      events: generation.events,
      generatedAt: generated.at.toISOString(),
      generatedInThisRun: generated.inThisRun,
    },
  };
}

/** 'YYYY-MM-DD HH:mm' of an instant, in UTC. */
function utcMinute(at: Date): string {
  return at.toISOString().slice(0, 16).replace('T', ' ');
}
