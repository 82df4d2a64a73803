import { existsSync, renameSync } from 'node:fs';
import { MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { PROJECTIONS } from '../projections';
import { ProjectionRunner } from '../projections/projection-runner';
import type { Projection } from '../projections/projection';
import { RelayedCipher, RelayingCipher, type RelayedOpenings } from './crypto/personal-data-relay';
import { openEventStoreWithKeys } from './privacy-stores';
import { holdLiveReadModels, ReadModelsInUseError, type HeldReadModels } from './live-read-models-lease';
import { CHECKPOINT_NAME } from './read-models';
import { startModuleThread } from './sqlite/module-thread';
import { removeDatabase } from './sqlite/open-database';
import { SqliteReadStore } from './sqlite/sqlite-read-store';
import { writeBackWhileFilled } from './sqlite/write-back';
import { openEventStore, readStoreFile } from './storage';

export interface RebuildReport {
  readonly position: number;
  readonly seconds: number;
  readonly file: string;
  /**
   * Where the time went, in seconds: each thread's projecting with the indexes of its own file, then
   * the copy of the second's part into the first's file, and that file's switch to WAL and last sync.
   */
  readonly phases: {
    readonly firstThread: number;
    readonly secondThread: number;
    readonly copy: number;
    readonly finish: number;
  };
  /** The first thread's personal data: opened by the second thread, or by itself; its time waiting. */
  readonly personalData: RelayedOpenings;
}

/**
 * Projections a rebuild runs on its second thread, into a file of their own copied in at the end. Each
 * reads only its own documents (no other projection's), so it can run apart. The others depend on
 * one another (public certificates read workers, agencies and training records; the roster reads
 * workers and public certificates): they stay together on the first thread, which is the longer one.
 * The queues once read the certificate detail, and public certificates and the roster did too: the
 * queues now fold their own entries (item 96), and the other two keep the codes they need by
 * certificate (item 100), which moved the certificate detail here (docs/performance.md). None of these
 * needs personal data in clear, but the workers projection on the first thread does (the masked
 * name), and decisions read the same events: the second thread opens
 * the envelopes and hands them over (`personalData`), which evens the threads out (at Shanghai scale
 * ~25 and ~17 s before, when the first opened them itself).
 *
 * The training sessions, which could run on either, run on the first: with them on the second, that
 * thread's projecting and opening kept it so busy that the first waited 1.1–2.5 s in all for its
 * envelopes. Moved, the first waits 0.3–0.7 s and ends 0.5–0.9 s after the second (its indexes),
 * and alternating standalone rebuilds took ~0.3 s less (docs/performance.md, item 121). The queues
 * moved too made it slower. The decisions stay: they are why the second thread reads the
 * registrations whose envelopes it opens.
 *
 * The first thread writes its documents itself, although the second has time left on the Shanghai
 * set: handing them to the second to write made that set's rebuild ~4 % faster, but a document the
 * runner's cache has let go must then be read back across threads (~65 µs, against ~6 µs from the
 * thread's own file), and on a log whose journeys overlap as a city's do, that made the rebuild
 * 15–20 % slower (docs/performance.md, item 85).
 */
const SECOND_THREAD = new Set(['certificates', 'decisions', 'queues', 'stats']);

/**
 * The young generation of a rebuild thread, in MB. A rebuild makes a few objects per event that die
 * at once, and holds documents that live a while: with room to let the first die young, fewer are
 * copied and promoted. Alternating standalone rebuilds at Shanghai scale: the first thread projected
 * in 38.8–43.2 s with 96 MB, in 46.0–48.5 s with 16 MB.
 */
const YOUNG_GENERATION_MB = 96;

/**
 * The events a rebuild thread applies in a round (the runner's batch; 10,000 unless told). A document
 * that has gone quiet for two rounds is written at a round's end, and its object is then let go (but
 * for the runner's cache). On the Shanghai set a worker's events span ~5,000 positions of the log
 * (the median), yet with rounds of 10,000 each document waited 10,000–20,000 events, outlived two
 * young-generation collections and was copied into the old generation: in most runs the first
 * thread promoted 1.0–1.1 GB. With rounds of 5,000 it promotes ~0.5 GB, and writes no more documents
 * twice (85 of its 837,081 changes, as before); alternating standalone rebuilds were faster in four
 * pairs of five, by up to ~1 s (docs/performance.md, item 110).
 */
const ROUND_EVENTS = 5_000;

/**
 * How often the fresh file's pages are written back to the disk while the threads fill it (see
 * write-back.ts). Alternating standalone rebuilds at Shanghai scale: the sync at the end (the switch
 * to WAL) took 160–330 ms with this, 540–810 ms without.
 */
const WRITE_BACK_MS = 1_000;

/** What a rebuild thread is given (rebuild-part.worker.ts). */
export interface RebuildPart {
  readonly dataDir: string;
  /** The fresh file it fills. */
  readonly file: string;
  readonly projections: readonly string[];
  /** Both threads stop at the same position: the log's head when the rebuild started. */
  readonly upTo: number;
  /** The log is read through the key store (see `personalData`). */
  readonly keys: { readonly keyEncryptionKeyDir?: string };
  /**
   * The personal data of the log: the thread that `opens` it tells the other, which `receives` it and
   * opens only what it was not told (see personal-data-relay.ts).
   */
  readonly personalData: { readonly port: MessagePort; readonly role: 'opens' | 'receives' };
  /**
   * The thread whose file becomes the read models: once told where the other part is, it copies
   * that part in and makes the file a normal (WAL) database.
   */
  readonly finishes: boolean;
}

/** A rebuild thread's messages. */
export type FromRebuildPart =
  | {
      readonly type: 'projected';
      readonly position: number;
      readonly seconds: number;
      /** Only from the thread that receives personal data. */
      readonly personalData?: RelayedOpenings;
    }
  | { readonly type: 'finished'; readonly copy: number; readonly finish: number }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string };

