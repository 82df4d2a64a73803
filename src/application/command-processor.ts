import { Inject, Injectable, Optional } from '@nestjs/common';
import type { CommandMetadata, Decider, Decision, DomainEvent } from '../domain/decider';
import { DomainError, conflict } from '../domain/errors';
import { derivedId, type CommandContext } from './command-context';
import { CLOCK, type Clock } from './ports/clock';
import { jsonCopy } from './json-copy';
import { WrittenStreams } from './written-streams';
import {
  EVENT_STORE,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type StoredEvent,
} from './ports/event-store';

export const SCHEMA_VERSION = 1;

/** A stream folded into its decider's state. */
export interface LoadedStream<S> {
  readonly streamId: string;
  readonly state: S;
  /** Revision of the last event, -1 when the stream does not exist. */
  readonly revision: number;
  readonly events: readonly StoredEvent[];
}

/** The answer to a write: the entity's revision after it and the global position reached. */
export interface StreamOutcome<E> {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  /** The events this command wrote to the stream (also on a retried command: the original ones). */
  readonly events: readonly E[];
  /** True when the command had already been applied: this answer is the earlier one, nothing was written. */
  readonly replayed?: boolean;
}

export interface ExecuteOptions<E, S> {
  /** Check the client's If-Match against this stream (only for the stream the client acted on). */
  readonly checkExpectedRevision?: boolean;
  /** Runs after a decision and before it is appended, e.g. to reserve a unique key. */
  readonly beforeAppend?: (events: readonly E[], state: S) => Promise<void>;
  /**
   * The stream is expected not to exist yet (its id is new: derived from this command's id, or the
   * key of a reservation): the command is decided on the empty stream without reading it, and
   * appended expecting no stream. Only if the stream exists after all (a taken key, a retried
   * command) is it read and the command decided again; a retry whose events are already stored is
   * answered from the store as the first time, but without `replayed`.
   */
  readonly expectNew?: boolean;
  /**
   * The command is built from the personal data in the stream's events, which remembered streams do
   * not keep (WrittenStreams): the stream is read.
   */
  readonly needsPersonalData?: boolean;
}

const MAX_ATTEMPTS = 5;

/**
 * How many streams the processor remembers folded (WrittenStreams). A service's 50 connections work
 * a few streams each; a bulk loader with thousands of entities in flight provides a larger number.
 */
export const STREAM_MEMORY = Symbol('StreamMemory');
const DEFAULT_STREAM_MEMORY = 500;
/**
 * How many streams in a final state (see Decider.isFinal) the processor keeps: the agencies and
 * training providers its commands check, whose streams never change once registered.
 */
const FINAL_STREAM_MEMORY = 1_000;

/**
 * The load → evolve → decide → append loop, written once for every aggregate.
 * Concurrency is optimistic: appends pass the revision that was read; a concurrent writer makes
 * the append fail, and the command is decided again on fresh state (unless the client pinned a
 * revision with If-Match, which then answers 409). The streams it wrote last are remembered folded
 * (WrittenStreams), so the next command on one of them starts without reading it; the append's
 * revision check still catches a remembered stream that is no longer the newest.
 */
