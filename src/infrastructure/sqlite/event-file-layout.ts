import type Database from 'better-sqlite3';

/**
 * How an event file finds a stream's events.
 *
 * - `stream-keys` (files made now): each stream has a number, given in the order streams begin
 *   (`streams.key`), and events are indexed by `(stream_key, revision)`. The streams that commands
 *   write to are mostly recent ones, so their events' index entries sit together at the index's end:
 *   a group of appends dirties a few pages of it instead of one random page per event.
 * - `stream-ids` (files made before): events are indexed by `(stream_id, revision)`, random ids.
 *   Still read and written as they are; `npm run upgrade-events` copies one into the new layout.
 */
export type EventFileLayout = 'stream-keys' | 'stream-ids';

/** Whether the file holds the log yet (a new or empty file does not). */
export function hasEventLog(db: Database.Database): boolean {
  return (
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'").get() !== undefined
  );
}

/** The layout of a file that holds the log (see hasEventLog). */
export function eventFileLayout(db: Database.Database): EventFileLayout {
  const keyed = db
    .prepare<[], number>("SELECT 1 FROM pragma_table_info('events') WHERE name = 'stream_key'")
    .pluck()
    .get();
  return keyed ? 'stream-keys' : 'stream-ids';
}

/**
 * The streams' index of ids (in EVENT_FILE_SCHEMA), which also keeps an id to one stream. A bulk load
 * drops it and builds it again at its end (see StreamDirectory); files made before it was named have
 * the same as `UNIQUE` on the column, and keep it.
 */
export const STREAM_ID_INDEX_NAME = 'streams_by_id';
export const STREAM_ID_INDEX = `CREATE UNIQUE INDEX IF NOT EXISTS ${STREAM_ID_INDEX_NAME} ON streams (stream_id)`;

/**
 * The tables of a new event file (the `stream-keys` layout). Streams are numbered in the order they
 * begin, and events indexed by that number: on the Shanghai log, a transaction of 20 commands' appends wrote 25 pages
 * to the write-ahead log in 1.3 ms, against 46 pages and 1.9 ms indexed by the streams' random ids.
 *
 * No index on the event id: a retried append is recognised within its stream (event-appender.ts),
 * as KurrentDB does. An index of random ids across the whole log cost every append a page of its
 * own in the write-ahead log (a transaction of 21 appends on the Shanghai log: 64 pages and 2.2–2.6
 * ms with it, 36 and 1.5 ms without). Files made with `UNIQUE` on the id keep it, and still refuse
 * an id reused in another stream.
 *
 * `stream_id` stays in each event's row: reading the log needs it, and never a join.
 */
export const EVENT_FILE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS streams (
    key       INTEGER PRIMARY KEY,
    stream_id TEXT    NOT NULL
  );
  CREATE TABLE IF NOT EXISTS events (
    position       INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT    NOT NULL,
    stream_id      TEXT    NOT NULL,
    stream_key     INTEGER NOT NULL,
    revision       INTEGER NOT NULL,
    type           TEXT    NOT NULL,
    schema_version INTEGER NOT NULL,
    data           TEXT    NOT NULL,
    metadata       TEXT    NOT NULL,
    UNIQUE (stream_key, revision)
  );
  ${STREAM_ID_INDEX}
`;

/**
 * Whether the streams can be found by id: false only in a file whose bulk load has not finished (it
 * was stopped, or is still under way).
 */
export function hasStreamIdIndex(db: Database.Database): boolean {
  const indexes = db
    .prepare<[], string>('SELECT name FROM pragma_index_list(\'streams\') WHERE "unique" = 1')
    .pluck()
    .all();
  return indexes.some((index) => {
    const columns = db.prepare<[string], string>('SELECT name FROM pragma_index_info(?)').pluck().all(index);
    return columns.length === 1 && columns[0] === 'stream_id';
  });
}

/** The WHERE condition that picks one stream's events, its stream id the one parameter. */
export function streamCondition(layout: EventFileLayout): string {
  return layout === 'stream-keys'
    ? 'stream_key = (SELECT key FROM streams WHERE stream_id = ?)'
    : 'stream_id = ?';
}
