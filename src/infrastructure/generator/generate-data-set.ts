import { existsSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CommandBus } from '@nestjs/cqrs';
import { RegisterAgencyCommand } from '../../application/agency/register-agency';
import type { Actor } from '../../domain/actor';
import { STATS, type Counters } from '../../projections/stats';
import { rebuildReadModels } from '../rebuild';
import { eventStoreFile, openEventStore, openReadStore } from '../storage';
import { makeAgencies, workersPerAgency, type AgencySpec } from './agencies';
import { JOURNEY, type Cohort, type Member } from './journey';
import { COHORT_SIZE, loadContext, makeWorld, runLanes, type Lane } from './lanes';
import { PeopleMaker } from './people';
import { assignFates, FATES, planDataSet, type DataSetPlan } from './plan';
import { Random } from './random';

export interface GenerateOptions {
  readonly dataDir: string;
  /** 1 = the whole city (SHANGHAI_2015); 0.01 = one hundredth of it. */
  readonly scale: number;
  readonly seed?: string;
  /** Cohorts in flight at once; their commands share group commits. */
  readonly concurrency?: number;
  /** Threads the cohorts are shared out between, each with its own application (1: this thread). */
  readonly threads?: number;
  readonly onProgress?: (progress: Progress) => void;
}

export interface Progress {
  readonly phase: 'load' | 'rebuild';
  readonly done: number;
  readonly total: number;
}

export interface GenerationReport {
  readonly plan: DataSetPlan;
  readonly seed: string;
  readonly commands: number;
  readonly events: number;
  readonly loadSeconds: number;
  readonly rebuildSeconds: number;
  /** When the set was generated (ISO instant); absent from reports written by earlier versions. */
  readonly generatedAt?: string;
  /** The city-wide counters of the stats read model after the rebuild. */
  readonly totals: Counters;
}

export const DEFAULT_SEED = '2015';
/** The generation report, written into DATA_DIR. */
export const REPORT_FILE = 'generated.json';
/**
 * Cohorts in flight, shared out between the lanes. Enough that commands are ready while a group
 * commits; more only keeps more streams and pending commands alive, which the lanes' garbage
 * collection pays for. The whole set, alternating: 118.7–124.7 s with 24, 124.2–129.1 s with 16,
 * 132.9–146.3 s with 64 (and ~18 % more CPU). With one thread and the writes on it, 64 had been
 * faster than 24.
 */
const DEFAULT_CONCURRENCY = 24;
/**
 * One thread's command handling kept one core busy and left most of the other idle. Two threads
 * (every other cohort each, each with its own application) loaded a twentieth of the set (64,831
 * commands) in 10.4–11.8 s instead of 14.0–14.5 s: they also wait on each other's commits, which
 * SQLite serialises. Starting a second application costs a second or two, so a small set (a
 * hundredth: 13,025 commands, 3.6 s on one thread, 6.6 s on two) stays on one.
 *
 * A large set gets one lane more than the cores: once the lanes' own work got cheaper
 * (docs/performance.md, items 64–68), each waited for its commits about a third of its time. The whole
 * set on two cores, alternating: 92.3 / 93.5 / 97.4 s with three lanes, 103.0 / 108.5 s with two,
 * 104.2 s with four; a tenth of it was as fast or faster with two (11.1 / 11.5 s against 11.9 /
 * 11.8 s), the third application's start not paid back. Not measured on more cores: at most three,
 * since every lane's commits go through the one write lock.
 */
function defaultThreads(commands: number): number {
  if (commands < 100_000) return 1;
  if (commands < 1_000_000) return Math.min(2, availableParallelism());
  return Math.min(3, availableParallelism() + 1);
}

/**
 * Loads a data set shaped like Shanghai's 2015 figures through the real command handlers (never by
 * writing events), then rebuilds the read models once. Every id derives from the seed: the same
 * seed and scale give the same people, agencies and outcomes.
 */