@Injectable()
export class CommandProcessor {
  private readonly written: WrittenStreams;
  private readonly final = new WrittenStreams(FINAL_STREAM_MEMORY);

  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Optional() @Inject(STREAM_MEMORY) streamMemory?: number,
  ) {
    this.written = new WrittenStreams(streamMemory ?? DEFAULT_STREAM_MEMORY);
  }

  /**
   * The stream read and folded. A stream this process remembers (it wrote or read it last) is not
   * read again while its revision in the store is still the remembered one; one in a final state
   * (no event can follow) not even that. A remembered stream's events hold no personal data.
   */
  async load<E extends DomainEvent, S>(
    decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState' | 'isFinal'>,
    streamId: string,
  ): Promise<LoadedStream<S>> {
    const kept = this.final.get<S>(decider, streamId);
    if (kept) return kept;
    const remembered = this.written.get<S>(decider, streamId);
    if (remembered && (await this.eventStore.streamRevision(streamId)) === remembered.revision) {
      return remembered;
    }
    const stream = await this.read(decider, streamId);
    if (decider.isFinal?.(stream.state)) this.final.remember(decider, stream);
    else if (stream.revision >= 0) this.written.remember(decider, stream);
    return stream;
  }

  /** The stream as the store holds it now, folded. */
  private async read<E extends DomainEvent, S>(
    decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>,
    streamId: string,
  ): Promise<LoadedStream<S>> {
    const events = await this.eventStore.readStream(streamId);
    let state = decider.initialState;
    for (const event of events) state = decider.evolve(state, event as unknown as E);
    return {
      streamId,
      state,
      revision: events.length === 0 ? -1 : events[events.length - 1]!.revision,
      events,
    };
  }

  async execute<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    streamId: string,
    command: (state: S, metadata: CommandMetadata, stream: LoadedStream<S>) => C | Promise<C>,
    context: CommandContext,
    options: ExecuteOptions<E, S> = {},
  ): Promise<StreamOutcome<E>> {
    let mustRead = options.needsPersonalData === true;
    for (let attempt = 1; ; attempt++) {
      const remembered = mustRead ? undefined : this.written.get<S>(decider, streamId);
      const assumedNew = !mustRead && remembered === undefined && options.expectNew === true;
      const stream =
        remembered ?? (assumedNew ? newStream(decider, streamId) : await this.read(decider, streamId));
      // An answer given without appending is never given from memory, nor from the assumption that
      // the stream is new: decided again on a fresh read.
      const answerFresh = (): boolean => {
        if (remembered === undefined && !assumedNew) return false;
        this.written.forget(streamId);
        mustRead = true;
        return true;
      };
      const earlier = this.earlierOutcome<E>(stream, context.commandId);
      if (earlier) return earlier;
      if (
        options.checkExpectedRevision &&
        context.expectedRevision !== undefined &&
        context.expectedRevision !== stream.revision
      ) {
        if (answerFresh()) continue;
        throw staleRevision(streamId, context.expectedRevision, stream.revision);
      }
      const metadata: CommandMetadata = { actor: context.actor, now: this.clock.now().toISOString() };
      let decision: Decision<E>;
      try {
        decision = decider.decide(await command(stream.state, metadata, stream), stream.state);
      } catch (error) {
        if (answerFresh()) continue;
        throw error;
      }
      if (decision instanceof DomainError || decision.length === 0) {
        if (answerFresh()) continue;
        if (decision instanceof DomainError) throw decision;
        this.written.remember(decider, stream);
        const last = stream.events[stream.events.length - 1];
        return { streamId, revision: stream.revision, position: last?.position ?? 0, events: [] };
      }
      await options.beforeAppend?.(decision, stream.state);
      const appending = this.envelope(streamId, decision, context, metadata.now);
      try {
        const result = await this.eventStore.append(
          streamId,
          appending,
          stream.revision === -1 ? 'no_stream' : stream.revision,
        );
        this.rememberAppended(decider, stream, appending, result);
        return {
          streamId,
          revision: result.nextExpectedRevision,
          position: result.position,
          events: decision,
        };
      } catch (error) {
        this.written.forget(streamId);
        mustRead = true;
        if (!(error instanceof WrongExpectedRevisionError)) throw error;
        if (options.checkExpectedRevision && context.expectedRevision !== undefined) {
          throw staleRevision(streamId, context.expectedRevision, error.actual);
        }
        if (attempt >= MAX_ATTEMPTS) throw conflict(`${streamId} is changing too fast; try again`);
      }
    }
  }

  /**
   * The stream as a read would now return it, when that is known exactly: one event appended (its
   * position is the append's), stored as JSON (so kept as JSON gives it back).
   */
  private rememberAppended<E extends DomainEvent, S>(
    decider: Pick<Decider<unknown, E, S>, 'evolve' | 'initialState'>,
    stream: LoadedStream<S>,
    appended: readonly EventToAppend[],
    result: AppendResult,
  ): void {
    // Known exactly only for one event.
    if (appended.length !== 1) {
      this.written.forget(stream.streamId);
      return;
    }
    const event: StoredEvent = {
      ...jsonCopy(appended[0]!),
      streamId: stream.streamId,
      revision: result.nextExpectedRevision,
      position: result.position,
    };
    this.written.remember(decider, {
      streamId: stream.streamId,
      state: decider.evolve(stream.state, event as unknown as E),
      revision: result.nextExpectedRevision,
      events: [...stream.events, event],
    });
  }

  /** A retried command finds its own events already in the stream and answers as the first time. */
  private earlierOutcome<E>(stream: LoadedStream<unknown>, commandId: string): StreamOutcome<E> | null {
    const own = stream.events.filter((event) => event.metadata.commandId === commandId);
    if (own.length === 0) return null;
    const last = own[own.length - 1]!;
    return {
      streamId: stream.streamId,
      revision: last.revision,
      position: last.position,
      events: own.map((event) => ({ type: event.type, data: event.data }) as E),
      replayed: true,
    };
  }

  private envelope(
    streamId: string,
    events: readonly DomainEvent[],
    context: CommandContext,
    occurredAt: string,
  ): EventToAppend[] {
    return events.map((event, index) => ({
      id: derivedId('event', context.commandId, streamId, String(index)),
      type: event.type,
      schemaVersion: SCHEMA_VERSION,
      data: event.data as Readonly<Record<string, unknown>>,
      metadata: {
        occurredAt,
        actor: context.actor,
        commandId: context.commandId,
        correlationId: context.correlationId,
        causationId: context.commandId,
      },
    }));
  }
}

function newStream<S>(
  decider: Pick<Decider<unknown, DomainEvent, S>, 'initialState'>,
  streamId: string,
): LoadedStream<S> {
  return { streamId, state: decider.initialState, revision: -1, events: [] };
}

export function staleRevision(streamId: string, expected: number, actual: number): DomainError {
  return new DomainError(
    'conflict',
    `revision ${expected} is stale: ${streamId} is at revision ${actual}; reload and retry`,
    'If-Match',
    { currentRevision: actual, stale: true },
  );
}
