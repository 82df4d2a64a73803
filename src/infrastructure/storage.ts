import { join } from 'node:path';
import type { EventStore } from '../application/ports/event-store';
import type { ReadStore } from '../application/ports/read-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { SqliteReadStore } from './sqlite/sqlite-read-store';

/** The embedded default: one SQLite file for events, one for read models, both in DATA_DIR. */
export function eventStoreFile(dataDir: string): string {
  return join(dataDir, 'events.db');
}

export function readStoreFile(dataDir: string): string {
  return join(dataDir, 'read.db');
}

export function openEventStore(dataDir: string): EventStore {
  return SqliteEventStore.open(eventStoreFile(dataDir));
}

export function openReadStore(dataDir: string, file = readStoreFile(dataDir)): ReadStore {
  return SqliteReadStore.open(file);
}
