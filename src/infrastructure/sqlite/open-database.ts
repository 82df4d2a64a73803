import Database from 'better-sqlite3';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Opens (creating if needed) one SQLite file in WAL mode with durable commits:
 * synchronous=FULL makes every committed transaction survive a crash or power loss.
 */
export function openDatabase(file: string): Database.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Deletes a SQLite file with its write-ahead log, shared-memory index and rollback journal, if any. */
export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
}

/**
 * Flushes what was written to a file to the disk, e.g. a file written without syncs before it replaces
 * another (fsync is per file: any descriptor of it will do).
 */
export function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
