import type { AppConfig } from './config/config';

/** What the projections thread is started with (projections-thread.worker.ts). */
export interface ProjectionsThreadData {
  readonly config: AppConfig;
  /** The process's lease-holder token (see `adoptProcessToken`). */
  readonly processToken: string;
  /** Lease holders known to be dead: an earlier projections thread of this process that crashed. */
  readonly deadHolders: readonly string[];
}

export type ToProjectionsThread =
  /** Events were appended in the process: look for them now rather than at the next poll. */
  { readonly type: 'appended' } | { readonly type: 'stop' };

export type FromProjectionsThread =
  | {
      readonly type: 'ready';
      readonly checkpoint: number;
      readonly vouchesUntil: number;
      /** The lease holder the thread runs as (undefined without a lease). */
      readonly holder: string | undefined;
    }
  | { readonly type: 'failed'; readonly message: string; readonly stack?: string }
  /** [collection, id] of every document a commit wrote or deleted. */
  | { readonly type: 'committed'; readonly changes: readonly (readonly [string, string])[] }
  | { readonly type: 'forgotten' }
  /** With what `vouch` would say now, so that the first batch after taking the lease says it too. */
  | { readonly type: 'reached'; readonly position: number; readonly vouchesUntil: number }
  /** `seesEveryChange` holds until this time (ms since the epoch), unless told otherwise. */
  | { readonly type: 'vouch'; readonly until: number }
  | { readonly type: 'stopped' };
