import type { Actor } from '../../domain/actor';

/** Who, when and why: carried by every stored event (DESIGN §3 envelope). */
export interface EventMetadata {
  readonly occurredAt: string;
  readonly actor: Actor;
  readonly commandId: string;
  readonly correlationId: string;
  readonly causationId: string;
}

export interface EventToAppend {
  /** Derived from the command id, so a retried command appends nothing new. */
  readonly id: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: EventMetadata;
}

export interface StoredEvent extends EventToAppend {
  readonly streamId: string;
  /** 0-based position of the event inside its stream. */
  readonly revision: number;
  /**
   * Position in the global order, at least 1; positions only grow, but need not be consecutive
   * (KurrentDB's are byte offsets in its log, kept exact up to 2^53).
   */
  readonly position: number;
}

/**
 * What the writer believes about the stream: it must not exist yet, it must exist,
 * anything goes, or its last event has exactly this revision.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendResult {
  /** Revision of the last event now in the stream: pass it as the next expected revision. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended (or of the original events on an idempotent retry). */
  readonly position: number;
  /**
   * The global position of each event appended, in order (of the original events on a retry), where
   * the store can tell them one by one; absent where it answers only the last (KurrentDB's append).
   * With them, a writer knows exactly what a read of the stream would now return.
   */
  readonly positions?: readonly number[];
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or -1 when it does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId} is at revision ${actual}, expected ${String(expected)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

/**
 * An event id the stream already holds at another place, or one an append carries twice: never
 * silently duplicated. Ids are unique within a stream; across streams only where the store keeps an
 * index of them (SQLite files made before it left that index out; KurrentDB does not).
 */
export class DuplicateEventIdError extends Error {
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already stored with different placement`);
    this.name = 'DuplicateEventIdError';
  }
}

export interface ReadAllOptions {
  /**
   * Only events of these types (the store skips the others itself, so a projection that needs a
   * few types does not pay for reading and parsing the rest); every type when absent.
   */
  readonly types?: ReadonlySet<string>;
}

export interface ReadAtOptions {
  /**
   * Personal data stays as stored, sealed (where a store seals it): for reads that need only who did
   * what and when, so that nobody's personal data is opened for them.
   */
  readonly sealed?: boolean;
}

export interface SubscribeOptions {
  /** Stops the subscription; the iterator then ends normally. */
  readonly signal?: AbortSignal;
}

/** One stream's part of an append to several streams (EventStore.appendToStreams). */
export interface StreamAppend {
  readonly streamId: string;
  readonly events: readonly EventToAppend[];
  readonly expected: ExpectedRevision;
}

/**
 * The write model's only storage. Appends are atomic per call: all events or none.
 * Appending events whose ids are all already stored, in the same stream and order,
 * is a no-op that answers like the original append.
 */
export interface EventStore {
  append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult>;
  /**
   * Appends to several streams at once, all or none: each part checked against its own expected
   * revision (and answered as `append` answers it, a retried part included) in the order given, and
   * if one part fails nothing of the others is stored. One answer per part, in order. A stream may
   * appear once. Absent where the store cannot commit several streams together (KurrentDB 25.1's
   * multi-stream append takes metadata only as string properties, not the JSON envelope the adapter
   * writes): the caller then appends the parts one after the other.
   */
  appendToStreams?(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  /** Every event of the stream in revision order; empty when the stream does not exist. */
  readStream(streamId: string): Promise<StoredEvent[]>;
  /**
   * The revision of the stream's last event, -1 when the stream does not exist: whether a stream
   * read earlier is still the newest, without reading it again.
   */
  streamRevision(streamId: string): Promise<number>;
  /**
   * Up to `limit` events with position > `afterPosition`, in global order. `afterPosition` is 0 or
   * the position of a stored event: where positions are log offsets (KurrentDB), other numbers do
   * not name a place in the log. With `types`, up to `limit` events of those types.
   */
  readAll(afterPosition: number, limit: number, options?: ReadAllOptions): Promise<StoredEvent[]>;
  /**
   * The events stored at these positions (each one a position a read of the log answered), in global
   * order, each once; a position that holds no event is left out. For read models that index the log
   * rather than copy it (an actor's decisions).
   */
  readAt(positions: readonly number[], options?: ReadAtOptions): Promise<StoredEvent[]>;
  /** Catches up from `afterPosition`, then yields live events as they are appended. */
  subscribeToAll(afterPosition: number, options?: SubscribeOptions): AsyncIterable<StoredEvent>;
  /** Position of the newest event, 0 when empty. */
  headPosition(): Promise<number>;
  /**
   * Calls `listener` after appends committed through this store (several at once may be told once),
   * so that a subscriber elsewhere in the process (another thread) can be woken; returns the function
   * that stops it. Absent where subscribers are woken by the store itself (KurrentDB pushes events).
   */
  onAppended?(listener: () => void): () => void;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EventStore');
