import Database from 'better-sqlite3';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { EVENT_FILE_SCHEMA, eventFileLayout } from './event-file-layout';
import { openDatabase } from './open-database';

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
 * Nothing may write to the file meanwhile: the copy holds the file's write lock from start to end
 * (stop the service first; a writer waiting on the lock gives up after its busy timeout). A copy
 * that fails or is cut short is deleted, and the file stays as it was.
 */
export function upgradeEventFile(file: string): EventFileUpgrade {
  const started = process.hrtime.bigint();
  const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const copy = `${file}.upgrading`;
  const kept = `${file}.before-upgrade`;
  if (!existsSync(file)) throw new Error(`${file} does not exist`);
  if (existsSync(kept)) throw new Error(`${kept} exists: move it away first (an earlier upgrade kept it)`);
  {
    const source = openDatabase(file);
    try {
      if (eventFileLayout(source) === 'stream-keys') {
        return { upgraded: false, events: 0, streams: 0, seconds: seconds(), kept: null };
      }
    } finally {
      source.close();
    }
  }
  removeDatabase(copy);
  let counts: { events: number; streams: number };
  try {
    counts = copyIntoCurrentLayout(file, copy);
  } catch (error) {
    removeDatabase(copy);
    throw error;
  }
  // The original's last connection is closed, so its write-ahead log is in the file and gone.
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${file}${suffix}`)) rmSync(`${file}${suffix}`);
  }
  syncFile(copy);
  renameSync(file, kept);
  renameSync(copy, file);
  syncFile(dirname(file));
  return { upgraded: true, ...counts, seconds: seconds(), kept };
}

function copyIntoCurrentLayout(file: string, copy: string): { events: number; streams: number } {
  const db = new Database(copy);
  try {
    // The copy is thrown away if anything fails, so it need not be durable until it is complete (and
    // the rollback journal of a fresh file holds next to nothing: it is kept in memory).
    db.pragma('journal_mode = MEMORY');
    db.pragma('synchronous = OFF');
    db.pragma(`cache_size = -${COPY_CACHE_KIB}`);
    db.pragma('busy_timeout = 5000');
    db.exec(EVENT_FILE_SCHEMA);
    db.prepare('ATTACH DATABASE ? AS original').run(file);
    // IMMEDIATE takes the write lock of every attached file: nobody appends to the original meanwhile.
    const counts = db
      .transaction(() => {
        db.exec(`
        INSERT INTO streams (stream_id)
          SELECT stream_id FROM original.events GROUP BY stream_id ORDER BY MIN(position);
        INSERT INTO events (position, id, stream_id, stream_key, revision, type, schema_version, data, metadata)
          SELECT e.position, e.id, e.stream_id, s.key, e.revision, e.type, e.schema_version, e.data, e.metadata
          FROM original.events e JOIN streams s ON s.stream_id = e.stream_id ORDER BY e.position;
        UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE(
          (SELECT seq FROM original.sqlite_sequence WHERE name = 'events'), 0)) WHERE name = 'events';
      `);
        const count = (sql: string): number => db.prepare(sql).pluck().get() as number;
        const copied = count('SELECT COUNT(*) FROM events');
        const original = count('SELECT COUNT(*) FROM original.events');
        if (copied !== original) throw new Error(`copied ${copied} of ${original} events`);
        return { events: copied, streams: count('SELECT COUNT(*) FROM streams') };
      })
      .immediate();
    db.exec('DETACH DATABASE original');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`);
    db.pragma('journal_mode = WAL');
    return counts;
  } finally {
    db.close();
  }
}

/** On disk before it replaces the original (it was written without syncs). */
function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}
