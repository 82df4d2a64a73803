import { existsSync, renameSync, rmSync } from 'node:fs';
import { PROJECTIONS } from '../projections';
import { ProjectionRunner } from '../projections/projection-runner';
import type { Projection } from '../projections/projection';
import { openEventStoreWithKeys } from './privacy';
import { CHECKPOINT_NAME } from './read-models';
import { startModuleThread } from './sqlite/module-thread';
import { SqliteReadStore } from './sqlite/sqlite-read-store';
import { openEventStore, readStoreFile } from './storage';

export interface RebuildReport {
  readonly position: number;
  readonly seconds: number;
  readonly file: string;
  /** Where the time went, in seconds: each thread's projecting, then the copy of the part and the indexes. */
  readonly phases: {
    readonly firstThread: number;
    readonly secondThread: number;
    readonly copy: number;
    readonly indexes: number;
  };
}

/**
 * Projections a rebuild runs on a second thread, into a file of their own copied in at the end. Each
 * reads only its own documents (no other projection's), so it can run apart, and none needs personal
 * data in clear, so that thread reads the log without the key store (nothing to look up or decrypt:
 * their documents hold ids and facts only, never personal data). The others all depend
 * on one another (public certificates read workers, certificates, agencies and training records; the
 * roster reads those and public certificates): they stay together on the first thread, which is
 * still the longer one (at Shanghai scale about 55–60 s, this one about 25–30 s).
 */
const SECOND_THREAD = new Set(['training-sessions', 'decisions', 'stats']);

/** What the second thread is given (rebuild-part.worker.ts). */
export interface RebuildPart {
  readonly dataDir: string;
  /** The file it fills; it is never used as read models itself. */
  readonly file: string;
  readonly projections: readonly string[];
  /** Both threads stop at the same position: the log's head when the rebuild started. */
  readonly upTo: number;
}

export type RebuildPartOutcome =
  | { readonly ok: true; readonly position: number; readonly seconds: number }
  | { readonly ok: false; readonly message: string; readonly stack?: string };

function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
}

function named(names: ReadonlySet<string>, wanted: boolean): Projection[] {
  return PROJECTIONS.filter((projection) => names.has(projection.name) === wanted);
}

/**
 * Replays the whole log from position 0 into a fresh read-model file. With `swap`, the fresh file
 * then replaces DATA_DIR's read models in one rename, so readers never see a half-built state.
 * Two threads project (each reading the log): this one most read models, a second one the
 * `SECOND_THREAD` ones into a part file that is copied in before the indexes are built.
 */
export async function rebuildReadModels(
  dataDir: string,
  options: { target?: string; swap?: boolean; keyEncryptionKeyDir?: string } = {},
): Promise<RebuildReport> {
  const secondThread = named(SECOND_THREAD, true);
  if (secondThread.length !== SECOND_THREAD.size) {
    throw new Error(`SECOND_THREAD names a projection that does not exist: ${[...SECOND_THREAD].join(', ')}`);
  }
  const live = readStoreFile(dataDir);
  const target = options.target ?? `${live}.rebuilding`;
  const partFile = `${target}.part`;
  removeDatabase(target);
  removeDatabase(partFile);
  const started = process.hrtime.bigint();
  // Projections see personal data in clear (to mask names): read through the key store.
  const eventStore = openEventStoreWithKeys({ dataDir, keyEncryptionKeyDir: options.keyEncryptionKeyDir });
  // Nobody reads the fresh file before it is complete: fill it without journal or index upkeep.
  const readStore = SqliteReadStore.open(target, { bulkLoad: true });
  let part: RunningPart | null = null;
  let position: number;
  const phases = { firstThread: 0, secondThread: 0, copy: 0, indexes: 0 };
  try {
    const head = await eventStore.headPosition();
    part = startRebuildPart({
      dataDir,
      file: partFile,
      projections: secondThread.map((projection) => projection.name),
      upTo: head,
    });
    const collections = secondThread.flatMap((projection) => projection.collections);
    await readStore.ensureCollections(collections);
    const runner = new ProjectionRunner(eventStore, readStore, named(SECOND_THREAD, false), {
      checkpointName: CHECKPOINT_NAME,
    });
    // The fresh file is thrown away if the rebuild fails: documents may wait for their last change.
    position = await runner.catchUp(head, { holdChangingDocuments: true });
    phases.firstThread = secondsSince(started);
    const { position: partPosition, seconds: partSeconds } = await part.finished;
    phases.secondThread = partSeconds;
    if (partPosition !== position) {
      throw new Error(`the rebuild's threads stopped at different positions: ${position}, ${partPosition}`);
    }
    const copying = process.hrtime.bigint();
    await readStore.copyCollectionsFrom(
      partFile,
      collections.map((collection) => collection.name),
    );
    phases.copy = secondsSince(copying);
    const indexing = process.hrtime.bigint();
    await readStore.finishBulkLoad();
    phases.indexes = secondsSince(indexing);
  } catch (error) {
    await part?.stop();
    await readStore.close();
    removeDatabase(target);
    throw error;
  } finally {
    await readStore.close();
    await eventStore.close();
    removeDatabase(partFile);
  }
  // Only a complete rebuild replaces the live read models; a failed one leaves them as they were.
  if (options.swap) {
    if (existsSync(live)) removeDatabase(live);
    renameSync(target, live);
  }
  return { position, seconds: secondsSince(started), file: options.swap ? live : target, phases };
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface RunningPart {
  /** The position the part reached and how long it took, once its thread is done; rejects with its error. */
  readonly finished: Promise<{ position: number; seconds: number }>;
  stop(): Promise<void>;
}

function startRebuildPart(data: RebuildPart): RunningPart {
  const thread = startModuleThread(__dirname, 'rebuild-part.worker', data);
  const finished = new Promise<{ position: number; seconds: number }>((resolve, reject) => {
    thread.once('message', (outcome: RebuildPartOutcome) => {
      if (outcome.ok) resolve({ position: outcome.position, seconds: outcome.seconds });
      else reject(Object.assign(new Error(outcome.message), outcome.stack ? { stack: outcome.stack } : {}));
    });
    thread.once('error', reject);
    thread.once('exit', (code) => reject(new Error(`the rebuild's second thread exited (${code})`)));
  });
  // Whoever awaits it handles a failure; until then, it must not count as unhandled.
  finished.catch(() => undefined);
  return { finished, stop: () => thread.terminate().then(() => undefined) };
}

/** The second thread's work: its projections into its own file, up to the given position. */
export async function rebuildPart(data: RebuildPart): Promise<number> {
  // Personal data stays sealed: these projections never read it (see SECOND_THREAD).
  const eventStore = openEventStore(data.dataDir);
  const readStore = SqliteReadStore.open(data.file, { bulkLoad: true });
  try {
    const wanted = new Set(data.projections);
    return await new ProjectionRunner(eventStore, readStore, named(wanted, true), {
      checkpointName: CHECKPOINT_NAME,
    }).catchUp(data.upTo, { holdChangingDocuments: true });
  } finally {
    await readStore.close();
    await eventStore.close();
  }
}

export const PROJECTION_NAMES = PROJECTIONS.map((projection) => projection.name);