export async function generateDataSet(options: GenerateOptions): Promise<GenerationReport> {
  const seed = options.seed ?? DEFAULT_SEED;
  const plan = planDataSet(options.scale);
  await refuseExistingData(options.dataDir);
  const random = new Random(seed);
  const agencySpecs = makeAgencies(plan.agencies, random);
  const perAgency = workersPerAgency(agencySpecs.length, plan.applications, random);
  const fates = assignFates(plan, random);
  const people = new PeopleMaker(random);

  const started = process.hrtime.bigint();
  // Every command is counted up front, so the progress bar has an honest end.
  const cohortSizes = agencySpecs.flatMap((spec) =>
    chunks(perAgency[spec.index]!, COHORT_SIZE).map((size) => ({ agencyIndex: spec.index, size })),
  );
  const total = agencySpecs.length + countCommands(agencySpecs, cohortSizes, fates);
  let commands = 0;
  const sent = (count: number) => {
    const before = commands;
    commands += count;
    if (Math.floor(commands / 500) > Math.floor(before / 500)) {
      options.onProgress?.({ phase: 'load', done: commands, total });
    }
  };
  const agencies = await registerAgencies(options.dataDir, agencySpecs, seed, () => sent(1));
  // Cohorts are made in order, so the same seed gives the same people in the same places.
  let nextMember = 0;
  const cohorts = cohortSizes.map(({ agencyIndex, size }, index): Cohort => {
    const members: Member[] = [];
    for (let i = 0; i < size; i++, nextMember++) {
      members.push({ index: nextMember, person: people.next(), fate: FATES[fates[nextMember]!]! });
    }
    return { index, agency: agencies[agencyIndex]!, members };
  });
  // Every id derives from the seed and the cohort or member, whichever thread sends the command.
  const threads = Math.max(1, options.threads ?? defaultThreads(total));
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const lanes: Omit<Lane, 'eventWriter'>[] = Array.from({ length: threads }, (_, t) => ({
    dataDir: options.dataDir,
    seed,
    concurrency: Math.ceil(concurrency / threads),
    cohorts: cohorts.filter((cohort) => cohort.index % threads === t),
  }));
  await runLanes(options.dataDir, lanes, sent);
  options.onProgress?.({ phase: 'load', done: commands, total });
  const loadSeconds = seconds(started);

  options.onProgress?.({ phase: 'rebuild', done: 0, total: 1 });
  const rebuild = await rebuildReadModels(options.dataDir, { swap: true });
  options.onProgress?.({ phase: 'rebuild', done: 1, total: 1 });
  const report: GenerationReport = {
    plan,
    seed,
    commands,
    events: rebuild.position,
    loadSeconds,
    rebuildSeconds: rebuild.seconds,
    generatedAt: new Date().toISOString(),
    totals: await readTotals(options.dataDir),
  };
  // Kept beside the data, so a benchmark run on a copy can tell how it was made and how long it took.
  writeFileSync(join(options.dataDir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The agencies first, in this thread: every lane's cohorts name them. */
async function registerAgencies(
  dataDir: string,
  specs: readonly AgencySpec[],
  seed: string,
  sent: () => void,
): Promise<(AgencySpec & { id: string })[]> {
  const app = await loadContext(dataDir, 1);
  try {
    const world = makeWorld(app.get(CommandBus), seed, sent);
    const admin: Actor = { id: 'admin-01', role: 'platform_admin' };
    return await Promise.all(
      specs.map(async (spec) => {
        const { name, creditCode, district } = spec;
        const context = world.context(admin, 'agency', String(spec.index));
        const { id } = await world.send(new RegisterAgencyCommand({ name, creditCode, district }, context));
        return { ...spec, id };
      }),
    );
  } finally {
    await app.close();
  }
}

function countCommands(
  agencies: readonly AgencySpec[],
  cohorts: readonly { agencyIndex: number; size: number }[],
  fates: Uint8Array,
): number {
  let total = 0;
  let index = 0;
  cohorts.forEach(({ agencyIndex, size }, c) => {
    const members = Array.from({ length: size }, () => ({ index, fate: FATES[fates[index++]!]! }) as Member);
    const cohort: Cohort = { index: c, agency: { ...agencies[agencyIndex]!, id: '' }, members };
    for (const step of JOURNEY) total += step.commands(cohort);
  });
  return total;
}

function chunks(total: number, size: number): number[] {
  const parts: number[] = [];
  for (let left = total; left > 0; left -= size) parts.push(Math.min(size, left));
  return parts;
}

async function refuseExistingData(dataDir: string): Promise<void> {
  if (!existsSync(eventStoreFile(dataDir))) return;
  const store = openEventStore(dataDir);
  try {
    if ((await store.headPosition()) > 0) {
      throw new Error(`${dataDir} already holds events: generate into an empty DATA_DIR`);
    }
  } finally {
    await store.close();
  }
}

async function readTotals(dataDir: string): Promise<Counters> {
  const store = openReadStore(dataDir);
  try {
    const total = await store.get<Counters & Record<string, unknown>>(STATS, 'total');
    if (!total) throw new Error('the stats read model has no total after the rebuild');
    return total;
  } finally {
    await store.close();
  }
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}
