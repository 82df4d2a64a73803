import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '../application/ports/event-store';
import type { LeaseStore } from '../application/ports/lease-store';
import type { ReadStore } from '../application/ports/read-store';
import type { AppConfig } from './config/config';
import { eventFileLayout, hasEventLog } from './sqlite/event-file-layout';
import { type SharedEventWriter, SqliteEventStore } from './sqlite/sqlite-event-store';
import { SqliteReadStore } from './sqlite/sqlite-read-store';
import { WalCheckpointer } from './sqlite/wal-checkpointer';

/** The embedded default: one SQLite file for events, one for read models, both in DATA_DIR. */
export function eventStoreFile(dataDir: string): string {
  return join(dataDir, 'events.db');
}

export function readStoreFile(dataDir: string): string {
  return join(dataDir, 'read.db');
}

/** With `writer`, appends go through another store's writer thread (SqliteEventStore.shareWriter). */
export function openEventStore(dataDir: string, options: { writer?: SharedEventWriter } = {}): EventStore {
  return SqliteEventStore.open(eventStoreFile(dataDir), options);
}

export function openReadStore(dataDir: string, file = readStoreFile(dataDir)): ReadStore {
  return SqliteReadStore.open(file);
}

/**
 * The event store the configuration chooses (EVENT_STORE). The production backends are loaded only
 * when chosen, so the embedded default never loads their drivers.
 */
export async function openConfiguredEventStore(
  config: Pick<AppConfig, 'eventStore' | 'kurrentdbUrl' | 'dataDir'>,
  options: { writer?: SharedEventWriter } = {},
): Promise<EventStore> {
  if (config.eventStore === 'kurrentdb') {
    const { KurrentDbEventStore } = await import('./kurrentdb/kurrentdb-event-store');
    return KurrentDbEventStore.connect(requireUrl(config.kurrentdbUrl, 'KURRENTDB_URL'));
  }
  return openEventStore(config.dataDir, options);
}

/**
 * Page cache of the projections' connection to the read-model file, in KiB. It writes the documents
 * of recent entities, and SQLite empties it whenever another connection commits: with 16 MiB instead
 * of 64 the command load ran as fast (3,387–3,437 against 3,378–3,412 /s), and the service's peak
 * memory under the benchmark fell by ~50 MB.
 */
const PROJECTIONS_CACHE_KIB = 16 * 1024;

/**
 * The read store the configuration chooses (READ_STORE); it also keeps the projection leases. For
 * `projections`, the connection the projections write on (projections-thread.worker.ts).
 */
export async function openConfiguredReadStore(
  config: Pick<AppConfig, 'readStore' | 'mongodbUrl' | 'dataDir'>,
  use: 'queries' | 'projections' = 'queries',
): Promise<ReadStore & LeaseStore> {
  if (config.readStore === 'mongodb') {
    const { MongoReadStore } = await import('./mongodb/mongo-read-store');
    return MongoReadStore.connect(requireUrl(config.mongodbUrl, 'MONGODB_URL'));
  }
  // The service's projections commit on a thread of their own (projections-thread.ts), on this
  // connection: its event loop serves no requests.
  return SqliteReadStore.open(
    readStoreFile(config.dataDir),
    use === 'projections' ? { cacheKib: PROJECTIONS_CACHE_KIB } : {},
  );
}

/** Checkpoints the logs of the embedded files the configuration writes (null: it writes none). */
export function startWalCheckpointer(
  config: Pick<AppConfig, 'eventStore' | 'readStore' | 'dataDir' | 'backgroundNice'>,
): WalCheckpointer | null {
  const files = [
    ...(config.eventStore === 'sqlite' ? [eventStoreFile(config.dataDir)] : []),
    ...(config.readStore === 'sqlite' ? [readStoreFile(config.dataDir)] : []),
  ];
  return files.length === 0 ? null : WalCheckpointer.start(files, { nice: config.backgroundNice });
}

/** One line saying where events and read models live, for the start-up log. */
export function describeStorage(
  config: Pick<AppConfig, 'eventStore' | 'readStore' | 'dataDir' | 'projections'>,
): string {
  const events =
    config.eventStore === 'kurrentdb' ? 'KurrentDB' : `SQLite (${eventStoreFile(config.dataDir)})`;
  const reads = config.readStore === 'mongodb' ? 'MongoDB' : `SQLite (${readStoreFile(config.dataDir)})`;
  return `events in ${events}, read models in ${reads}, projections ${config.projections}`;
}

/**
 * What an operator should hear of at start: an event file still in the layout from before streams
 * were numbered (it works, but each append costs about twice the writes until it is upgraded). It
 * runs once the service is up, so a file it cannot look into is told of, never thrown.
 */
export function storageWarnings(config: Pick<AppConfig, 'eventStore' | 'dataDir'>): string[] {
  const file = eventStoreFile(config.dataDir);
  if (config.eventStore !== 'sqlite' || !existsSync(file)) return [];
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
    try {
      if (!hasEventLog(db) || eventFileLayout(db) === 'stream-keys') return [];
    } finally {
      db.close();
    }
  } catch (error) {
    return [
      `could not look at the layout of ${file}: ${error instanceof Error ? error.message : String(error)}`,
    ];
  }
  return [
    `${file} is in the layout from before streams were numbered: it works, but each append costs ` +
      'about twice the writes. To upgrade it, stop the service and run `npm run upgrade-events`.',
  ];
}

function requireUrl(url: string | undefined, name: string): string {
  if (!url) throw new Error(`${name} is not configured`);
  return url;
}
