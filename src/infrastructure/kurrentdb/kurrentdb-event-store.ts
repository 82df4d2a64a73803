import {
  BACKWARDS,
  END,
  excludeSystemEvents,
  FORWARDS,
  KurrentDBClient,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type Position,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import { Logger } from '@nestjs/common';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type StoredEvent,
  type SubscribeOptions,
} from '../../application/ports/event-store';
import {
  decodePosition,
  encodePosition,
  freshAppendRevision,
  fromRecordedEvent,
  isOurEvent,
  isStreamNotFound,
  isTransientError,
  isWrongExpectedVersion,
  laterPosition,
  positionOf,
  toEventData,
  toRevision,
  toStreamState,
  toWrongExpectedRevision,
} from './kurrentdb-mapping';

export interface KurrentDbEventStoreOptions {
  /** First pause before resubscribing or retrying a read; doubles up to `maxBackoffMs`. */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Attempts for a read or append that fails with a transient error (leader change, node down). */
  readonly attempts?: number;
}

type Logs = Pick<Logger, 'log' | 'warn'>;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * EventStore on KurrentDB (formerly EventStoreDB) through `@kurrent/kurrentdb-client`, which speaks
 * the same gRPC protocol to EventStoreDB 20.6+ servers.
 *
 * - Appends always pass the expected state (NO_STREAM for a new stream, the bigint revision after)
 *   and our event ids, so the server deduplicates a retried command; a wrong expected revision is
 *   the port's `WrongExpectedRevisionError`. A retry the server reports as a conflict (because it
 *   was sent with another expected revision) is recognised by its ids and answered like the original.
 * - Aggregate loads read from the leader (`requiresLeader`), so a command sees every earlier write.
 * - `$all` is read with `excludeSystemEvents()`; a subscription also records the server's filter
 *   checkpoints, so after a dropped connection it resumes from the furthest point known, not only
 *   from the last event it delivered.
 *
 * KurrentDB deduplicates event ids within a stream only: reusing an id in another stream is not
 * detected (our ids are derived from the command id and the stream, so the service never does it).
 */
export class KurrentDbEventStore implements EventStore {
  private readonly logger: Logs;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly attempts: number;
  private readonly subscriptions = new Set<AllStreamSubscription>();
  private readonly closing = new AbortController();

  constructor(
    private readonly client: KurrentDBClient,
    options: KurrentDbEventStoreOptions = {},
    logger: Logs = new Logger(KurrentDbEventStore.name),
  ) {
    this.logger = logger;
    this.backoffMs = options.backoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
    this.attempts = options.attempts ?? 3;
  }

  /** Connects lazily: the first operation discovers the cluster and its leader. */
  static connect(connectionString: string, options: KurrentDbEventStoreOptions = {}): KurrentDbEventStore {
    return new KurrentDbEventStore(KurrentDBClient.connectionString(connectionString), options);
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error(`append to ${streamId}: no events given`);
    const streamState = toStreamState(expected);
    const data = events.map(toEventData);
    let written;
    try {
      // Retrying is safe: the same ids at the same expected revision are deduplicated by the server.
      written = await this.retrying(`append to ${streamId}`, () =>
        this.client.appendToStream(streamId, data, { streamState, requiresLeader: true }),
      );
    } catch (error) {
      if (!isWrongExpectedVersion(error)) throw error;
      // Maybe a retry sent with another expected revision than the original: answer like it.
      const earlier = await this.placementOf(streamId, events);
      if (earlier) return earlier;
      throw toWrongExpectedRevision(streamId, expected, error);
    }
    const nextExpectedRevision = toRevision(written.nextExpectedRevision);
    const position = written.position ? positionOf(written) : null;
    const fresh = freshAppendRevision(expected, events.length);
    if (position !== null && fresh === nextExpectedRevision) return { nextExpectedRevision, position };
    // Deduplicated by the server, or appended with 'any'/'stream_exists', whose answer alone cannot
    // tell a fresh write from a replay (the server even accepts a reordered replay of recent events):
    // the events must sit in the stream, in this order, one after the other.
    const earlier = await this.placementOf(streamId, events);
    if (earlier) return earlier;
    throw new Error(`append to ${streamId} succeeded without a position, and its events cannot be found`);
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    return this.retrying(`read ${streamId}`, async () => {
      const events: StoredEvent[] = [];
      try {
        for await (const resolved of this.client.readStream(streamId, {
          direction: FORWARDS,
          requiresLeader: true,
        })) {
          if (resolved.event) events.push(fromRecordedEvent(resolved.event, commitPositionOf(resolved)));
        }
      } catch (error) {
        if (isStreamNotFound(error)) return [];
        throw error;
      }
      return events;
    });
  }

