import { Logger } from '@nestjs/common';
import type { EventStore, StoredEvent } from '../application/ports/event-store';
import type { ReadStore } from '../application/ports/read-store';
import { BatchContext } from './batch-context';
import { inBatches } from './in-batches';
import type { Projection } from './projection';

export interface RunnerOptions {
  /** Names the checkpoint; include the projections' version so a new version rebuilds from 0. */
  readonly checkpointName: string;
  readonly batchSize?: number;
}

interface Waiter {
  readonly position: number;
  readonly resolve: (reached: boolean) => void;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * Feeds every projection from one checkpointed catch-up subscription. Each batch's documents and
 * the checkpoint commit in one read-store transaction, so a crash can neither lose nor double an
 * event. On an error it resubscribes from the last committed checkpoint with backoff.
 */
export class ProjectionRunner {
  private readonly logger = new Logger(ProjectionRunner.name);
  private readonly batchSize: number;
  private position = 0;
  private waiters: Waiter[] = [];
  private abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(
    private readonly eventStore: EventStore,
    private readonly readStore: ReadStore,
    private readonly projections: readonly Projection[],
    private readonly options: RunnerOptions,
  ) {
    this.batchSize = options.batchSize ?? 2_000;
  }

  /** Position of the last event reflected in the read models. */
  get checkpoint(): number {
    return this.position;
  }

  async prepare(): Promise<void> {
    await this.readStore.ensureCollections(this.projections.flatMap((projection) => projection.collections));
    this.position = await this.readStore.getCheckpoint(this.options.checkpointName);
    if (this.position === 0) await this.reset();
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
    for (const waiter of this.waiters) waiter.resolve(false);
    this.waiters = [];
  }

  /** Applies everything up to the log's current head, then returns (for rebuilds and tools). */
  async catchUp(): Promise<number> {
    await this.prepare();
    for (;;) {
      const events = await this.eventStore.readAll(this.position, this.batchSize);
      if (events.length === 0) return this.position;
      await this.applyBatch(events);
    }
  }

  /** Resolves true once the read models reflect `position`, false if `timeoutMs` passes first. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        resolve(false);
      }, timeoutMs);
      const entry: Waiter = {
        position,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      this.waiters.push(entry);
    });
  }

  private async follow(signal: AbortSignal): Promise<void> {
    let backoff = 100;
    while (!signal.aborted) {
      try {
        const subscription = this.eventStore.subscribeToAll(this.position, { signal });
        for await (const batch of inBatches(subscription, this.batchSize)) {
          await this.applyBatch(batch);
          backoff = 100;
        }
      } catch (error) {
        if (signal.aborted) return;
        this.logger.error(
          `projection batch failed; resubscribing from ${this.position} in ${backoff} ms`,
          error,
        );
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        this.position = await this.readStore.getCheckpoint(this.options.checkpointName);
      }
    }
  }

  private async applyBatch(events: readonly StoredEvent[]): Promise<void> {
    const context = new BatchContext(this.readStore);
    for (const event of events) {
      if (event.position <= this.position) continue;
      for (const projection of this.projections) {
        if (projection.eventTypes.has(event.type)) await projection.apply(event, context);
      }
    }
    const last = events[events.length - 1]!.position;
    if (last <= this.position) return;
    await this.readStore.commit(context.changes(), [
      { projection: this.options.checkpointName, position: last },
    ]);
    this.position = last;
    this.wake();
  }

  private wake(): void {
    const reached = this.waiters.filter((waiter) => waiter.position <= this.position);
    if (reached.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.position > this.position);
    for (const waiter of reached) waiter.resolve(true);
  }

  private async reset(): Promise<void> {
    const collections = this.projections.flatMap((projection) => projection.collections.map((c) => c.name));
    await this.readStore.reset(collections, [this.options.checkpointName]);
  }
}
