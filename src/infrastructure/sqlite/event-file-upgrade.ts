import Database from 'better-sqlite3';
import { existsSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENT_FILE_SCHEMA, eventFileLayout, hasEventLog } from './event-file-layout';
import { removeDatabase, syncFile } from './open-database';

export interface EventFileUpgrade {
  /** False when the file had the current layout already (nothing done). */
  readonly upgraded: boolean;
  readonly events: number;
  readonly streams: number;
  readonly seconds: number;
  /** Where the file as it was is kept, until the operator deletes it. */
  readonly kept: string | null;
}

/** Page cache of the copy, in KiB: the new index of (stream, revision) stays in memory while it grows. */
const COPY_CACHE_KIB = 256 * 1024;

/**
 * Copies an event file of the `stream-ids` layout into the current one (event-file-layout.ts), then
 * puts the copy in its place and keeps the original beside it (`<file>.before-upgrade`). Every event
 * keeps its position, id, stream, revision and bytes; streams are numbered in the order they began.
 * A unique index on event ids, in files made before it was left out, is not carried over.
 *
 * Only with the file to itself: it first takes the original out of WAL mode, which SQLite refuses
 * while any other connection has the file open (a running service, even idle), then holds an
 * exclusive lock on it until the copy is complete. A copy that fails or is cut short is deleted,
 * and the original stays as it was (in rollback-journal mode, which the store turns back to WAL when
 * it opens it).
 */
export function upgradeEventFile(file: string): EventFileUpgrade {
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const copy = `${file}.upgrading`;
  const kept = `${file}.before-upgrade`;
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  const db = new Database(file);
  let counts: { events: number; streams: number };
  try {
    if (!hasEventLog(db)) throw new Error(`${file} holds no event log`);
    if (eventFileLayout(db) === 'stream-keys') {
      return { upgraded: false, events: 0, streams: 0, seconds: seconds(), kept: null };
    }
    if (existsSync(kept)) throw new Error(`${kept} exists: move it away first (an earlier upgrade kept it)`);
    takeFileToItself(db, file);
    removeDatabase(copy);
    try {
      counts = copyIntoCurrentLayout(db, copy);
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      removeDatabase(copy);
      throw error;
    }
  } finally {
    db.close();
  }
  // The original holds every event in itself now (no write-ahead log beside it).
  if (existsSync(`${file}-wal`)) {
    removeDatabase(copy);
    throw new Error(`${file}-wal appeared during the upgrade: another process opened the file`);
  }
  syncFile(copy);
  renameSync(file, kept);
  renameSync(copy, file);
  syncFile(dirname(file));
  return { upgraded: true, ...counts, seconds: seconds(), kept };
}

/**
 * Leaving WAL mode checkpoints the whole log into the file and needs every other connection gone;
 * the exclusive lock then keeps others out (locking_mode EXCLUSIVE holds it to the end).
 */
function takeFileToItself(db: Database.Database, file: string): void {
  db.pragma('busy_timeout = 5000');
  let mode: unknown;
  try {
    mode = db.pragma('journal_mode = DELETE', { simple: true });
  } catch (error) {
    throw inUse(file, error);
  }
  if (mode !== 'delete') throw inUse(file);
  db.pragma('locking_mode = EXCLUSIVE');
}

function inUse(file: string, cause?: unknown): Error {
  return new Error(
    `${file} is in use by another connection: stop the service (and anything else using DATA_DIR) first` +
      (cause instanceof Error ? ` (${cause.message})` : ''),
  );
}

/**
 * In one transaction that holds the original exclusively (the copy is attached to its connection),
 * and leaves it open for the caller to end on failure; commits on success.
 */
function copyIntoCurrentLayout(db: Database.Database, copy: string): { events: number; streams: number } {
  // The copy's tables made on a connection of its own, then the copy attached to the original's.
  const fresh = new Database(copy);
  try {
    fresh.exec(EVENT_FILE_SCHEMA);
  } finally {
    fresh.close();
  }
  db.prepare('ATTACH DATABASE ? AS copy').run(copy);
  // The copy is thrown away if anything fails, so it need not be durable until it is complete (and
  // the rollback journal of a fresh file holds next to nothing: it is kept in memory).
  db.pragma('copy.journal_mode = MEMORY');
  db.pragma('copy.synchronous = OFF');
  db.pragma(`copy.cache_size = -${COPY_CACHE_KIB}`);
  db.exec('BEGIN EXCLUSIVE');
  db.exec(`
    INSERT INTO copy.streams (stream_id)
      SELECT stream_id FROM main.events GROUP BY stream_id ORDER BY MIN(position);
    INSERT INTO copy.events (position, id, stream_id, stream_key, revision, type, schema_version, data, metadata)
      SELECT e.position, e.id, e.stream_id, s.key, e.revision, e.type, e.schema_version, e.data, e.metadata
      FROM main.events e JOIN copy.streams s ON s.stream_id = e.stream_id ORDER BY e.position;
    UPDATE copy.sqlite_sequence SET seq = MAX(seq, COALESCE(
      (SELECT seq FROM main.sqlite_sequence WHERE name = 'events'), 0)) WHERE name = 'events';
  `);
  const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
  const copied = count('SELECT COUNT(*) FROM copy.events');
  const original = count('SELECT COUNT(*) FROM main.events');
  if (copied !== original) throw new Error(`copied ${copied} of ${original} events`);
  const streams = count('SELECT COUNT(*) FROM copy.streams');
  db.exec('COMMIT');
  const check = db.pragma('copy.quick_check', { simple: true });
  if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`);
  db.exec('DETACH DATABASE copy');
  return { events: copied, streams };
}
