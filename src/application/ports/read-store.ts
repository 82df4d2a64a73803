import type { LeaseClaim } from './lease-store';

/** Read models are JSON documents in named collections; they are derived and rebuildable. */
export type ReadDocument = Readonly<Record<string, unknown>>;

export interface CollectionSpec {
  readonly name: string;
  /**
   * Top-level fields that queries filter or sort on, and only those: each index is paid for on every
   * write of the collection. An index no longer declared is dropped by `ensureCollections`.
   */
  readonly indexes: readonly string[];
}

/** `doc: null` deletes the document. */
export interface DocumentChange {
  readonly collection: string;
  readonly id: string;
  readonly doc: ReadDocument | null;
  /**
   * What the writer knows of earlier writes of this id since the read models were reset: true, none
   * was made (a store may insert the document without looking for it, or skip deleting it); false,
   * one may have been; absent, not known. Only `true` may be acted on.
   */
  readonly firstWrite?: boolean;
}

export interface Checkpoint {
  readonly projection: string;
  readonly position: number;
}

export type FilterValue = string | number | boolean | null;

export interface FindOptions {
  /** Top-level field to sort by; ties are broken by id. Default: id. */
  readonly orderBy?: string;
  readonly direction?: 'asc' | 'desc';
  readonly limit?: number;
  readonly offset?: number;
}

export interface CommitOptions {
  /**
   * Fences the commit: it is written only if this holder still holds this lease when the transaction
   * commits, and then also renews the lease. Otherwise it fails with `LeaseLostError`, writing nothing.
   */
  readonly lease?: LeaseClaim;
}

export interface ReadStore {
  /**
   * Creates collections and their indexes if missing, and drops the indexes they no longer declare;
   * safe to call at every start.
   */
  ensureCollections(specs: readonly CollectionSpec[]): Promise<void>;
  get<T extends ReadDocument>(collection: string, id: string): Promise<T | null>;
  /** Documents whose top-level fields equal every value in `filter` ({} matches all). */
  find<T extends ReadDocument>(
    collection: string,
    filter: Readonly<Record<string, FilterValue>>,
    options?: FindOptions,
  ): Promise<T[]>;
  count(collection: string, filter: Readonly<Record<string, FilterValue>>): Promise<number>;
  /** Writes every change and every checkpoint in one transaction: all or nothing. */
  commit(
    changes: readonly DocumentChange[],
    checkpoints: readonly Checkpoint[],
    options?: CommitOptions,
  ): Promise<void>;
  /** 0 when the projection has never committed. */
  getCheckpoint(projection: string): Promise<number>;
  /** Deletes every document of the collections and the projections' checkpoints (for a rebuild). */
  reset(collections: readonly string[], projections: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export const READ_STORE = Symbol('ReadStore');
