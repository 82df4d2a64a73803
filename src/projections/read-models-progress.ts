/** A document a commit wrote or deleted (which one, not its content). */
export interface ChangedDocument {
  readonly collection: string;
  readonly id: string;
}

/** Told of every change the projections commit, and when they can no longer vouch for having seen them all. */
export interface CommitListener {
  committed(changes: readonly ChangedDocument[]): void;
  /** Changes may have been made that were not told: forget whatever was learnt from them. */
  forgotten(): void;
  /** The read models now reflect the log up to `position` (told after the commits that got there). */
  reached?(position: number): void;
}

/**
 * What the service asks of the projections that keep its read models: how far they have got, whether
 * they see every change, and what they changed. The projection runner answers it in its own thread;
 * so does its stand-in on the main thread while it runs on a thread of its own.
 */
export interface ReadModelsProgress {
  /** Position of the last event reflected in the read models. */
  readonly checkpoint: number;
  /**
   * True while the projections follow the log as the read models' only writer, so every change to
   * them is one told to the listeners.
   */
  readonly seesEveryChange: boolean;
  /** Returns the function that stops the listening. */
  listen(listener: CommitListener): () => void;
  /** Resolves true once the read models reflect `position`, false if `timeoutMs` passes first. */
  waitFor(position: number, timeoutMs: number): Promise<boolean>;
}

/** Read models the service follows while it runs: started with it, stopped before its stores close. */
export interface FollowedReadModels extends ReadModelsProgress {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const READ_MODELS_PROGRESS = Symbol('ReadModelsProgress');

interface Waiter {
  readonly position: number;
  readonly resolve: (reached: boolean) => void;
}

/** Callers waiting for a position to be reached, each with a timeout (see `waitFor`). */
export class PositionWaiters {
  private waiters: Waiter[] = [];

  /** Resolves true once `reached(p)` is told a p ≥ `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs: number): Promise<boolean> {
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

  reached(position: number): void {
    if (!this.waiters.some((waiter) => waiter.position <= position)) return;
    const reached = this.waiters.filter((waiter) => waiter.position <= position);
    this.waiters = this.waiters.filter((waiter) => waiter.position > position);
    for (const waiter of reached) waiter.resolve(true);
  }

  /** Everyone still waiting is answered false (the read models stop). */
  abandon(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(false);
  }
}
