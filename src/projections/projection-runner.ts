import type { EventStore, StoredEvent } from '../application/ports/event-store';
import { LeaseLostError } from '../application/ports/lease-store';
import type { Checkpoint, DocumentChange, ReadStore } from '../application/ports/read-store';
import { BatchContext, countWrittenBefore } from './batch-context';
import { DocumentCache } from './document-cache';
import { HoldingTime } from './holding-time';
import { inBatches } from './in-batches';
import type { ProjectionLease } from './lease-guard';
import { nestLogger } from './nest-logger';
import type { Projection } from './projection';
import { PositionWaiters, type CommitListener, type FollowedReadModels } from './read-models-progress';

export interface RunnerOptions {
  /** Names the checkpoint; include the projections' version so a new version rebuilds from 0. */
  readonly checkpointName: string;
  readonly batchSize?: number;
  /**
   * With a lease, batches are applied (and the read models reset) only while this process holds it;
   * otherwise the runner stands by, following the checkpoint that the holder moves.
   */
  readonly lease?: ProjectionLease;
  /**
   * How many documents the runner's cache holds across batches (DocumentCache, 50,000 unless told):
   * a holding catch-up may grow it (see READ_BACK_SHARE), a runner following the log never does.
   */
  readonly cachedDocuments?: number;
}

const MAX_BACKOFF_MS = 5_000;
/** Events read per query while catching up (see `catchUp`). */
const READ_PIECE = 1_000;
/**
 * Of the documents a round of a holding catch-up writes, about this many are looked up to tell how
 * many were written before (see HoldingTime): a share needs no more, and a rebuild of the Shanghai
 * set writes 1.2 million documents.
 */
const JUDGED = 256;
/**
 * In a holding catch-up (a rebuild), a round that had to read back from the store more than one
 * document for every READ_BACK_SHARE events it applied (500 in a round of 10,000, 250 in a rebuild's
 * of 5,000) doubles the cache, up to MOST_CACHED documents: on a log whose entities' events lie far
 * apart it was too small (at three tenths of the city with every journey overlapping, 13.5–13.8 s
 * with 200,000 documents against 15.2–15.3 s with 50,000, 75 MB more). On the Shanghai set a rebuild
 * reads ~600 documents back in all, and its cache stays as it is. The service's runner never grows it.
 */
const READ_BACK_SHARE = 20;
const MOST_CACHED = 200_000;

export interface CatchUpOptions {
  /**
   * Only for read models nobody uses before the catch-up has ended, and thrown away if it fails (a
   * rebuild's fresh file): documents still changing are held in memory and written once they have
   * gone quiet (for two batches at first, longer on a log where that proves too short: see
   * holding-time.ts) or at the end, so that an entity's document is written about once instead of once
   * per batch it changes in. Until the end, the committed checkpoint does not move (the documents
   * written meanwhile may be ahead of it), so a catch-up that stops half-way must not be resumed.
   */
  readonly holdChangingDocuments?: boolean;
}
/** How often a runner standing by reads the checkpoint another process moves. */
const STANDBY_POLL_MS = 50;

/**
 * Feeds every projection from one checkpointed catch-up subscription. Each batch's documents and
 * the checkpoint commit in one read-store transaction, so a crash can neither lose nor double an
 * event. On an error it resubscribes from the last committed checkpoint with backoff.
 */
export class ProjectionRunner implements FollowedReadModels {
  private readonly logger = nestLogger(ProjectionRunner.name);
  private readonly batchSize: number;
  private position = 0;
  private readonly waiters = new PositionWaiters();
  private abort = new AbortController();
  private running: Promise<void> | null = null;
  /** Documents of earlier batches, valid only while this runner is the read models' only writer. */
  private readonly cache: DocumentCache;
  private readonly listeners = new Set<CommitListener>();
  /**
   * Per event type, the projections that react to it, in their order: one look-up per event instead
   * of one per projection (a rebuild's first thread applies ~2 million events to eight projections).
   */
  private readonly routes = new Map<string, readonly Projection[]>();

