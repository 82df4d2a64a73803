/**
 * A lease: a named right, held by one holder at a time, that lapses unless renewed. The projection
 * runner takes one per checkpoint so that, however many processes run it, only one applies batches.
 *
 * Expiry is judged by the store's own clock (the database server's where there is one), so holders
 * on different machines never compare their clocks with each other.
 */
export interface LeaseClaim {
  readonly name: string;
  readonly holder: string;
  /** How long the lease lasts from each acquisition or renewal. */
  readonly ttlMs: number;
}

export interface LeaseState {
  /** True when `holder` now holds the lease (newly taken, or renewed because it already held it). */
  readonly acquired: boolean;
  /** The holder after the attempt, or null when nobody holds it. */
  readonly holder: string | null;
  /** When the current holding lapses (ms since the epoch, store clock), 0 when nobody holds it. */
  readonly expiresAt: number;
}

export interface AcquireOptions {
  /**
   * Also take the lease from this holder even though its lease has not lapsed yet, e.g. a holder
   * known to be dead, or an operator's rebuild taking over. Safe for correctness because every
   * commit is fenced (see `CommitOptions.lease`): the previous holder's next commit fails.
   */
  readonly replacing?: string;
}

export interface LeaseStore {
  /** Takes the lease when nobody holds it, it has lapsed, or `holder` already holds it (then renews it). */
  acquireLease(claim: LeaseClaim, options?: AcquireOptions): Promise<LeaseState>;
  /** Extends the lease; false (changing nothing) when `holder` no longer holds it. */
  renewLease(claim: LeaseClaim): Promise<boolean>;
  /** Gives the lease up if `holder` holds it; otherwise does nothing. */
  releaseLease(name: string, holder: string): Promise<void>;
}

/** A fenced write found that its writer no longer holds the lease: nothing was written. */
export class LeaseLostError extends Error {
  constructor(
    readonly lease: string,
    readonly holder: string,
  ) {
    super(`lease ${lease} is no longer held by ${holder}`);
    this.name = 'LeaseLostError';
  }
}

export function isLeaseStore(value: unknown): value is LeaseStore {
  const candidate = value as Partial<LeaseStore> | null;
  return (
    typeof candidate?.acquireLease === 'function' &&
    typeof candidate.renewLease === 'function' &&
    typeof candidate.releaseLease === 'function'
  );
}
