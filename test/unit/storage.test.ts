import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KurrentDbEventStore } from '../../src/infrastructure/kurrentdb/kurrentdb-event-store';
import { MongoReadStore } from '../../src/infrastructure/mongodb/mongo-read-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import {
  describeStorage,
  eventStoreFile,
  openConfiguredEventStore,
  openConfiguredReadStore,
  storageWarnings,
} from '../../src/infrastructure/storage';
import { createStreamIdEventFile } from '../contract/event-file-with-id-index';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'storage-'));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('choosing the stores by configuration', () => {
  it('opens the embedded SQLite stores by default', async () => {
    const events = await openConfiguredEventStore({ eventStore: 'sqlite', dataDir });
    const reads = await openConfiguredReadStore({ readStore: 'sqlite', dataDir });
    try {
      expect(events).toBeInstanceOf(SqliteEventStore);
      expect(reads).toBeInstanceOf(SqliteReadStore);
    } finally {
      await events.close();
      await reads.close();
    }
  });

  it("gives the projections' connection a smaller page cache than the queries' one", async () => {
    const pragma = jest.spyOn(Database.prototype, 'pragma');
    const cacheSizes = () =>
      pragma.mock.calls.map(([source]) => source).filter((source) => source.startsWith('cache_size'));
    const queries = await openConfiguredReadStore({ readStore: 'sqlite', dataDir });
    const queriesCache = cacheSizes();
    pragma.mockClear();
    const projections = await openConfiguredReadStore({ readStore: 'sqlite', dataDir }, 'projections');
    try {
      expect(queriesCache).toEqual(['cache_size = -65536']);
      expect(cacheSizes()).toEqual(['cache_size = -16384']);
    } finally {
      pragma.mockRestore();
      await queries.close();
      await projections.close();
    }
  });

  it('opens the KurrentDB adapter for EVENT_STORE=kurrentdb (it connects on first use)', async () => {
    const events = await openConfiguredEventStore({
      eventStore: 'kurrentdb',
      kurrentdbUrl: 'kurrentdb://127.0.0.1:1?tls=false',
      dataDir,
    });
    expect(events).toBeInstanceOf(KurrentDbEventStore);
    await events.close();
  });

  it('fails to start, closing its client, when MongoDB cannot be reached', async () => {
    await expect(
      MongoReadStore.connect('mongodb://127.0.0.1:1/hsc?directConnection=true', {
        serverSelectionTimeoutMS: 200,
      }),
    ).rejects.toThrow(/ECONNREFUSED|Server selection timed out/);
  });

  it('says where events and read models live', () => {
    expect(
      describeStorage({ eventStore: 'kurrentdb', readStore: 'mongodb', dataDir, projections: 'external' }),
    ).toBe('events in KurrentDB, read models in MongoDB, projections external');
    expect(
      describeStorage({ eventStore: 'sqlite', readStore: 'sqlite', dataDir, projections: 'embedded' }),
    ).toBe(
      `events in SQLite (${join(dataDir, 'events.db')}), read models in SQLite (${join(dataDir, 'read.db')}), projections embedded`,
    );
  });

  it('warns at start of an event file still in the layout from before streams were numbered, and only then', async () => {
    // No file yet, or another backend: nothing to say.
    expect(storageWarnings({ eventStore: 'sqlite', dataDir })).toEqual([]);
    createStreamIdEventFile(eventStoreFile(dataDir), { idIndex: false });
    expect(storageWarnings({ eventStore: 'kurrentdb', dataDir })).toEqual([]);
    const [warning, ...more] = storageWarnings({ eventStore: 'sqlite', dataDir });
    expect(more).toEqual([]);
    expect(warning).toContain(eventStoreFile(dataDir));
    expect(warning).toContain('npm run upgrade-events');

    // A file the store made itself is in the current layout.
    rmSync(eventStoreFile(dataDir));
    const events = await openConfiguredEventStore({ eventStore: 'sqlite', dataDir });
    try {
      expect(storageWarnings({ eventStore: 'sqlite', dataDir })).toEqual([]);
    } finally {
      await events.close();
    }
  });

  it('tells of an event file it cannot look into instead of throwing (the service is already up)', () => {
    writeFileSync(
      eventStoreFile(dataDir),
      'not a SQLite file, but long enough to be read as one '.repeat(10),
    );
    const [warning, ...more] = storageWarnings({ eventStore: 'sqlite', dataDir });
    expect(more).toEqual([]);
    expect(warning).toContain(`could not look at the layout of ${eventStoreFile(dataDir)}`);
  });
});
