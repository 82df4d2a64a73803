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
import { eventFileLayout, STREAM_ID_INDEX } from './event-file-layout';
import { GroupTransaction, type UnitOutcome } from './group-commit';
import { directoryLookup, type StreamDirectory } from './stream-directory';
import { type IdRow, type StreamRef, type StreamTail, StreamTails } from './stream-tails';

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
 * The streams whose tails the writer keeps (StreamTails). The data generator has ~4,000 streams in
 * flight (with 8,192, 16,384 or 1,000,000 kept, its only misses were streams not begun yet); a
 * command mostly follows a worker or a certificate through a few steps in a row.
 */
const KEPT_STREAMS = 8_192;

/**
 * A kept stream with more events than this keeps only its newest (its revision), and the ids of an
 * append to it are looked for by SQLite, as in a stream longer than TAIL: at ~140 bytes a row, the
 * tails stay under ~20 MB whatever the streams hold (a few MB when they hold a few events each).
 */
const KEPT_ROWS = 16;

/**
 * The event store's appends, on the write connection (in the writer thread, event-writer.worker.ts):
 * a group of appends is committed in one GroupTransaction, each append with its own expected-revision
 * check, rolled back alone when it fails. Appends run in the group's order and see the ones before
 * them, so concurrency control is exactly as without grouping. The streams it committed to lately are
 * kept (StreamTails), so that the next append to one reads nothing.
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
    /** While the directory is open (a bulk load). */
    readonly inDirectory?: (streamId: string) => number | undefined;
  } | null;
  /** The streams this transaction began, to add to the directory once it has committed. */
  private readonly begun: [streamId: string, key: number][] = [];
  private readonly selectTail: Database.Statement<[StreamRef], IdRow>;
  private readonly selectIds: Database.Statement<[StreamRef, string], IdRow>;
  /** Answers the event's position. */
  private readonly insertEvent: (...params: InsertParams) => number | bigint;
  private readonly transaction: GroupTransaction;
  private readonly tails: StreamTails;

  /**
   * The tables must exist (the store creates them before starting the writer). With a `directory`
   * (a bulk load: see StreamDirectory), streams are found by id through it until it closes, and the
   * file's index of stream ids is built then.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly directory?: StreamDirectory,
  ) {
    const keyed = eventFileLayout(db) === 'stream-keys';
    this.streams = keyed
      ? {
          select: db
            .prepare<[string], number | bigint>('SELECT key FROM streams WHERE stream_id = ?')
            .pluck(),
          insert: db.prepare<[string]>('INSERT INTO streams (stream_id) VALUES (?)'),
          ...(directory ? { inDirectory: directoryLookup(db, directory) } : {}),
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
    this.tails = new StreamTails(db, KEPT_STREAMS);
    this.transaction = new GroupTransaction(db, () => {
      this.tails.began();
      this.begun.length = 0;
    });
  }

  /**
   * Commits the group in one transaction and answers one outcome per append, in order: an append to
   * several streams is stored whole or not at all (its parts are one unit of the transaction).
   * Throws (and stores nothing) when the transaction itself fails.
   */
  appendGroup(requests: readonly AppendRequest[]): UnitOutcome<Appended>[] {
    try {
      const outcomes = this.transaction.run(requests.map((parts) => () => this.appendParts(parts)));
      this.tails.committed();
      this.addBegunToDirectory();
      return outcomes;
    } catch (error) {
      this.tails.failed();
      this.begun.length = 0;
      throw error;
    }
  }

  /** The end of a bulk load: the file's index of stream ids built, if the directory stood for it. */
  finishBulkLoad(): void {
    if (this.directory && !this.directory.closed) this.closeDirectory();
  }

  private addBegunToDirectory(): void {
    const { directory } = this;
    if (!directory || directory.closed) return;
    for (const [streamId, key] of this.begun) {
      if (!directory.add(streamId, key)) {
        this.closeDirectory();
        break;
      }
    }
    this.begun.length = 0;
  }

  /** Builds the index (its own transaction, between groups), then closes the directory. */
  private closeDirectory(): void {
    this.db.exec(STREAM_ID_INDEX);
    this.directory!.close();
  }

  /** One append, to one stream or several: what it kept of their tails is taken back if it fails. */
  private appendParts(parts: AppendRequest): Appended {
    const mark = this.tails.mark();
    const begun = this.begun.length;
    try {
      return parts.map((part) => this.append(part));
    } catch (error) {
      this.tails.undoTo(mark);
      this.begun.length = begun;
      throw error;
    }
  }

  private append({ streamId, events, expected }: StreamAppendRequest): StreamAppended {
    // Undefined: a stream not begun yet.
    const known = this.tails.get(streamId) ?? this.readTail(streamId);
    const tail = known?.rows ?? [];
    const lastRevision = tail.length > 0 ? tail[0]![1] : -1;
    const stored =
      known === undefined || known.complete
        ? tail
        : this.selectIds.all(known.ref, JSON.stringify(events.map(([id]) => id)));
    const retried = rowOf(stored, events[0][0]);
    if (retried) return { result: answerRetry(stored, events, retried), written: false };

    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && lastRevision === -1) ||
      (expected === 'stream_exists' && lastRevision >= 0) ||
      expected === lastRevision;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, lastRevision);
    const clash = storedOrRepeated(events, stored);
    if (clash !== null) throw new DuplicateEventIdError(clash);

    // Numbered here, inside the append's transaction: a failed append leaves no stream behind.
    const stream = known?.ref ?? this.numberStream(streamId);
    let revision = lastRevision;
    const positions: number[] = [];
    const written: IdRow[] = [];
    for (const [id, type, schemaVersion, data, metadata] of events) {
      revision += 1;
      try {
        const position = Number(
          this.insertEvent(id, streamId, stream, revision, type, schemaVersion, data, metadata),
        );
        positions.push(position);
        written.unshift([id, revision, position]);
      } catch (error) {
        // (stream, revision) cannot clash inside this transaction, so this is the event id: a file
        // made with a unique index on it, and the id stored in another stream.
        if (isUniqueViolation(error)) throw new DuplicateEventIdError(id);
        throw error;
      }
    }
    this.tails.set(streamId, keptTail(stream, [...written, ...tail], known?.complete ?? true));
    return {
      result: { nextExpectedRevision: revision, position: positions[positions.length - 1]!, positions },
      written: true,
    };
  }

  /** A new stream's number in a `stream-keys` file (its id in a `stream-ids` one). */
  private numberStream(streamId: string): StreamRef {
    if (!this.streams) return streamId;
    const key = this.streams.insert.run(streamId).lastInsertRowid;
    if (this.directory && !this.directory.closed) this.begun.push([streamId, Number(key)]);
    return key;
  }

  private streamKey(streamId: string): StreamRef | undefined {
    const { select, inDirectory } = this.streams!;
    return inDirectory && !this.directory!.closed ? inDirectory(streamId) : select.get(streamId);
  }

  /**
   * The stream's number and newest events, read from the file; undefined if it has none. Kept at once:
   * an append answered as a retry writes nothing, and the next one then need not read them again.
   */
  private readTail(streamId: string): StreamTail | undefined {
    // In a `stream-keys` file, one probe of the streams' index (or directory) first.
    const ref: StreamRef | undefined = this.streams ? this.streamKey(streamId) : streamId;
    if (ref === undefined) return undefined;
    const rows = this.selectTail.all(ref);
    if (rows.length === 0) return undefined;
    const complete = rows.length < TAIL;
    this.tails.set(streamId, keptTail(ref, rows, complete));
    return { ref, rows, complete };
  }
}