  async streamRevision(streamId: string): Promise<number> {
    return this.retrying(`read the revision of ${streamId}`, async () => {
      try {
        for await (const resolved of this.client.readStream(streamId, {
          direction: BACKWARDS,
          fromRevision: END,
          maxCount: 1,
          requiresLeader: true,
        })) {
          if (resolved.event) return toRevision(resolved.event.revision);
        }
      } catch (error) {
        if (isStreamNotFound(error)) return -1;
        throw error;
      }
      return -1;
    });
  }

  async readAll(afterPosition: number, limit: number, options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { types } = options;
    if (!(limit > 0) || types?.size === 0) return [];
    const wanted = Math.floor(limit);
    const events: StoredEvent[] = [];
    let from = afterPosition;
    // Pages until `wanted` events are found or the log ends: events we skip (the first, at
    // `afterPosition` itself, any written by others, and those of other types) must not end the
    // read early.
    while (events.length < wanted) {
      const maxCount = wanted - events.length + 1;
      const page = await this.retrying('read $all', async () => {
        const read: AllStreamResolvedEvent[] = [];
        for await (const resolved of this.client.readAll({
          fromPosition: decodePosition(from),
          maxCount,
          direction: FORWARDS,
          filter: excludeSystemEvents(),
        })) {
          read.push(resolved);
        }
        return read;
      });
      for (const resolved of page) {
        const event = resolved.event;
        const position = event ? positionOf(event) : null;
        if (!event || position === null || position <= from) continue;
        from = position;
        if (isOurEvent(event) && (types === undefined || types.has(event.type))) {
          events.push(fromRecordedEvent(event));
        }
        if (events.length === wanted) break;
      }
      if (page.length < maxCount) break;
    }
    return events;
  }

  async readAt(positions: readonly number[]): Promise<StoredEvent[]> {
    const wanted = [...new Set(positions)].sort((a, b) => a - b);
    const events: StoredEvent[] = [];
    // One read per position: a read of $all from an event's position starts with that event.
    for (const position of wanted) {
      const from = decodePosition(position);
      if (position === 0) continue; // the start of the log, not an event
      const found = await this.retrying('read $all at a position', async () => {
        for await (const resolved of this.client.readAll({
          fromPosition: from,
          maxCount: 1,
          direction: FORWARDS,
          filter: excludeSystemEvents(),
        })) {
          return resolved.event;
        }
        return undefined;
      });
      if (found && positionOf(found) === position && isOurEvent(found)) {
        events.push(fromRecordedEvent(found));
      }
    }
    return events;
  }