/** What a rebuild thread tells once it has projected. */
type Projected = Omit<Extract<FromRebuildPart, { type: 'projected' }>, 'type'>;

/** To the finishing thread: the other part's file and the projections whose collections it holds. */
export type ToRebuildPart = {
  readonly type: 'finish';
  readonly partFile: string;
  readonly projections: string[];
};

function named(names: ReadonlySet<string>, wanted: boolean): Projection[] {
  return PROJECTIONS.filter((projection) => names.has(projection.name) === wanted);
}

/**
 * Replays the whole log from position 0 into a fresh read-model file. With `swap`, the fresh file
 * then replaces DATA_DIR's read models in one rename, so readers never see a half-built state; and
 * only while no service or `npm run projections` runs on them (their projection lease, taken for the
 * whole rebuild: otherwise ReadModelsInUseError, and nothing is changed).
 * Two threads project (each reading the log): one most read models, into the fresh file, the other
 * the `SECOND_THREAD` ones into a part file; each indexes its own file as soon as it has projected;
 * the first then copies the part in, indexes and all.
 */
export async function rebuildReadModels(
  dataDir: string,
  options: { target?: string; swap?: boolean; keyEncryptionKeyDir?: string } = {},
): Promise<RebuildReport> {
  const second = named(SECOND_THREAD, true).map((projection) => projection.name);
  if (second.length !== SECOND_THREAD.size) {
    throw new Error(`SECOND_THREAD names a projection that does not exist: ${[...SECOND_THREAD].join(', ')}`);
  }
  const first = named(SECOND_THREAD, false).map((projection) => projection.name);
  const live = readStoreFile(dataDir);
  const target = options.target ?? `${live}.rebuilding`;
  const keys = options.keyEncryptionKeyDir ? { keyEncryptionKeyDir: options.keyEncryptionKeyDir } : {};
  // Only a rebuild that replaces the live file needs it to itself; one into another file reads no more
  // than the log.
  const held = options.swap ? await holdLiveReadModels(live) : null;
  try {
    return await rebuildInto({ dataDir, live, target, keys, first, second, held });
  } finally {
    await held?.release();
  }
}

async function rebuildInto(plan: {
  dataDir: string;
  live: string;
  target: string;
  keys: RebuildPart['keys'];
  /** The projections of each thread, by name. */
  first: string[];
  second: string[];
  held: HeldReadModels | null;
}): Promise<RebuildReport> {
  const { dataDir, live, target, keys, first, second, held } = plan;
  const partFile = `${target}.part`;
  removeDatabase(target);
  removeDatabase(partFile);
  const started = process.hrtime.bigint();
  const upTo = await headOf(dataDir);
  const relay = new MessageChannel();
  const threads = [
    startRebuildThread({
      ...{ dataDir, file: target, projections: first, upTo, keys, finishes: true },
      personalData: { port: relay.port1, role: 'receives' },
    }),
    startRebuildThread({
      ...{ dataDir, file: partFile, projections: second, upTo, keys, finishes: false },
      personalData: { port: relay.port2, role: 'opens' },
    }),
  ] as const;
  const writeBack = writeBackWhileFilled(target, WRITE_BACK_MS);
  let position: number;
  let personalData: RelayedOpenings;
  const phases = { firstThread: 0, secondThread: 0, copy: 0, finish: 0 };
  try {
    const [main, part] = await Promise.all(threads.map((thread) => thread.projected));
    if (main.position !== part.position) {
      throw new Error(
        `the rebuild's threads stopped at different positions: ${main.position}, ${part.position}`,
      );
    }
    position = main.position;
    personalData = main.personalData ?? { relayed: 0, openedHere: 0, waitedSeconds: 0 };
    phases.firstThread = main.seconds;
    phases.secondThread = part.seconds;
    threads[0].finish({ type: 'finish', partFile, projections: second });
    const { copy, finish } = await threads[0].finished;
    phases.copy = copy;
    phases.finish = finish;
  } catch (error) {
    await Promise.all(threads.map((thread) => thread.stop()));
    await writeBack.stop();
    removeDatabase(target);
    throw error;
  } finally {
    await writeBack.stop();
    removeDatabase(partFile);
  }
  // Only a complete rebuild replaces the live read models; a failed one leaves them as they were.
  if (held) {
    if (!held.held) {
      removeDatabase(target);
      throw new ReadModelsInUseError(live, null);
    }
    // Given up just before the file it lives in goes: a service must start after the rebuild (one
    // started during it stood by, on the file now replaced, and must be restarted).
    await held.release();
    if (existsSync(live)) removeDatabase(live);
    renameSync(target, live);
  }
  return {
    position,
    seconds: secondsSince(started),
    file: held ? live : target,
    phases,
    personalData,
  };
}

