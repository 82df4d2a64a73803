import {
  type AppendResult,
  DuplicateEventIdError,
  type EventToAppend,
  type ExpectedRevision,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';
import { errorCodec, type ToWriterThread, type UnitAnswer } from './writer-thread-protocol';
import { encodeMetadata } from './stored-metadata';

/**
 * What the event store's main thread (event-writer.ts) and its writer thread
 * (event-writer.worker.ts) exchange, beside the messages every writer thread uses
 * (writer-thread-protocol.ts).
 */

/** What the writer thread needs to open its connection. */
export interface WriterData {
  readonly file: string;
  /** Page cache of the write connection, in KiB. */
  readonly cacheKib: number;
  /** A bulk load: see SqliteEventStoreOptions. */
  readonly bulkLoad?: boolean;
  /** A bulk load: its streams by id (StreamDirectory's buffer), until the file's index is built. */
  readonly streamDirectory?: SharedArrayBuffer;
}

/** One event as it is stored: data and metadata are already JSON (encoded on the main thread). */
export type EncodedEvent = readonly [
  id: string,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

/**
 * Encodes events on the main thread, as the store always did (JSON.stringify there). The events of
 * one command share one metadata object: an encoder made for one append encodes it once.
 */
export function eventEncoder(): (event: EventToAppend) => EncodedEvent {
  let metadata: EventToAppend['metadata'] | undefined;
  let metadataJson = '';
  return (event) => {
    if (event.metadata !== metadata) {
      metadata = event.metadata;
      metadataJson = encodeMetadata(metadata);
    }
    return [event.id, event.type, event.schemaVersion, JSON.stringify(event.data), metadataJson];
  };
}

/** One stream's part of an append. */
export interface StreamAppendRequest {
  readonly streamId: string;
  readonly events: readonly EncodedEvent[];
  readonly expected: ExpectedRevision;
}

/** What the writer stores all or none, as one unit: one stream's append, or several together. */
export type AppendRequest = readonly StreamAppendRequest[];

/** A part's answer. */
export interface StreamAppended {
  readonly result: AppendResult;
  /** False for an idempotent retry, which stores nothing. */
  readonly written: boolean;
}

/** One answer per part of the request, in order. */
export type Appended = readonly StreamAppended[];

/** An append's answer from the writer thread. */
export type AppendOutcome = UnitAnswer<Appended>;

export type ToWriter = ToWriterThread<AppendRequest>;

/** The event store's own errors, which cross from the writer thread with their classes. */
export const EVENT_STORE_ERRORS = errorCodec({
  'wrong-expected-revision': {
    describe: (error) =>
      error instanceof WrongExpectedRevisionError
        ? [error.streamId, error.expected, error.actual]
        : undefined,
    rebuild: ([streamId, expected, actual]) =>
      new WrongExpectedRevisionError(streamId as string, expected as ExpectedRevision, actual as number),
  },
  'duplicate-event-id': {
    describe: (error) => (error instanceof DuplicateEventIdError ? [error.eventId] : undefined),
    rebuild: ([eventId]) => new DuplicateEventIdError(eventId as string),
  },
});
