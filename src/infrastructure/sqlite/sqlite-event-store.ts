import type Database from 'better-sqlite3';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type StoredEvent,
  type SubscribeOptions,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';
import { GroupCommit } from './group-commit';
import { openDatabase } from './open-database';

/** Events read per query while a subscription catches up. */
const SUBSCRIPTION_BATCH = 1000;
/** Page cache of the connection, in KiB (SQLite's default is 2 MiB). */
const CACHE_KIB = 64 * 1024;
/** How long a caught-up subscription waits before looking for writes made by another process. */
const POLL_INTERVAL_MS = 50;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL UNIQUE,
    stream_id      TEXT    NOT NULL,
    revision       INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (stream_id, revision)
  )
`;

const COLUMNS = 'position, id, stream_id, revision, type, schema_version, data, metadata';

interface EventRow {
  readonly position: number;
  readonly id: string;
  readonly stream_id: string;
  readonly revision: number;
  readonly type: string;
  readonly schema_version: number;
  readonly data: string;
  readonly metadata: string;
}

interface PlacementRow {
  readonly stream_id: string;
  readonly revision: number;
  readonly position: number;
}

type InsertParams = [
  id: string,
  streamId: string,
  revision: number,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    schemaVersion: row.schema_version,
    data: JSON.parse(row.data) as StoredEvent['data'],
    metadata: JSON.parse(row.metadata) as StoredEvent['metadata'],
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/**
 * Event store on one SQLite file, with group commit: appends that arrive together (in the same turn
 * of the event loop) share one transaction and so one fsync (GroupCommit). Each append runs in its
 * own savepoint with its own expected-revision check and is rolled back alone when it fails, so
 * every append is still all-or-nothing, and it is answered only once the group is durable (WAL,
 * synchronous=FULL). Appends in a group run one after another in arrival order and see the ones
 * before them, so concurrency control is exactly as without grouping. SQLite's write lock
 * serialises this process's groups with other processes using the same file.
 */
export class SqliteEventStore implements EventStore {
  private readonly selectPlacement: Database.Statement<[string], PlacementRow>;
  private readonly selectLastRevision: Database.Statement<[string], number | null>;
  private readonly insertEvent: Database.Statement<InsertParams>;
  private readonly selectStream: Database.Statement<[string], EventRow>;
  private readonly selectAfter: Database.Statement<[number, number], EventRow>;
  private readonly selectHead: Database.Statement<[], number>;
  /** Appends that arrive together share one transaction (see the class comment). */
  private readonly group: GroupCommit;

  /** Bumped after every commit in this process; lets a subscription notice appends it did not wait for. */
  private appendCount = 0;
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(private readonly db: Database.Database) {
    // Commands read the streams they decide on, mostly recent ones: keep those pages in memory.
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.exec(SCHEMA);
    this.selectPlacement = db.prepare<[string], PlacementRow>(
      'SELECT stream_id, revision, position FROM events WHERE id = ?',
    );
    this.selectLastRevision = db
      .prepare<[string], number | null>('SELECT MAX(revision) FROM events WHERE stream_id = ?')
      .pluck();
    this.insertEvent = db.prepare<InsertParams>(
      `INSERT INTO events (id, stream_id, revision, type, schema_version, data, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.selectStream = db.prepare<[string], EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE stream_id = ? ORDER BY revision`,
    );
    this.selectAfter = db.prepare<[number, number], EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
    );
    this.selectHead = db.prepare<[], number>('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
    this.group = new GroupCommit(db);
  }

  static open(file: string): SqliteEventStore {
    const db = openDatabase(file);
    try {
      return new SqliteEventStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    if (events.length === 0) throw new Error(`append to ${streamId}: no events given`);
    if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
      throw new Error(`append to ${streamId}: invalid expected revision ${expected}`);
    }
    if (this.closed) throw new Error('SqliteEventStore is closed');
    const { result, written } = await this.group.run(() =>
      this.appendInTransaction(streamId, events, expected),
    );
    if (written) this.notifyAppended();
    return result;
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    return this.selectStream.all(streamId).map(toStoredEvent);
  }

  async readAll(afterPosition: number, limit: number): Promise<StoredEvent[]> {
    return this.readAfter(afterPosition, limit);
  }

  async *subscribeToAll(
    afterPosition: number,
    options: SubscribeOptions = {},
  ): AsyncGenerator<StoredEvent, void, undefined> {
    const { signal } = options;
    let last = afterPosition;
    while (!this.closed && !signal?.aborted) {
      // Taken before reading: an append committed after this point makes the wait return at once.
      const seen = this.appendCount;
      const batch = this.readAfter(last, SUBSCRIPTION_BATCH);
      for (const event of batch) {
        yield event;
        last = event.position;
        if (this.closed || signal?.aborted) return;
      }
      if (batch.length < SUBSCRIPTION_BATCH) await this.waitForAppend(seen, signal);
    }
  }

  async headPosition(): Promise<number> {
    return this.selectHead.get() ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.group.flush();
    this.closed = true;
    this.wakeWaiters();
    this.db.close();
  }

  private appendInTransaction(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): { result: AppendResult; written: boolean } {
    const retried = this.selectPlacement.get(events[0].id);
    if (retried) return { result: this.answerRetry(streamId, events, retried), written: false };

    const lastRevision = this.selectLastRevision.get(streamId) ?? -1;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && lastRevision === -1) ||
      (expected === 'stream_exists' && lastRevision >= 0) ||
      expected === lastRevision;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, lastRevision);

    let revision = lastRevision;
    let position = 0;
    for (const event of events) {
      revision += 1;
      try {
        const info = this.insertEvent.run(
          event.id,
          streamId,
          revision,
          event.type,
          event.schemaVersion,
          JSON.stringify(event.data),
          JSON.stringify(event.metadata),
        );
        position = Number(info.lastInsertRowid);
      } catch (error) {
        // (stream_id, revision) cannot clash inside this transaction, so this is the event id.
        if (isUniqueViolation(error)) throw new DuplicateEventIdError(event.id);
        throw error;
      }
    }
    return { result: { nextExpectedRevision: revision, position }, written: true };
  }

  /** The first id is stored: only an exact replay of stored events is accepted. */
  private answerRetry(streamId: string, events: readonly EventToAppend[], first: PlacementRow): AppendResult {
    let placement = first;
    for (let i = 0; i < events.length; i++) {
      if (i > 0) {
        const found = this.selectPlacement.get(events[i].id);
        if (!found) throw new DuplicateEventIdError(events[0].id);
        placement = found;
      }
      if (placement.stream_id !== streamId || placement.revision !== first.revision + i) {
        throw new DuplicateEventIdError(events[i].id);
      }
    }
    return { nextExpectedRevision: placement.revision, position: placement.position };
  }

  private readAfter(afterPosition: number, limit: number): StoredEvent[] {
    if (!(limit > 0)) return [];
    return this.selectAfter.all(afterPosition, Math.floor(limit)).map(toStoredEvent);
  }

  private notifyAppended(): void {
    this.appendCount += 1;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves on the next append in this process, after the poll interval, on abort or on close. */
  private waitForAppend(seen: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.appendCount !== seen || this.closed || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, POLL_INTERVAL_MS);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(done);
    });
  }
}