/** What is kept of a stream: all of its events up to KEPT_ROWS of them, else only the newest. */
function keptTail(ref: StreamRef, rows: readonly IdRow[], complete: boolean): StreamTail {
  return complete && rows.length <= KEPT_ROWS
    ? { ref, rows, complete }
    : { ref, rows: rows.slice(0, 1), complete: false };
}

/** The stored event with this id, among a stream's newest (at most TAIL: a scan beats a Map's upkeep). */
function rowOf(rows: readonly IdRow[], id: string): IdRow | undefined {
  for (const row of rows) if (row[0] === id) return row;
  return undefined;
}

/** The first id is stored in the stream: only an exact replay of stored events is accepted. */
function answerRetry(stored: readonly IdRow[], events: readonly EncodedEvent[], first: IdRow): AppendResult {
  let placement = first;
  const positions = [first[2]];
  for (let i = 1; i < events.length; i++) {
    const found = rowOf(stored, events[i][0]);
    if (!found) throw new DuplicateEventIdError(events[0][0]);
    if (found[1] !== first[1] + i) throw new DuplicateEventIdError(events[i][0]);
    placement = found;
    positions.push(found[2]);
  }
  return { nextExpectedRevision: placement[1], position: placement[2], positions };
}

/**
 * The first id of the append already in the stream, or carried twice by the append; else null. An
 * append carries a few events (a command's, to one stream), so pairs are compared.
 */
function storedOrRepeated(events: readonly EncodedEvent[], stored: readonly IdRow[]): string | null {
  for (let i = 0; i < events.length; i++) {
    const id = events[i][0];
    if (rowOf(stored, id)) return id;
    for (let j = 0; j < i; j++) if (events[j][0] === id) return id;
  }
  return null;
}
