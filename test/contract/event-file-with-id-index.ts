import Database from 'better-sqlite3';

/**
 * Makes an event file as files were made before the event log left out its index of event ids (a
 * unique constraint on `id`), for the tests of how the store treats such files.
 */
export function createEventFileWithIdIndex(file: string): void {
  const db = new Database(file);
  try {
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision))`);
  } finally {
    db.close();
  }
}
