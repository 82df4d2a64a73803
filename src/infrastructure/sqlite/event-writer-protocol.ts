import Database from 'better-sqlite3';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventToAppend,
  type ExpectedRevision,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';

/**
 * What the event store's main thread (event-writer.ts) and its writer thread
 * (event-writer.worker.ts) say to each other. Only plain data crosses: errors go as descriptions and
 * are rebuilt with their classes on the main thread.
 */

/** What the writer thread needs to open its connection. */
export interface WriterData {
  readonly file: string;
  /** Page cache of the write connection, in KiB. */
  readonly cacheKib: number;
}

/** One event as it is stored: data and metadata are already JSON (encoded on the main thread). */
export type EncodedEvent = readonly [
  id: string,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

/** Encoded on the main thread, as the store always did: JSON.stringify there, exactly as before. */
export function encodeEvent(event: EventToAppend): EncodedEvent {
  return [
    event.id,
    event.type,
    event.schemaVersion,
    JSON.stringify(event.data),
    JSON.stringify(event.metadata),
  ];
}

export interface AppendRequest {
  readonly streamId: string;
  readonly events: readonly EncodedEvent[];
  readonly expected: ExpectedRevision;
}

export interface Appended {
  readonly result: AppendResult;
  /** False for an idempotent retry, which stores nothing. */
  readonly written: boolean;
}

export type ToWriter =
  /** Appends that arrived together: one transaction, one savepoint each, in this order. */
  | { readonly type: 'group'; readonly appends: readonly AppendRequest[] }
  /** Close the connection and answer 'closed'; nothing follows. */
  | { readonly type: 'close' };

export type AppendOutcome =
  | { readonly ok: true; readonly appended: Appended }
  | { readonly ok: false; readonly error: ErrorDescription };

export type FromWriter =
  /** The write connection is open: from now on a thread that dies may have committed a group. */
  | { readonly type: 'ready' }
  /** The group's transaction committed; one outcome per append, in the group's order. */
  | { readonly type: 'committed'; readonly outcomes: readonly AppendOutcome[] }
  /** The group's transaction failed and was rolled back: nothing of the group is stored. */
  | { readonly type: 'failed'; readonly error: ErrorDescription }
  | { readonly type: 'closed' };

export type ErrorDescription =
  | {
      readonly kind: 'wrong-expected-revision';
      readonly streamId: string;
      readonly expected: ExpectedRevision;
      readonly actual: number;
    }
  | { readonly kind: 'duplicate-event-id'; readonly eventId: string }
  | {
      readonly kind: 'sqlite' | 'other';
      readonly name: string;
      readonly message: string;
      readonly code?: string;
      readonly stack?: string;
    };

/** On the writer thread: an error as plain data. */
export function describeError(error: unknown): ErrorDescription {
  if (error instanceof WrongExpectedRevisionError) {
    const { streamId, expected, actual } = error;
    return { kind: 'wrong-expected-revision', streamId, expected, actual };
  }
  if (error instanceof DuplicateEventIdError) return { kind: 'duplicate-event-id', eventId: error.eventId };
  if (!(error instanceof Error)) return { kind: 'other', name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return {
    kind: error instanceof Database.SqliteError ? 'sqlite' : 'other',
    name: error.name,
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
  };
}

/** On the main thread: the error again, with its class (and for SQLite errors their code). */
export function rebuildError(description: ErrorDescription): Error {
  switch (description.kind) {
    case 'wrong-expected-revision':
      return new WrongExpectedRevisionError(description.streamId, description.expected, description.actual);
    case 'duplicate-event-id':
      return new DuplicateEventIdError(description.eventId);
    case 'sqlite':
    case 'other': {
      const error =
        description.kind === 'sqlite'
          ? new Database.SqliteError(description.message, description.code ?? 'SQLITE_ERROR')
          : Object.assign(new Error(description.message), description.code ? { code: description.code } : {});
      error.name = description.name;
      // Where it happened: on the writer thread.
      if (description.stack !== undefined) error.stack = description.stack;
      return error;
    }
  }
}
