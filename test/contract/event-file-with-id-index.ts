import Database from 'better-sqlite3';

/**
 * Makes an event file as files were made before streams were numbered: events indexed by
 * `(stream_id, revision)` (the `stream-ids` layout of event-file-layout.ts), and, with `idIndex`, as
 * they were made before that too, with a unique constraint on the event id.
 */
export function createStreamIdEventFile(file: string, { idIndex }: { idIndex: boolean }): void {
  const db = new Database(file);
  try {
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL${idIndex ? ' UNIQUE' : ''}, stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision))`);
  } finally {
    db.close();
  }
}

/** An event file with a unique index on the event id (see createStreamIdEventFile). */
export function createEventFileWithIdIndex(file: string): void {
  createStreamIdEventFile(file, { idIndex: true });
}
