import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EventStore } from '../../src/application/ports/event-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { describeEventStoreContract } from './event-store.contract';
import { eventToAppend } from '../support/events';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'event-store-bulk-load-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const freshFile = (): string => join(dir, `${randomUUID()}.sqlite`);
const event = () => eventToAppend('WorkerRegistered', { name: '张三丰' });
const newStream = (): string => `worker-${randomUUID()}`;

/** The indexes of the streams table, by name (an older file's `UNIQUE` column shows as an autoindex). */
function streamIndexes(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare("SELECT name FROM pragma_index_list('streams') ORDER BY name")
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

/**
 * A store appending through a bulk loader's writer, as each of the data generator's lanes does; its
 * close closes the loader too, which builds the index.
 */
function openBulkLoadClient(file: string): EventStore {
  const loader = SqliteEventStore.open(file, { bulkLoad: true });
  const client = SqliteEventStore.open(file, { writer: loader.shareWriter() });
  const close = async (): Promise<void> => {
    await client.close();
    await loader.close();
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'close') return close;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

// Each test opens the file anew: the index is dropped, the directory filled with the streams the
// earlier tests left, and the index built again when the test closes the store.
const clientFile = join(tmpdir(), `bulk-load-client-${randomUUID()}.sqlite`);
describeEventStoreContract('SQLite bulk load, a store appending through the loader’s writer', {
  open: async () => openBulkLoadClient(clientFile),
  reopen: async () => openBulkLoadClient(clientFile),
  globallyUniqueEventIds: false,
  appendsToSeveralStreams: true,
  answersEachPosition: true,
});

const loaderFile = join(tmpdir(), `bulk-load-loader-${randomUUID()}.sqlite`);
describeEventStoreContract('SQLite bulk load, the loading store itself', {
  open: async () => SqliteEventStore.open(loaderFile, { bulkLoad: true }),
  reopen: async () => SqliteEventStore.open(loaderFile, { bulkLoad: true }),
  globallyUniqueEventIds: false,
  appendsToSeveralStreams: true,
  answersEachPosition: true,
});

afterAll(() => {
  for (const file of [clientFile, loaderFile]) {
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  }
});

describe('SqliteEventStore bulk load: the stream-id index built at the end', () => {
  it('leaves the index out while loading, finds streams begun through either store, and builds it at the end', async () => {
    const file = freshFile();
    const loader = SqliteEventStore.open(file, { bulkLoad: true });
    const lane = SqliteEventStore.open(file, { writer: loader.shareWriter() });
    const [a, b] = [newStream(), newStream()];
    await loader.append(a, [event()], 'no_stream');
    await lane.append(b, [event(), event()], 'no_stream');

    expect(streamIndexes(file)).toEqual([]);
    expect(await lane.streamRevision(a)).toBe(0);
    expect(await loader.streamRevision(b)).toBe(1);
    expect((await lane.readStream(a)).map((stored) => stored.streamId)).toEqual([a]);
    expect(await lane.streamRevision(newStream())).toBe(-1);
    expect(await lane.readStream(newStream())).toEqual([]);
    // The writer finds a stream it began, as another lane's append to it: the revision is checked.
    await expect(lane.append(a, [event()], 'no_stream')).rejects.toThrow(/expected/i);
    await lane.append(a, [event()], 0);

    await lane.close();
    await loader.close();
    expect(streamIndexes(file)).toEqual(['streams_by_id']);
    const after = SqliteEventStore.open(file);
    expect(await after.streamRevision(a)).toBe(1);
    expect((await after.readStream(b)).map((stored) => stored.revision)).toEqual([0, 1]);
    await after.close();
  });

  it('starts from the streams the file holds (the generator registers agencies first)', async () => {
    const file = freshFile();
    const before = SqliteEventStore.open(file);
    const agency = `agency-${randomUUID()}`;
    await before.append(agency, [event()], 'no_stream');
    await before.close();

    const loader = SqliteEventStore.open(file, { bulkLoad: true });
    const lane = SqliteEventStore.open(file, { writer: loader.shareWriter() });
    expect(streamIndexes(file)).toEqual([]);
    expect(await lane.streamRevision(agency)).toBe(0);
    await expect(lane.append(agency, [event()], 'no_stream')).rejects.toThrow(/expected/i);
    await lane.append(agency, [event()], 0);
    await lane.close();
    await loader.close();

    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT COUNT(*) FROM streams WHERE stream_id = ?').pluck().get(agency)).toBe(1);
    db.close();
  });

  it('builds the index as soon as the directory is full, and goes on through the index', async () => {
    const file = freshFile();
    // 16 slots: full at 12 streams.
    const loader = SqliteEventStore.open(file, { bulkLoad: true, streamDirectorySlots: 16 });
    const lane = SqliteEventStore.open(file, { writer: loader.shareWriter() });
    const streams = Array.from({ length: 20 }, newStream);
    for (const streamId of streams.slice(0, 10)) await lane.append(streamId, [event()], 'no_stream');
    expect(streamIndexes(file)).toEqual([]);
    for (const streamId of streams.slice(10)) await lane.append(streamId, [event()], 'no_stream');
    expect(streamIndexes(file)).toEqual(['streams_by_id']);

    for (const streamId of streams) {
      expect(await lane.streamRevision(streamId)).toBe(0);
      expect(await loader.readStream(streamId)).toHaveLength(1);
      await expect(lane.append(streamId, [event()], 'no_stream')).rejects.toThrow(/expected/i);
    }
    await lane.append(streams[0]!, [event()], 0);
    expect(await loader.streamRevision(streams[0]!)).toBe(1);
    await lane.close();
    await loader.close();
  });

  it('refuses a second bulk load while one is under way, and a normal open builds a missing index', async () => {
    const file = freshFile();
    const loader = SqliteEventStore.open(file, { bulkLoad: true });
    const streamId = newStream();
    await loader.append(streamId, [event()], 'no_stream');
    expect(() => SqliteEventStore.open(file, { bulkLoad: true })).toThrow(/no index of stream ids/);

    // As a load that stopped before its end leaves the file: a normal open builds the index.
    const service = SqliteEventStore.open(file);
    expect(streamIndexes(file)).toEqual(['streams_by_id']);
    expect(await service.streamRevision(streamId)).toBe(0);
    await service.close();
    await loader.close();
    expect(streamIndexes(file)).toEqual(['streams_by_id']);
  });

  it('keeps the unique column of a file made before the index was named, and loads through it', async () => {
    const file = freshFile();
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE streams (key INTEGER PRIMARY KEY, stream_id TEXT NOT NULL UNIQUE);
      CREATE TABLE events (
        position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, stream_id TEXT NOT NULL,
        stream_key INTEGER NOT NULL, revision INTEGER NOT NULL, type TEXT NOT NULL,
        schema_version INTEGER NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL,
        UNIQUE (stream_key, revision))`);
    db.close();

    const loader = SqliteEventStore.open(file, { bulkLoad: true });
    const lane = SqliteEventStore.open(file, { writer: loader.shareWriter() });
    const streamId = newStream();
    await lane.append(streamId, [event()], 'no_stream');
    expect(streamIndexes(file)).toEqual(['sqlite_autoindex_streams_1']);
    expect(await lane.streamRevision(streamId)).toBe(0);
    await lane.close();
    await loader.close();
    expect(streamIndexes(file)).toEqual(['sqlite_autoindex_streams_1']);
  });
});
