import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { CommandBus, type ICommand } from '@nestjs/cqrs';
import { RegisterAgencyCommand } from '../../application/agency/register-agency';
import { derivedId, type CommandContext } from '../../application/command-context';
import type { WriteResult } from '../../application/write-result';
import type { Actor } from '../../domain/actor';
import { STATS, type Counters } from '../../projections/stats';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/config';
import { rebuildReadModels } from '../rebuild';
import { eventStoreFile, openEventStore, openReadStore } from '../storage';
import { makeAgencies, workersPerAgency, type AgencySpec } from './agencies';
import { JOURNEY, type Cohort, type Member, type World } from './journey';
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
  /** The city-wide counters of the stats read model after the rebuild. */
  readonly totals: Counters;
}

export const DEFAULT_SEED = '2015';
/** The generation report, written into DATA_DIR. */
export const REPORT_FILE = 'generated.json';
const COHORT_SIZE = 40;
/**
 * Cohorts in flight. The event store commits on its own thread: the more commands are ready while a
 * group commits, the less the main thread waits (24 → 64 loaded a twentieth of the set ~15 % faster).
 */
const DEFAULT_CONCURRENCY = 64;

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
  const app = await NestFactory.createApplicationContext(
    AppModule.register({
      config: { ...loadConfig({}), dataDir: options.dataDir },
      followProjections: false,
      // Every cohort in flight keeps its certificates', training records' and session's streams.
      streamMemory: (options.concurrency ?? DEFAULT_CONCURRENCY) * (COHORT_SIZE * 3 + 1) * 2,
    }),
    { logger: false },
  );
  // Every command is counted up front, so the progress bar has an honest end.
  const cohortSizes = agencySpecs.flatMap((spec) =>
    chunks(perAgency[spec.index]!, COHORT_SIZE).map((size) => ({ agencyIndex: spec.index, size })),
  );
  const total = agencySpecs.length + countCommands(agencySpecs, cohortSizes, fates);
  let commands = 0;
  try {
    const bus = app.get(CommandBus);
    const world = makeWorld(bus, seed, () => {
      commands += 1;
      if (commands % 500 === 0) options.onProgress?.({ phase: 'load', done: commands, total });
    });
    const admin: Actor = { id: 'admin-01', role: 'platform_admin' };
    const agencies = await Promise.all(
      agencySpecs.map(async (spec) => {
        const { name, creditCode, district } = spec;
        const context = world.context(admin, 'agency', String(spec.index));
        const { id } = await world.send(new RegisterAgencyCommand({ name, creditCode, district }, context));
        return { ...spec, id };
      }),
    );
    let nextMember = 0;
    let nextCohort = 0;
    // Cohorts are made in order when taken, so the same seed gives the same people in the same places.
    const takeCohort = (): Cohort | null => {
      const spec = cohortSizes[nextCohort];
      if (!spec) return null;
      const members: Member[] = [];
      for (let i = 0; i < spec.size; i++, nextMember++) {
        members.push({ index: nextMember, person: people.next(), fate: FATES[fates[nextMember]!]! });
      }
      return { index: nextCohort++, agency: agencies[spec.agencyIndex]!, members };
    };
    await inParallel(options.concurrency ?? DEFAULT_CONCURRENCY, takeCohort, async (cohort) => {
      for (const step of JOURNEY) await step.run(cohort, world);
    });
    options.onProgress?.({ phase: 'load', done: commands, total });
  } finally {
    await app.close();
  }
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
    totals: await readTotals(options.dataDir),
  };
  // Kept beside the data, so a benchmark run on a copy can tell how it was made and how long it took.
  writeFileSync(join(options.dataDir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function makeWorld(bus: CommandBus, seed: string, sent: () => void): World {
  const reviewers = Array.from({ length: 8 }, (_, i): Actor => ({
    id: `reviewer-${i + 1}`,
    role: 'platform_reviewer',
  }));
  const police = Array.from({ length: 5 }, (_, i): Actor => ({
    id: `police-${i + 1}`,
    role: 'police_liaison',
  }));
  const operators = new Map<string, Actor>();
  const shared = new Map<string, Promise<unknown>>();
  return {
    once<T>(key: string, make: () => Promise<T>): Promise<T> {
      let made = shared.get(key) as Promise<T> | undefined;
      if (!made) shared.set(key, (made = make()));
      return made;
    },
    async send(command: ICommand): Promise<WriteResult> {
      const result = await bus.execute<ICommand, WriteResult>(command);
      sent();
      return result;
    },
    context(actor: Actor, ...key: string[]): CommandContext {
      const commandId = derivedId('generated', seed, ...key);
      return { actor, commandId, correlationId: commandId };
    },
    operator(cohort: Cohort): Actor {
      const { id } = cohort.agency;
      let actor = operators.get(id);
      if (!actor)
        operators.set(
          id,
          (actor = { id: `operator-${cohort.agency.index}`, role: 'agency_operator', agencyId: id }),
        );
      return actor;
    },
    reviewer: (member) => reviewers[member.index % reviewers.length]!,
    police: (member) => police[member.index % police.length]!,
  };
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

/** Runs `work` on items taken one at a time, at most `concurrency` at once; the first failure stops it. */
async function inParallel<T>(
  concurrency: number,
  take: () => T | null,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let failed: unknown = null;
  const lane = async (): Promise<void> => {
    for (let item = take(); item !== null && failed === null; item = take()) {
      try {
        await work(item);
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (failed !== null) throw failed;
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
