import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventFileLayout, streamCondition } from '../src/infrastructure/sqlite/event-file-layout';
import { openDatabase } from '../src/infrastructure/sqlite/open-database';
import { now, ratePerSecond } from './measure';

/**
 * Raw baseline for durable commands: one-event transactions straight on better-sqlite3, with WAL
 * and synchronous=FULL, on the same disk, nothing else around them. The table is the event log's as
 * it was before streams were numbered (one index on stream id and revision), kept so the ratio means
 * the same across rounds: with the log's current tables, each of these one-event streams would also
 * write a row of the streams table.
 */
export function rawOneEventTransactions(seconds: number): { perSecond: number; count: number } {
  const dir = mkdtempSync(join(tmpdir(), 'hsc-bench-raw-'));
  const db = openDatabase(join(dir, 'raw.db'));
  try {
    db.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, stream_id TEXT NOT NULL,
      revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL, UNIQUE (stream_id, revision))`);
    const insert = db.prepare(
      'INSERT INTO events (id, stream_id, revision, type, schema_version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const metadata = {
      occurredAt: new Date().toISOString(),
      actor: { id: 'operator-1', role: 'agency_operator', agencyId: randomUUID() },
      commandId: randomUUID(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
    };
    const append = db.transaction((i: number) => {
      const data = { certificateId: randomUUID(), outcome: 'passed', index: i };
      insert.run(
        randomUUID(),
        `certificate-${i}`,
        0,
        'CompanyCheckPassed',
        1,
        JSON.stringify(data),
        JSON.stringify(metadata),
      );
    });
    return ratePerSecond(seconds, append);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Raw baseline for rebuilds: every event of the store read in order and its JSON parsed, nothing more. */
export function rawReadAndParse(eventsFile: string): { events: number; seconds: number; perSecond: number } {
  const db = new Database(eventsFile, { readonly: true });
  try {
    const started = now();
    let events = 0;
    const rows = db
      .prepare(
        'SELECT position, id, stream_id, revision, type, schema_version, data, metadata FROM events ORDER BY position',
      )
      .iterate() as IterableIterator<{ data: string; metadata: string }>;
    let sink = 0;
    for (const row of rows) {
      const data = JSON.parse(row.data) as object;
      const metadata = JSON.parse(row.metadata) as object;
      if (data && metadata) sink++;
      events++;
    }
    const seconds = (now() - started) / 1000;
    if (sink !== events) throw new Error('unreachable');
    return { events, seconds, perSecond: events / seconds };
  } finally {
    db.close();
  }
}

/** Raw baseline for a history replay: the stream's rows selected and parsed, no domain code. */
export function rawStreamReader(eventsFile: string): { read(streamId: string): number; close(): void } {
  const db = new Database(eventsFile, { readonly: true });
  // The same index as the store's own read of a stream, whichever layout the file has.
  const select = db.prepare(
    `SELECT position, id, stream_id, revision, type, schema_version, data, metadata FROM events WHERE ${streamCondition(eventFileLayout(db))} ORDER BY revision`,
  );
  return {
    read(streamId) {
      const rows = select.all(streamId) as { data: string; metadata: string }[];
      for (const row of rows) {
        JSON.parse(row.data);
        JSON.parse(row.metadata);
      }
      return rows.length;
    },
    close: () => db.close(),
  };
}