  async *subscribeToAll(
    afterPosition: number,
    options: SubscribeOptions = {},
  ): AsyncGenerator<StoredEvent, void, undefined> {
    const signal = AbortSignal.any([this.closing.signal, ...(options.signal ? [options.signal] : [])]);
    let delivered = afterPosition;
    /** Where to resume: the last delivered event, or a later filter checkpoint from the server. */
    let resumeFrom: Position | null =
      afterPosition === 0 ? null : (decodePosition(afterPosition) as Position);
    let backoff = this.backoffMs;
    while (!signal.aborted) {
      const subscription = this.client.subscribeToAll({
        fromPosition: resumeFrom ?? decodePosition(0),
        filter: excludeSystemEvents({
          checkpointReached: (_subscription, position) => {
            resumeFrom = laterPosition(resumeFrom, position);
          },
        }),
      });
      this.subscriptions.add(subscription);
      const stop = (): void => void this.unsubscribe(subscription);
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const resolved of subscription as AsyncIterable<AllStreamResolvedEvent>) {
          const event = resolved.event;
          if (!event?.position) continue;
          const position = positionOf(event);
          if (position === null || position <= delivered) continue;
          resumeFrom = laterPosition(resumeFrom, event.position);
          if (!isOurEvent(event)) continue;
          backoff = this.backoffMs;
          yield fromRecordedEvent(event);
          delivered = position;
          if (signal.aborted) return;
        }
        if (signal.aborted) return;
        this.logger.warn(`$all subscription ended by the server; resubscribing from ${delivered}`);
      } catch (error) {
        if (signal.aborted) return;
        if (!isTransientError(error)) throw error;
        this.logger.warn(
          `$all subscription dropped (${(error as Error).message}); resubscribing after ${delivered} ` +
            `(checkpoint ${resumeFrom?.commit ?? 0n}) in ${backoff} ms`,
        );
      } finally {
        signal.removeEventListener('abort', stop);
        await this.unsubscribe(subscription);
      }
      await sleep(backoff, signal);
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
  }

  async headPosition(): Promise<number> {
    return this.retrying('read the head of $all', async () => {
      for await (const resolved of this.client.readAll({
        fromPosition: END,
        direction: BACKWARDS,
        maxCount: 1,
        filter: excludeSystemEvents(),
        requiresLeader: true,
      })) {
        const position = resolved.event ? positionOf(resolved.event) : null;
        if (position !== null) return position;
      }
      return 0;
    });
  }

  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await Promise.all([...this.subscriptions].map((subscription) => this.unsubscribe(subscription)));
    await this.client.dispose();
  }

  /**
   * Where the given events already are in the stream, if they are there in this order: the answer
   * to a retried append. Null when the first is not there; `DuplicateEventIdError` when only some are.
   */
  private async placementOf(
    streamId: string,
    events: readonly EventToAppend[],
  ): Promise<AppendResult | null> {
    const stored = await this.readStream(streamId);
    const start = stored.findIndex((event) => event.id === events[0]!.id);
    if (start === -1) return null;
    for (let i = 0; i < events.length; i++) {
      if (stored[start + i]?.id !== events[i]!.id) throw new DuplicateEventIdError(events[i]!.id);
    }
    const last = stored[start + events.length - 1]!;
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  private async retrying<T>(what: string, operation: () => Promise<T>): Promise<T> {
    let backoff = this.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (error) {
        if (attempt >= this.attempts || !isTransientError(error) || this.closing.signal.aborted) throw error;
        this.logger.warn(`${what} failed (${(error as Error).message}); retrying in ${backoff} ms`);
        await sleep(backoff, this.closing.signal);
        backoff = Math.min(backoff * 2, this.maxBackoffMs);
      }
    }
  }

  private async unsubscribe(subscription: AllStreamSubscription): Promise<void> {
    if (!this.subscriptions.delete(subscription)) return;
    try {
      await subscription.unsubscribe();
    } catch {
      // already closed
    }
    // The client swallows the cancellation it causes, so end the iteration ourselves.
    subscription.destroy();
  }
}

/** A stream read's event position when the server gives the commit position beside the event. */
function commitPositionOf(resolved: ResolvedEvent): number | undefined {
  const commit = resolved.commitPosition;
  if (commit === undefined || commit <= 0n) return undefined;
  try {
    return encodePosition(commit);
  } catch {
    return undefined;
  }
}