  constructor(
    private readonly eventStore: EventStore,
    private readonly readStore: ReadStore,
    private readonly projections: readonly Projection[],
    private readonly options: RunnerOptions,
  ) {
    this.batchSize = options.batchSize ?? 10_000;
    this.cache = new DocumentCache(options.cachedDocuments);
    for (const type of new Set(projections.flatMap((projection) => [...projection.eventTypes]))) {
      this.routes.set(
        type,
        projections.filter((projection) => projection.eventTypes.has(type)),
      );
    }
  }

  get checkpoint(): number {
    return this.position;
  }

  /**
   * True while this runner is following the log as the read models' only writer, so every change
   * to them is one it committed (and told its listeners of).
   */
  get seesEveryChange(): boolean {
    return Date.now() < this.vouchesUntil();
  }

  /**
   * Until when (ms since the epoch, Date.now's clock) `seesEveryChange` holds at the least, unless
   * this runner stops or fails first: Infinity without a lease, 0 when it does not hold now.
   */
  vouchesUntil(): number {
    if (this.running === null || this.abort.signal.aborted) return 0;
    const lease = this.options.lease;
    return lease === undefined ? Infinity : (lease.surelyHeldUntil?.() ?? 0);
  }

  /** Returns the function that stops the listening. */
  listen(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async prepare(): Promise<void> {
    await this.readStore.ensureCollections(this.projections.flatMap((projection) => projection.collections));
    this.position = await this.readStore.getCheckpoint(this.options.checkpointName);
    if (this.position === 0 && !this.options.lease) await this.reset();
  }

  /** Starts following the log in the background. */
  async start(): Promise<void> {
    await this.prepare();
    this.abort = new AbortController();
    this.running = this.follow(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    this.running = null;
    await this.options.lease?.release();
    this.waiters.abandon();
  }

  /**
   * Applies everything up to the log's current head, or only up to position `upTo`, then returns the
   * position reached (for rebuilds and tools). It reads only the event types its projections react
   * to, and its checkpoint still ends at that position even where the last events were of others.
   */
  async catchUp(upTo = Infinity, options: CatchUpOptions = {}): Promise<number> {
    await this.prepare();
    const target = Math.min(upTo, await this.eventStore.headPosition());
    const types = new Set(this.routes.keys());
    // Read in small pieces, committed in big batches: each piece's events die young (cheap to
    // collect) while a document that several events change is still written once per batch.
    const pieceSize = Math.min(this.batchSize, READ_PIECE);
    const hold = options.holdChangingDocuments ?? false;
    const holding = new HoldingTime(this.batchSize);
    this.cache.takeFills();
    let context = new BatchContext(this.readStore, this.cache);
    let reached = this.position;
    while (reached < target) {
      let applied = 0;
      let exhausted = false;
      while (!exhausted && applied < this.batchSize) {
        const read = await this.eventStore.readAll(reached, pieceSize, { types });
        const events = read.filter((event) => event.position <= target);
        // Fewer than asked for, or some beyond the target: nothing else of these types up to it.
        exhausted = read.length < pieceSize || events.length < read.length;
        await this.project(events, context);
        if (events.length > 0) reached = events[events.length - 1]!.position;
        applied += events.length;
      }
      if (exhausted) reached = target;
      if (hold) {
        // Documents still changing wait for their last change; the checkpoint waits for the end.
        const settled = context.takeSettled(holding.rounds);
        const step = Math.max(1, Math.floor(settled.length / JUDGED));
        const judged = step === 1 ? settled : settled.filter((_, index) => index % step === 0);
        holding.wrote(judged.length, countWrittenBefore(judged));
        await this.commitChanges(settled, []);
        if (this.cache.takeFills() > applied / READ_BACK_SHARE) {
          this.cache.grow(Math.min(this.cache.limit * 2, MOST_CACHED));
        }
        context.nextRound();
      } else {
        await this.commitBatch(context, reached);
        context = new BatchContext(this.readStore, this.cache);
      }
    }
    if (hold) await this.commitBatch(context, reached);
    return this.position;
  }

  /** Resolves true once the read models reflect `position`, false if `timeoutMs` passes first. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return this.waiters.waitFor(position, timeoutMs);
  }

  private async follow(signal: AbortSignal): Promise<void> {
    let backoff = 100;
    while (!signal.aborted) {
      try {
        // Another process may have written while this one was not holding the lease.
        if (this.options.lease) this.forget();
        const held = this.options.lease ? await this.holdLease(this.options.lease, signal) : signal;
        if (held === null) return;
        const subscription = this.eventStore.subscribeToAll(this.position, { signal: held });
        for await (const batch of inBatches(subscription, this.batchSize)) {
          await this.applyBatch(batch);
          backoff = 100;
        }
      } catch (error) {
        if (signal.aborted) return;
        this.forget();
        if (error instanceof LeaseLostError) {
          this.options.lease?.lost();
          this.logger.warn(`${error.message}: the batch was not applied; standing by`);
        } else {
          this.logger.error(
            `projection batch failed; resubscribing from ${this.position} in ${backoff} ms`,
            error,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        this.position = await this.readStore
          .getCheckpoint(this.options.checkpointName)
          .catch(() => this.position);
      }
    }
  }

  /** Stands by, following the checkpoint another process moves, until this process holds the lease. */
  private async holdLease(lease: ProjectionLease, signal: AbortSignal): Promise<AbortSignal | null> {
    while (!signal.aborted) {
      const held = await lease.tryAcquire();
      this.position = await this.readStore.getCheckpoint(this.options.checkpointName);
      if (held) {
        if (this.position === 0) await this.reset();
        return AbortSignal.any([signal, held]);
      }
      this.wake();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, STANDBY_POLL_MS);
        signal.addEventListener('abort', done, { once: true });
      });
    }
    return null;
  }

  private async applyBatch(events: readonly StoredEvent[]): Promise<void> {
    const context = new BatchContext(this.readStore, this.cache);
    await this.project(events, context);
    await this.commitBatch(context, events[events.length - 1]!.position);
  }

  private async project(events: readonly StoredEvent[], context: BatchContext): Promise<void> {
    // Indexed loops: an iterator kept across an `await` is an object per step (~0.7 GB of a rebuild's
    // first thread's ~10 GB of allocations).
    for (let e = 0; e < events.length; e++) {
      const event = events[e]!;
      if (event.position <= this.position) continue;
      const projections = this.routes.get(event.type);
      if (projections === undefined) continue;
      for (let p = 0; p < projections.length; p++) {
        const applying = projections[p]!.apply(event, context);
        if (applying !== undefined) await applying;
      }
    }
  }

  /** Commits the batch's documents with the checkpoint at `through` (nothing when it is not ahead). */
  private async commitBatch(context: BatchContext, through: number): Promise<void> {
    if (through <= this.position) return;
    await this.commitChanges(context.changes(), [
      { projection: this.options.checkpointName, position: through },
    ]);
    this.position = through;
    this.wake();
  }

  private async commitChanges(changes: DocumentChange[], checkpoints: Checkpoint[]): Promise<void> {
    if (changes.length === 0 && checkpoints.length === 0) return;
    await this.readStore.commit(changes, checkpoints, { lease: this.options.lease?.claim });
    this.cache.remember(changes);
    for (const listener of this.listeners) listener.committed(changes);
  }

  private wake(): void {
    this.waiters.reached(this.position);
    for (const listener of this.listeners) listener.reached?.(this.position);
  }

  private async reset(): Promise<void> {
    const collections = this.projections.flatMap((projection) => projection.collections.map((c) => c.name));
    await this.readStore.reset(collections, [this.options.checkpointName]);
    this.cache.startEmpty();
    for (const listener of this.listeners) listener.forgotten();
  }

  private forget(): void {
    this.cache.clear();
    for (const listener of this.listeners) listener.forgotten();
  }
}
