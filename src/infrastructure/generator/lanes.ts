import { NestFactory } from '@nestjs/core';
import { CommandBus, type ICommand } from '@nestjs/cqrs';
import type { INestApplicationContext } from '@nestjs/common';
import { derivedId, type CommandContext } from '../../application/command-context';
import type { WriteResult } from '../../application/write-result';
import type { Actor } from '../../domain/actor';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/config';
import { startModuleThread } from '../sqlite/module-thread';
import { type SharedEventWriter, SqliteEventStore } from '../sqlite/sqlite-event-store';
import { eventStoreFile } from '../storage';
import { JOURNEY, type Cohort, type World } from './journey';

/** Workers who go through the journey together (a class, a batch). */
export const COHORT_SIZE = 40;

/** One lane of the load: cohorts taken one after another, `concurrency` of them in flight at once. */
export interface Lane {
  readonly dataDir: string;
  readonly seed: string;
  readonly concurrency: number;
  readonly cohorts: readonly Cohort[];
  /** Appends go through this writer thread (runLanes: one for every lane). */
  readonly eventWriter: SharedEventWriter;
}

/** What a lane's thread tells (generator-lane.worker.ts). */
export type FromLane =
  | { readonly type: 'sent'; readonly commands: number }
  | { readonly type: 'done' }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };

/** How often a lane tells how many commands it has sent. */
const TELL_EVERY = 500;

/**
 * The application the load goes through: every command through the command bus of the real module,
 * projections not followed (the read models are rebuilt once at the end). Every cohort in flight keeps
 * its certificates', training records' and session's streams in the processor's memory.
 */
export function loadContext(
  dataDir: string,
  concurrency: number,
  eventWriter?: SharedEventWriter,
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(
    AppModule.register({
      config: { ...loadConfig({}), dataDir },
      followProjections: false,
      streamMemory: concurrency * (COHORT_SIZE * 3 + 1) * 2,
      eventWriter,
    }),
    { logger: false },
  );
}

/** Runs a lane's cohorts through the journey on this thread; `sent` is told of every command. */
export async function runLane(lane: Lane, sent: () => void): Promise<void> {
  const app = await loadContext(lane.dataDir, lane.concurrency, lane.eventWriter);
  try {
    const world = makeWorld(app.get(CommandBus), lane.seed, sent);
    let next = 0;
    await inParallel(
      lane.concurrency,
      () => lane.cohorts[next++] ?? null,
      async (cohort) => {
        for (const step of JOURNEY) await step.run(cohort, world);
      },
    );
  } finally {
    await app.close();
  }
}

/**
 * Runs the lanes, one on this thread or each on a thread of its own with its own application (the
 * command handling of one thread kept one core busy and the other mostly idle). Every lane appends
 * through one writer thread, opened here for a bulk load (see SqliteEventStoreOptions: the data set
 * is made anew if the machine fails), and the groups of all lanes are committed together. With a
 * writer each, the lanes' writers took the file's write lock in turn, held it nearly all the time
 * between them (each commit emptying the others' page caches), and three lanes loaded no faster than
 * one. Settles once every lane is done, everything committed and synced; the first failure stops
 * them all.
 */
export async function runLanes(
  dataDir: string,
  lanes: readonly Omit<Lane, 'eventWriter'>[],
  sent: (commands: number) => void,
): Promise<void> {
  const eventStore = SqliteEventStore.open(eventStoreFile(dataDir), { bulkLoad: true });
  try {
    if (lanes.length === 1) {
      await runLane({ ...lanes[0]!, eventWriter: eventStore.shareWriter() }, () => sent(1));
      return;
    }
    const threads = lanes.map((lane) => {
      const eventWriter = eventStore.shareWriter();
      const data: Lane = { ...lane, eventWriter };
      return startModuleThread(__dirname, 'generator-lane.worker', data, undefined, [eventWriter.port]);
    });
    try {
      await Promise.all(threads.map((thread) => laneFinished(thread, sent)));
    } finally {
      await Promise.all(threads.map((thread) => thread.terminate()));
    }
  } finally {
    // Last: its writer thread commits for every lane, and syncs the whole log into the file.
    await eventStore.close();
  }
}

function laneFinished(thread: ReturnType<typeof startModuleThread>, sent: (commands: number) => void) {
  return new Promise<void>((resolve, reject) => {
    thread.on('message', (message: FromLane) => {
      if (message.type === 'sent') sent(message.commands);
      else if (message.type === 'done') resolve();
      else reject(Object.assign(new Error(message.message), message.stack ? { stack: message.stack } : {}));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`a generator thread exited (${code}) before its end`)));
  });
}

/** The body of a lane's thread: runs the lane, telling the commands sent every TELL_EVERY. */
export async function serveLane(lane: Lane, tell: (message: FromLane) => void): Promise<void> {
  let untold = 0;
  await runLane(lane, () => {
    if (++untold < TELL_EVERY) return;
    tell({ type: 'sent', commands: untold });
    untold = 0;
  });
  if (untold > 0) tell({ type: 'sent', commands: untold });
  tell({ type: 'done' });
}

export function makeWorld(bus: CommandBus, seed: string, sent: () => void): World {
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

/** Runs `work` on items taken one at a time, at most `concurrency` at once; the first failure stops it. */
export async function inParallel<T>(
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
