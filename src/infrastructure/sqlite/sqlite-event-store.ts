import type Database from 'better-sqlite3';
import type { MessagePort } from 'node:worker_threads';
import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  StoredEvent,
  StreamAppend,
  SubscribeOptions,
} from '../../application/ports/event-store';
import { EventWriter } from './event-writer';
import {
  EVENT_FILE_SCHEMA,
  eventFileLayout,
  hasEventLog,
  hasStreamIdIndex,
  STREAM_ID_INDEX,
  STREAM_ID_INDEX_NAME,
  streamCondition,
} from './event-file-layout';
import { eventEncoder } from './event-writer-protocol';
import { decodeMetadata } from './stored-metadata';
import { openDatabase } from './open-database';
import { directoryLookup, StreamDirectory } from './stream-directory';

/** Events read per query while a subscription catches up. */
const SUBSCRIPTION_BATCH = 1000;
/**
 * Page cache of a read connection, in KiB (SQLite's default is 2 MiB). SQLite empties it whenever
 * another connection (the writer thread) has committed, so under writes a bigger one buys little: at
 * 16 MiB instead of 32 the command load ran as fast, with less memory (the service has two such
 * connections: the commands' and the projections').
 */
const CACHE_KIB = 16 * 1024;
/**
 * Page cache of the writer thread's connection, in KiB: mostly the index pages that the
 * expected-revision and duplicate-id checks and the inserts touch (separate memory from the read
 * connection's).
 */
const WRITER_CACHE_KIB = 32 * 1024;
/** How long a caught-up subscription waits before looking for writes made by another process. */
const POLL_INTERVAL_MS = 50;

const COLUMNS = 'position, id, stream_id, revision, type, schema_version, data, metadata';