async function headOf(dataDir: string): Promise<number> {
  const eventStore = openEventStore(dataDir);
  try {
    return await eventStore.headPosition();
  } finally {
    await eventStore.close();
  }
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

interface RebuildThread {
  /** Rejects with the thread's error, or if it ends before projecting. */
  readonly projected: Promise<Projected>;
  /** Only for the finishing thread, after `finish`. */
  readonly finished: Promise<{ copy: number; finish: number }>;
  finish(message: ToRebuildPart): void;
  stop(): Promise<void>;
}

function startRebuildThread(data: RebuildPart): RebuildThread {
  const thread: Worker = startModuleThread(
    __dirname,
    'rebuild-part.worker',
    data,
    { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    [data.personalData.port],
  );
  let projected!: (value: Projected) => void;
  let finished!: (value: { copy: number; finish: number }) => void;
  let failed!: (error: Error) => void;
  const failure = new Promise<never>((_resolve, reject) => (failed = reject));
  const outcomes = {
    projected: Promise.race([new Promise<Projected>((r) => (projected = r)), failure]),
    finished: Promise.race([new Promise<{ copy: number; finish: number }>((r) => (finished = r)), failure]),
  };
  // Whoever awaits them handles a failure; until then, it must not count as unhandled.
  for (const outcome of [failure, outcomes.projected, outcomes.finished]) outcome.catch(() => undefined);
  let done = false;
  thread.on('message', (message: FromRebuildPart) => {
    if (message.type === 'projected') projected(message);
    else if (message.type === 'finished') {
      done = true;
      finished(message);
    } else failed(Object.assign(new Error(message.message), message.stack ? { stack: message.stack } : {}));
  });
  thread.once('error', failed);
  thread.once('exit', (code) => {
    if (!done && (code !== 0 || data.finishes)) failed(new Error(`a rebuild thread exited (${code})`));
  });
  return {
    ...outcomes,
    finish: (message) => thread.postMessage(message),
    stop: () => thread.terminate().then(() => undefined),
  };
}

/**
 * A rebuild thread's work (rebuild-part.worker.ts): its projections into its own fresh file, up to
 * the given position, and their indexes; then, for the finishing thread, the other part copied in.
 */
export async function rebuildPart(
  data: RebuildPart,
  tell: (message: FromRebuildPart) => void,
  finishing: () => Promise<ToRebuildPart>,
): Promise<void> {
  const started = process.hrtime.bigint();
  const { port, role } = data.personalData;
  let received: RelayedCipher | undefined;
  const eventStore = openEventStoreWithKeys(
    { dataDir: data.dataDir, ...data.keys },
    (cipher) =>
      role === 'opens' ? new RelayingCipher(cipher, port) : (received = new RelayedCipher(port, cipher)),
    // The other thread opens only the few envelopes it was not told, anywhere in the log.
    { readKeysAhead: role === 'opens' },
  );
  const readStore = SqliteReadStore.open(data.file, { bulkLoad: true });
  try {
    const position = await new ProjectionRunner(
      eventStore,
      readStore,
      named(new Set(data.projections), true),
      { checkpointName: CHECKPOINT_NAME, batchSize: ROUND_EVENTS },
    ).catchUp(data.upTo, { holdChangingDocuments: true });
    // The other thread waits for no more envelopes from this one.
    if (role === 'opens') await eventStore.close();
    // Each thread indexes its own file at once, while the other may still project: the part's indexes
    // come with it when it is copied in whole (see copyCollectionsFrom), and the first thread's, built
    // before the copy instead of after it, are no longer all on one core at the end whichever thread
    // finishes last (docs/performance.md, item 101).
    await readStore.indexBulkLoad();
    tell({
      type: 'projected',
      position,
      seconds: secondsSince(started),
      ...(received ? { personalData: received.openings() } : {}),
    });
    if (!data.finishes) return;
    const { partFile, projections } = await finishing();
    const copying = process.hrtime.bigint();
    const other = named(new Set(projections), true).flatMap((projection) => projection.collections);
    await readStore.copyCollectionsFrom(partFile, other);
    const copy = secondsSince(copying);
    const ending = process.hrtime.bigint();
    await readStore.finishBulkLoad();
    tell({ type: 'finished', copy, finish: secondsSince(ending) });
  } finally {
    await readStore.close();
    await eventStore.close();
  }
}

export const PROJECTION_NAMES = PROJECTIONS.map((projection) => projection.name);
