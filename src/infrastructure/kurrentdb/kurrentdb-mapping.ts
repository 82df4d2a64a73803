import {
  ANY,
  ErrorType,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  jsonEvent,
  type AppendStreamState,
  type EventData,
  type JSONType,
  type Position,
  type RecordedEvent,
  type WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import {
  type EventMetadata,
  type EventToAppend,
  type ExpectedRevision,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';

/**
 * Pure translations between this service's event envelope and KurrentDB's records, positions,
 * expected states and errors. Kept apart from the adapter so they are tested without a server.
 */

/**
 * The port's positions are JS numbers; KurrentDB's are 64-bit commit positions (byte offsets in the
 * transaction log). Numbers are exact up to 2^53 - 1, i.e. a log of 9 PB; past that we refuse loudly.
 */
export const MAX_ENCODABLE_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

/** What servers send for "no position" (for example on stream reads before server 22.6). */
const UNKNOWN_POSITION = (1n << 63n) - 1n;

/**
 * Keys this adapter adds to the stored metadata: the schema version, and the correlation and
 * causation ids under the names KurrentDB's `$by_correlation_id` projection reads.
 */
export const RESERVED_METADATA_KEYS = ['schemaVersion', '$correlationId', '$causationId'] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A stored event's commit position as a port position (≥ 1). */
export function encodePosition(commit: bigint): number {
  if (commit <= 0n || commit > MAX_ENCODABLE_POSITION) {
    throw new RangeError(
      `KurrentDB commit position ${commit} is outside 1..${MAX_ENCODABLE_POSITION}, the range kept exact in a number`,
    );
  }
  return Number(commit);
}

/**
 * The place to read or subscribe from, given a port position: 0 is the start of the log, any other
 * number is an event's position. For events appended without explicit transactions (all of ours),
 * commit and prepare positions are the same number.
 */
export function decodePosition(position: number): Position | typeof START {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(`position must be a non-negative whole number, got ${String(position)}`);
  }
  if (position === 0) return START;
  const value = BigInt(position);
  return { commit: value, prepare: value };
}

/** The event's position, or null when the server did not give one. */
export function positionOf(record: { position?: Position }): number | null {
  const commit = record.position?.commit;
  if (commit === undefined || commit < 0n || commit >= UNKNOWN_POSITION) return null;
  return encodePosition(commit);
}

/** Later of two log positions, compared as KurrentDB does: commit, then prepare. */
export function laterPosition(a: Position | null, b: Position | null): Position | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a.commit !== b.commit) return a.commit > b.commit ? a : b;
  return a.prepare >= b.prepare ? a : b;
}

export function toStreamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default:
      if (!Number.isSafeInteger(expected) || expected < 0) {
        throw new Error(`invalid expected revision ${String(expected)}`);
      }
      return BigInt(expected);
  }
}

/** The revision a fresh (not deduplicated) append of `count` events must end at, when known. */
export function freshAppendRevision(expected: ExpectedRevision, count: number): number | null {
  if (expected === 'no_stream') return count - 1;
  if (typeof expected === 'number') return expected + count;
  return null;
}

export function toRevision(revision: bigint): number {
  if (revision < 0n || revision > MAX_ENCODABLE_POSITION) {
    throw new RangeError(`stream revision ${revision} is outside the range kept exact in a number`);
  }
  return Number(revision);
}

/** Our envelope as a KurrentDB JSON event; the event id is passed through for server-side dedup. */
export function toEventData(event: EventToAppend): EventData {
  if (typeof event.id !== 'string' || !UUID.test(event.id)) {
    throw new Error(`event id ${JSON.stringify(event.id)} is not a UUID, which KurrentDB requires`);
  }
  for (const key of RESERVED_METADATA_KEYS) {
    if (Object.prototype.hasOwnProperty.call(event.metadata, key)) {
      throw new Error(`event ${event.id}: metadata key ${key} is reserved by the KurrentDB adapter`);
    }
  }
  return jsonEvent({
    id: event.id,
    type: event.type,
    data: event.data as JSONType,
    metadata: {
      ...event.metadata,
      schemaVersion: event.schemaVersion,
      $correlationId: event.metadata.correlationId,
      $causationId: event.metadata.causationId,
    },
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** True for events this service wrote: JSON data and metadata carrying our envelope. */
export function isOurEvent(record: RecordedEvent): boolean {
  return (
    record.isJson &&
    isPlainObject(record.data) &&
    isPlainObject(record.metadata) &&
    typeof record.metadata.schemaVersion === 'number'
  );
}

/**
 * A KurrentDB record back as our stored event, exactly as it was appended. `position` falls back to
 * `knownPosition`, then 0, when the server gives none (stream reads on servers before 22.6).
 */
export function fromRecordedEvent(record: RecordedEvent, knownPosition?: number): StoredEvent {
  if (!isOurEvent(record)) {
    throw new Error(`event ${record.id} in ${record.streamId} was not written by this service (no envelope)`);
  }
  const {
    schemaVersion,
    $correlationId: _correlation,
    $causationId: _causation,
    ...metadata
  } = record.metadata as Record<string, unknown>;
  return {
    id: record.id,
    type: record.type,
    schemaVersion: schemaVersion as number,
    data: record.data as StoredEvent['data'],
    metadata: metadata as unknown as EventMetadata,
    streamId: record.streamId,
    revision: toRevision(record.revision),
    position: positionOf(record) ?? knownPosition ?? 0,
  };
}

/** The same conflict the SQLite adapter raises, with the stream's actual revision (-1: no stream). */
export function toWrongExpectedRevision(
  streamId: string,
  expected: ExpectedRevision,
  error: Pick<WrongExpectedVersionError, 'actualState'>,
): WrongExpectedRevisionError {
  const actual = typeof error.actualState === 'bigint' ? toRevision(error.actualState) : -1;
  return new WrongExpectedRevisionError(streamId, expected, actual);
}

const TRANSIENT_TYPES: ReadonlySet<string> = new Set([
  ErrorType.CANCELLED,
  ErrorType.UNAVAILABLE,
  ErrorType.DEADLINE_EXCEEDED,
  ErrorType.TIMEOUT,
  ErrorType.NOT_LEADER,
]);
/** gRPC status codes: CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE. */
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([1, 4, 14]);

/**
 * Errors after which reading or subscribing again can succeed: the connection was cancelled or
 * dropped, the node is unavailable or no longer leader (an election), or a deadline passed.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { type, code } = error as { type?: unknown; code?: unknown };
  if (typeof type === 'string' && TRANSIENT_TYPES.has(type)) return true;
  return typeof code === 'number' && TRANSIENT_GRPC_CODES.has(code);
}

export function isWrongExpectedVersion(error: unknown): error is WrongExpectedVersionError {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { type?: unknown }).type === ErrorType.WRONG_EXPECTED_VERSION
  );
}

export function isStreamNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { type?: unknown }).type === ErrorType.STREAM_NOT_FOUND
  );
}