/** A row of COLUMNS as an array (raw mode: no object made per row). */
type EventRow = [
  position: number,
  id: string,
  streamId: string,
  revision: number,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

/**
 * The rows of one query as events. The events of one append follow one another and carry the same
 * metadata text: they share one parsed object (the events are read-only), which spares a quarter of
 * the time reading and parsing the whole log takes.
 */
function toStoredEvents(rows: readonly EventRow[]): StoredEvent[] {
  let text: string | undefined;
  let metadata: StoredEvent['metadata'] | undefined;
  return rows.map(([position, id, streamId, revision, type, schemaVersion, data, metadataText]) => {
    if (metadataText !== text) {
      text = metadataText;
      metadata = decodeMetadata(metadataText);
    }
    return {
      id,
      type,
      schemaVersion,
      data: JSON.parse(data) as StoredEvent['data'],
      metadata: metadata!,
      streamId,
      revision,
      position,
    };
  });
}

/** What a store shares of its writer with a store on another thread (`shareWriter`). */
export interface SharedEventWriter {
  readonly port: MessagePort;
  /** In a bulk load: its streams by id (StreamDirectory's buffer), until the file's index is built. */
  readonly streamDirectory?: SharedArrayBuffer;
}

/**
 * The slots of a bulk load's StreamDirectory (24 MB): the Shanghai set has 855,492 streams, and the
 * directory closes at three-quarters full (~1.57 million streams), the file's index then built.
 */
const BULK_LOAD_DIRECTORY_SLOTS = 2 ** 21;

/**
 * A bulk load's StreamDirectory, holding the streams the file has, whose index of ids is dropped
 * until the load's end (see StreamDirectory); undefined, the index kept, for a file made before
 * streams were numbered or before the index was named, or one with more streams than the directory
 * takes. A file without the index is refused: another bulk load is under way (its streams are in its
 * own directory, not this one), or one stopped before its end (opening the file without `bulkLoad`
 * builds the index).
 */
function directoryForBulkLoad(db: Database.Database, slots: number): StreamDirectory | undefined {
  if (eventFileLayout(db) !== 'stream-keys') return undefined;
  return db
    .transaction(() => {
      const named = db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?")
        .get(STREAM_ID_INDEX_NAME);
      if (!named && hasStreamIdIndex(db)) return undefined;
      if (!named) {
        throw new Error(
          `${db.name} has no index of stream ids: another bulk load is under way, or one stopped before its end (open it without bulkLoad first)`,
        );
      }
      const directory = StreamDirectory.create(slots);
      const streams = db.prepare<[], [number, string]>('SELECT key, stream_id FROM streams').raw();
      for (const [key, streamId] of streams.iterate()) if (!directory.add(streamId, key)) return undefined;
      db.exec(`DROP INDEX ${STREAM_ID_INDEX_NAME}`);
      return directory;
    })
    .immediate();
}

export interface SqliteEventStoreOptions {
  /**
   * What another store of the same file shared (`shareWriter`): appends go through that store's
   * writer thread instead of one of this store's own.
   */
  readonly writer?: SharedEventWriter;
  /**
   * For a bulk load into a new file (the data generator), whose loss is made good by loading again:
   * - each commit is written to the log without waiting for the disk (synchronous=NORMAL): it
   *   survives a crash of the process, not of the machine;
   * - the log grows to 100,000 pages before a commit copies it into the file (SQLite's default is
   *   1,000; see event-writer.worker.ts);
   * - the streams' index of ids is dropped, and built again once at the end; meanwhile this store
   *   and those it shares its writer with find streams through a StreamDirectory (no other process
   *   may write the file meanwhile);
   * - closing copies the whole log into the file and syncs both, so the loaded file is durable.
   * Not for the service: there an answered append is on disk, and a commit that copies a long log
   * holds up every append behind it.
   */
  readonly bulkLoad?: boolean;
  /** The slots of a bulk load's StreamDirectory (tests make it small, to see it fill up). */
  readonly streamDirectorySlots?: number;
}

/**
 * Event store on one SQLite file, with its writes on a thread of their own. The main thread keeps a
 * connection for reads; appends go to a writer thread (EventWriter, event-writer.worker.ts) with its
 * own write connection, so the fsync of a commit (WAL, synchronous=FULL) no longer stops the event
 * loop. Group commit as before, across the threads: appends that arrive together (in the same turn of
 * the event loop) share one transaction and so one fsync; each append runs with its own
 * expected-revision check and is rolled back alone when it fails (GroupTransaction), so every append is still
 * all-or-nothing; appends in a group run in arrival order and see the ones before them. An append is
 * answered only once its group has committed, and a read on this thread started after that sees it
 * (WAL: every read begins at the newest completed commit). SQLite's write lock serialises the
 * writer's groups with other processes using the same file.
 */
export class SqliteEventStore implements EventStore {
  private readonly selectStream: Database.Statement<[string], EventRow>;
  private readonly selectAfter: Database.Statement<[number, number], EventRow>;
  private readonly selectTypesAfter: Database.Statement<[number, string, number], EventRow>;
  private readonly selectAt: Database.Statement<[string], EventRow>;
  private readonly selectHead: Database.Statement<[], number>;
  private readonly selectLastRevision: Database.Statement<[string], number | null>;

  /** Bumped after every commit in this process; lets a subscription notice appends it did not wait for. */
  private appendCount = 0;
  private readonly waiters = new Set<() => void>();
  private readonly appendListeners = new Set<() => void>();
  private appendsToTell = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  /** Bulk load only: streams are found by id through this until it closes (see StreamDirectory). */
  private readonly byKey: {
    readonly directory: StreamDirectory;
    readonly keyOf: (streamId: string) => number | undefined;
    readonly selectStream: Database.Statement<[number], EventRow>;
    readonly selectLastRevision: Database.Statement<[number], number | null>;
  } | null;

  private constructor(
    private readonly db: Database.Database,
    private readonly writer: EventWriter,
    directory: StreamDirectory | undefined,
    /** The loading store of a bulk load (not one it shares its writer with). */
    private readonly ownsDirectory: boolean,
  ) {
    this.byKey = directory
      ? {
          directory,
          keyOf: directoryLookup(db, directory),
          selectStream: db
            .prepare<[number], EventRow>(
              `SELECT ${COLUMNS} FROM events WHERE stream_key = ? ORDER BY revision`,
            )
            .raw(),
          selectLastRevision: db
            .prepare<[number], number | null>('SELECT MAX(revision) FROM events WHERE stream_key = ?')
            .pluck(),
        }
      : null;
    const stream = streamCondition(eventFileLayout(db));
    this.selectStream = db
      .prepare<[string], EventRow>(`SELECT ${COLUMNS} FROM events WHERE ${stream} ORDER BY revision`)
      .raw();
    this.selectAfter = db
      .prepare<[number, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw();
    // The types come as one JSON array: a single statement whatever their number, and SQLite builds
    // the set once per query, then skips the other rows without handing them to JavaScript.
    this.selectTypesAfter = db
      .prepare<[number, string, number], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position > ? AND type IN (SELECT value FROM json_each(?)) ` +
          'ORDER BY position LIMIT ?',
      )
      .raw();
    // Like the types, the positions come as one JSON array.
    this.selectAt = db
      .prepare<[string], EventRow>(
        `SELECT ${COLUMNS} FROM events WHERE position IN (SELECT value FROM json_each(?)) ORDER BY position`,
      )
      .raw();
    this.selectHead = db.prepare<[], number>('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
    // Answered from the (stream, revision) index alone.
    this.selectLastRevision = db
      .prepare<[string], number | null>(`SELECT MAX(revision) FROM events WHERE ${stream}`)
      .pluck();
  }

  static open(file: string, options: SqliteEventStoreOptions = {}): SqliteEventStore {
    const db = openDatabase(file);
    try {
      // Commands read the streams they decide on, mostly recent ones: keep those pages in memory.
      db.pragma(`cache_size = -${CACHE_KIB}`);
      // Here, before the writer thread prepares its statements on the tables. A file made before
      // streams were numbered keeps its layout. The write lock only for a file without the log yet
      // (looked at again under the lock: another process may be making it).
      if (!hasEventLog(db)) {
        db.transaction(() => {
          if (!hasEventLog(db)) db.exec(EVENT_FILE_SCHEMA);
        }).immediate();
      }
      const { writer: shared, bulkLoad } = options;
      let directory = shared?.streamDirectory && StreamDirectory.over(shared.streamDirectory);
      if (bulkLoad && !shared) {
        directory = directoryForBulkLoad(db, options.streamDirectorySlots ?? BULK_LOAD_DIRECTORY_SLOTS);
      } else if (!directory && eventFileLayout(db) === 'stream-keys' && !hasStreamIdIndex(db)) {
        // A bulk load that stopped before its end left the index unbuilt.
        db.transaction(() => db.exec(STREAM_ID_INDEX)).immediate();
      }
      const writer = shared
        ? EventWriter.overPort(shared.port)
        : EventWriter.start({
            file,
            cacheKib: WRITER_CACHE_KIB,
            bulkLoad,
            ...(directory ? { streamDirectory: directory.buffer } : {}),
          });
      return new SqliteEventStore(db, writer, directory, directory !== undefined && !shared);
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
    const [result] = await this.appendToStreams([{ streamId, events, expected }]);
    return result!;
  }

  /** The parts are one unit of the writer's group transaction: all are stored, or none. */
  async appendToStreams(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    if (appends.length === 0) throw new Error('append to no stream: no parts given');
    const streams = new Set<string>();
    for (const { streamId, events, expected } of appends) {
      if (events.length === 0) throw new Error(`append to ${streamId}: no events given`);
      if (typeof expected === 'number' && !(Number.isSafeInteger(expected) && expected >= 0)) {
        throw new Error(`append to ${streamId}: invalid expected revision ${expected}`);
      }
      if (streams.has(streamId)) throw new Error(`append to ${streamId}: the stream is given twice`);
      streams.add(streamId);
    }
    if (this.closed) throw new Error('SqliteEventStore is closed');
    const encode = eventEncoder();
    const appended = await this.writer.append(
      appends.map(({ streamId, events, expected }) => ({ streamId, events: events.map(encode), expected })),
    );
    if (appended.some((part) => part.written)) this.notifyAppended();
    return appended.map((part) => part.result);
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    const { byKey } = this;
    if (!byKey || byKey.directory.closed) return toStoredEvents(this.selectStream.all(streamId));
    const key = byKey.keyOf(streamId);
    return key === undefined ? [] : toStoredEvents(byKey.selectStream.all(key));
  }

  async streamRevision(streamId: string): Promise<number> {
    const { byKey } = this;
    if (!byKey || byKey.directory.closed) return this.selectLastRevision.get(streamId) ?? -1;
    const key = byKey.keyOf(streamId);
    return key === undefined ? -1 : (byKey.selectLastRevision.get(key) ?? -1);
  }

  async readAll(afterPosition: number, limit: number, options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { types } = options;
    if (types === undefined) return this.readAfter(afterPosition, limit);
    if (!(limit > 0) || types.size === 0) return [];
    return toStoredEvents(
      this.selectTypesAfter.all(afterPosition, JSON.stringify([...types]), Math.floor(limit)),
    );
  }

  async readAt(positions: readonly number[]): Promise<StoredEvent[]> {
    for (const position of positions) {
      if (!Number.isSafeInteger(position)) throw new RangeError(`not a position: ${String(position)}`);
    }
    if (positions.length === 0) return [];
    return toStoredEvents(this.selectAt.all(JSON.stringify(positions)));
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

  /**
   * A port for a store on another thread (`open(file, { writer })`) to append through this store's
   * writer thread, in the same transactions: the data generator's lanes share one writer. This store
   * must be closed after those that use the port.
   */
  shareWriter(): SharedEventWriter {
    const port = this.writer.share();
    const directory = this.byKey?.directory;
    return directory ? { port, streamDirectory: directory.buffer } : { port };
  }

  async headPosition(): Promise<number> {
    return this.selectHead.get() ?? 0;
  }

  onAppended(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * Another connection (a thread or process) has appended: subscriptions look at once, instead of at
   * their next poll.
   */
  noticeAppends(): void {
    this.notifyAppended();
  }

  /** Commits what is pending, ends the writer thread, then closes the read connection. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.wakeWaiters();
      this.closing = this.writer.close().finally(() => {
        try {
          this.finishBulkLoad();
        } finally {
          this.db.close();
        }
      });
    }
    return this.closing;
  }

  /**
   * The loading store of a bulk load, its writer thread ended: the index of stream ids, if the
   * writer has not built it (it never started, having had nothing to append, or it failed).
   */
  private finishBulkLoad(): void {
    if (!this.ownsDirectory || this.byKey!.directory.closed) return;
    this.db.transaction(() => this.db.exec(STREAM_ID_INDEX)).immediate();
    this.byKey!.directory.close();
  }

  private readAfter(afterPosition: number, limit: number): StoredEvent[] {
    if (!(limit > 0)) return [];
    return toStoredEvents(this.selectAfter.all(afterPosition, Math.floor(limit)));
  }

  private notifyAppended(): void {
    this.appendCount += 1;
    this.wakeWaiters();
    if (this.appendListeners.size === 0 || this.appendsToTell) return;
    // A group's appends settle one after another: their listeners are told once, after them all.
    this.appendsToTell = true;
    queueMicrotask(() => {
      this.appendsToTell = false;
      for (const listener of this.appendListeners) listener();
    });
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
