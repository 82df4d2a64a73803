import type Database from 'better-sqlite3';
import {
  type AppendResult,
  DuplicateEventIdError,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';
import type {
  AppendRequest,
  Appended,
  EncodedEvent,
  StreamAppendRequest,
  StreamAppended,
} from './event-writer-protocol';
import { eventFileLayout } from './event-file-layout';
import { GroupTransaction, type UnitOutcome } from './group-commit';

interface PlacementRow {
  readonly revision: number;
  readonly position: number;
}

type InsertParams = [
  id: string,
  streamId: string,
  /** The stream's number in a `stream-keys` file; its id again in a `stream-ids` one. */
  stream: StreamRef,
  revision: number,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

type LegacyInsertParams = [string, string, number, string, number, string, string];

/** How a file's index finds a stream: its number (`stream-keys`), or its id (`stream-ids`). */
type StreamRef = number | bigint | string;

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/**
 * How many of a stream's newest events an append reads whole; in a longer stream (a certificate's
 * ratings) only the append's own ids are looked for, by SQLite itself, so the rows no longer all
 * come back to JavaScript (SQLite still visits them: there is no index of ids within a stream).
 */
const TAIL = 64;

/**
 * The event store's appends, on the write connection (in the writer thread, event-writer.worker.ts):
 * a group of appends is committed in one GroupTransaction, each append in its own savepoint with its
 * own expected-revision check, rolled back alone when it fails. Appends run in the group's order and
 * see the ones before them, so concurrency control is exactly as without grouping.
 *
 * A retried append is recognised within its stream (its first event's id already there), as
 * KurrentDB does: event ids derive from the command and the stream, so a retry always comes back to
 * the same stream. The file keeps no index of event ids across streams (see EVENT_FILE_SCHEMA in
 * event-file-layout.ts); a file made with one still refuses an id reused in another stream.
 */
export class EventAppender {
  /** Null in a `stream-ids` file, where a stream is found by its id. */
  private readonly streams: {
    readonly select: Database.Statement<[string], number | bigint>;
    readonly insert: Database.Statement<[string]>;
  } | null;
  private readonly selectTail: Database.Statement<[StreamRef], IdRow>;
  private readonly selectIds: Database.Statement<[StreamRef, string], IdRow>;
  /** Answers the event's position. */
  private readonly insertEvent: (...params: InsertParams) => number | bigint;
  private readonly transaction: GroupTransaction;

  /** The tables must exist (the store creates them before starting the writer). */
  constructor(db: Database.Database) {
    const keyed = eventFileLayout(db) === 'stream-keys';
    this.streams = keyed
      ? {
          select: db
            .prepare<[string], number | bigint>('SELECT key FROM streams WHERE stream_id = ?')
            .pluck(),
          insert: db.prepare<[string]>('INSERT INTO streams (stream_id) VALUES (?)'),
        }
      : null;
    const stream = keyed ? 'stream_key' : 'stream_id';
    // Through the (stream, revision) index, newest first: most streams hold a few events, all read
    // at once, and the first row gives the revision.
    this.selectTail = db
      .prepare<[StreamRef], IdRow>(
        `SELECT id, revision, position FROM events WHERE ${stream} = ? ORDER BY revision DESC LIMIT ${TAIL}`,
      )
      .raw();
    // A longer stream: only the append's own ids are looked for, by SQLite, not row by row in here.
    this.selectIds = db
      .prepare<[StreamRef, string], IdRow>(
        'SELECT id, revision, position FROM events ' +
          `WHERE ${stream} = ? AND id IN (SELECT value FROM json_each(?))`,
      )
      .raw();
    if (keyed) {
      const insert = db.prepare<InsertParams>(
        `INSERT INTO events (id, stream_id, stream_key, revision, type, schema_version, data, metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.insertEvent = (...params) => insert.run(...params).lastInsertRowid;
    } else {
      const insert = db.prepare<LegacyInsertParams>(
        `INSERT INTO events (id, stream_id, revision, type, schema_version, data, metadata)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      );
      this.insertEvent = (id, streamId, _stream, ...rest) =>
        insert.run(id, streamId, ...rest).lastInsertRowid;
    }
    this.transaction = new GroupTransaction(db);
  }

  /**
   * Commits the group in one transaction and answers one outcome per append, in order: an append to
   * several streams is stored whole or not at all (its parts share the savepoint). Throws (and stores
   * nothing) when the transaction itself fails.
   */
  appendGroup(requests: readonly AppendRequest[]): UnitOutcome<Appended>[] {
    return this.transaction.run(requests.map((parts) => () => parts.map((part) => this.append(part))));
  }

  private append({ streamId, events, expected }: StreamAppendRequest): StreamAppended {
    // Undefined: a stream not begun yet (in a `stream-keys` file, one probe of the streams' index).
    const ref: StreamRef | undefined = this.streams ? this.streams.select.get(streamId) : streamId;
    const tail = ref === undefined ? [] : this.selectTail.all(ref);
    const lastRevision = tail.length > 0 ? tail[0]![1] : -1;
    const stored = placements(
      tail.length < TAIL ? tail : this.selectIds.all(ref!, JSON.stringify(events.map(([id]) => id))),
    );
    const retried = stored.get(events[0][0]);
    if (retried) return { result: answerRetry(stored, events, retried), written: false };

    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && lastRevision === -1) ||
      (expected === 'stream_exists' && lastRevision >= 0) ||
      expected === lastRevision;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, lastRevision);
    const clash = storedOrRepeated(events, stored);
    if (clash !== null) throw new DuplicateEventIdError(clash);

    // Numbered here, inside the append's savepoint: a failed append leaves no stream behind.
    const stream = ref ?? this.streams!.insert.run(streamId).lastInsertRowid;
    let revision = lastRevision;
    const positions: number[] = [];
    for (const [id, type, schemaVersion, data, metadata] of events) {
      revision += 1;
      try {
        positions.push(
          Number(this.insertEvent(id, streamId, stream, revision, type, schemaVersion, data, metadata)),
        );
      } catch (error) {
        // (stream, revision) cannot clash inside this transaction, so this is the event id: a file
        // made with a unique index on it, and the id stored in another stream.
        if (isUniqueViolation(error)) throw new DuplicateEventIdError(id);
        throw error;
      }
    }
    return {
      result: { nextExpectedRevision: revision, position: positions[positions.length - 1]!, positions },
      written: true,
    };
  }
}

type IdRow = [id: string, revision: number, position: number];

function placements(rows: readonly IdRow[]): Map<string, PlacementRow> {
  return new Map(rows.map(([id, revision, position]) => [id, { revision, position }]));
}

/** The first id is stored in the stream: only an exact replay of stored events is accepted. */
function answerRetry(
  stored: ReadonlyMap<string, PlacementRow>,
  events: readonly EncodedEvent[],
  first: PlacementRow,
): AppendResult {
  let placement = first;
  const positions = [first.position];
  for (let i = 1; i < events.length; i++) {
    const found = stored.get(events[i][0]);
    if (!found) throw new DuplicateEventIdError(events[0][0]);
    if (found.revision !== first.revision + i) throw new DuplicateEventIdError(events[i][0]);
    placement = found;
    positions.push(found.position);
  }
  return { nextExpectedRevision: placement.revision, position: placement.position, positions };
}

/** The first id of the append already in the stream, or carried twice by the append; else null. */
function storedOrRepeated(
  events: readonly EncodedEvent[],
  stored: ReadonlyMap<string, unknown>,
): string | null {
  const seen = new Set<string>();
  for (const [id] of events) {
    if (stored.has(id) || seen.has(id)) return id;
    seen.add(id);
  }
  return null;
}
