import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuplicateEventIdError,
  type EventMetadata,
  type EventToAppend,
  type StoredEvent,
} from '../../src/application/ports/event-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { createEventFileWithIdIndex, createStreamIdEventFile } from './event-file-with-id-index';
import { describeEventStoreContract } from './event-store.contract';
import { eventToAppend } from '../support/events';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'event-store-sqlite-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One file shared by the whole contract suite, like a shared server would be. */
const sharedFile = (): string => join(dir, 'contract.sqlite');

describeEventStoreContract('SQLite', {
  open: async () => SqliteEventStore.open(sharedFile()),
  reopen: async () => SqliteEventStore.open(sharedFile()),
  // Like KurrentDB, within a stream only (see EVENT_FILE_SCHEMA in event-file-layout.ts).
  globallyUniqueEventIds: false,
  appendsToSeveralStreams: true,
  answersEachPosition: true,
});

/** Files made before streams were numbered are still read and written as they are. */
const streamIdFile = (): string => {
  const file = join(dir, 'contract-stream-ids.sqlite');
  if (!existsSync(file)) createStreamIdEventFile(file, { idIndex: false });
  return file;
};

describeEventStoreContract('SQLite, a file indexed by stream id (made before streams were numbered)', {
  open: async () => SqliteEventStore.open(streamIdFile()),
  reopen: async () => SqliteEventStore.open(streamIdFile()),
  globallyUniqueEventIds: false,
  appendsToSeveralStreams: true,
  answersEachPosition: true,
});

const event = (): EventToAppend => eventToAppend('WorkerRegistered', { name: '张三丰' });

async function nextWithin<T>(iterator: AsyncIterator<T>, ms: number): Promise<IteratorResult<T> | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      iterator.next(),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('SqliteEventStore specifics', () => {
  const freshFile = (): string => join(dir, `${randomUUID()}.sqlite`);

  it('numbers positions 1, 2, 3… on a new file', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      expect(await store.headPosition()).toBe(0);
      await store.append('s-1', [event(), event()], 'no_stream');
      await store.append('s-2', [event()], 'no_stream');
      expect((await store.readAll(0, 10)).map((e) => e.position)).toEqual([1, 2, 3]);
    } finally {
      await store.close();
    }
  });

  it('leaves out positions that hold no event, and refuses what is not a position', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      await store.append('s-1', [event(), event()], 'no_stream');
      expect((await store.readAt([2, 7, 1])).map((e) => e.position)).toEqual([1, 2]);
      await expect(store.readAt([1.5])).rejects.toThrow('not a position: 1.5');
    } finally {
      await store.close();
    }
  });

  it('rejects an empty append as a programming error', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      await expect(store.append('s-1', [], 'any')).rejects.toThrow('no events given');
      expect(await store.headPosition()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('lets a subscription see events written through another connection to the same file', async () => {
    const file = freshFile();
    const reader = SqliteEventStore.open(file);
    const writer = SqliteEventStore.open(file);
    const controller = new AbortController();
    const iterator = reader.subscribeToAll(0, { signal: controller.signal })[Symbol.asyncIterator]();
    try {
      const pending = nextWithin(iterator, 2000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const appended = event();
      await writer.append('s-1', [appended], 'no_stream');

      const next = await pending;
      expect(next).not.toBe('timeout');
      expect((next as IteratorResult<StoredEvent>).value).toMatchObject({ id: appended.id, position: 1 });
    } finally {
      controller.abort();
      await iterator.return?.();
      await reader.close();
      await writer.close();
    }
  });

  it('ends its subscriptions when closed', async () => {
    const store = SqliteEventStore.open(freshFile());
    const iterator = store.subscribeToAll(0)[Symbol.asyncIterator]();
    const pending = nextWithin(iterator, 2000);
    await new Promise((resolve) => setTimeout(resolve, 20));

    await store.close();

    expect(await pending).toEqual({ done: true, value: undefined });
  });

  it('keeps no index of event ids across streams', async () => {
    const file = freshFile();
    const store = SqliteEventStore.open(file);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      const indexed = (
        db.prepare("SELECT name FROM pragma_index_list('events')").pluck().all() as string[]
      ).flatMap(
        (index) => db.prepare('SELECT name FROM pragma_index_info(?)').pluck().all(index) as string[],
      );
      expect(indexed.sort()).toEqual(['revision', 'stream_key']);
    } finally {
      db.close();
    }
  });

  it('stores the metadata as an array without the command’s own id repeated, and reads the file’s older forms alike', async () => {
    const file = freshFile();
    const store = SqliteEventStore.open(file);
    const streamId = `worker-${randomUUID()}`;
    const own = eventToAppend('WorkerRegistered', {}, { commandId: 'cmd-1' });
    const ofAgency = eventToAppend(
      'ConsentRecorded',
      {},
      { commandId: 'cmd-2', actor: { id: 'operator-2', role: 'agency_operator', agencyId: 'agency-9' } },
    );
    const caused = eventToAppend('ApplicationOpened', {}, { commandId: 'cmd-3' });
    const causedMetadata = { ...caused.metadata, correlationId: 'batch-1', causationId: 'cmd-0' };
    const appended = [own, ofAgency, { ...caused, metadata: causedMetadata }];
    for (const event of appended) await store.append(streamId, [event], 'any');
    const metadataOf = async () => (await store.readStream(streamId)).map((event) => event.metadata);
    expect(await metadataOf()).toEqual(appended.map((event) => event.metadata));
    const db = new Database(file);
    try {
      const stored = db.prepare('SELECT metadata FROM events ORDER BY position').pluck().all() as string[];
      expect(stored.map((text) => JSON.parse(text) as unknown)).toEqual([
        [own.metadata.occurredAt, 'operator-1', 'agency_operator', null, 'cmd-1'],
        [ofAgency.metadata.occurredAt, 'operator-2', 'agency_operator', 'agency-9', 'cmd-2'],
        [caused.metadata.occurredAt, 'operator-1', 'agency_operator', null, 'cmd-3', 'batch-1', 'cmd-0'],
      ]);
      // As files written before the array hold it: an object without the command's own id repeated,
      // and, earlier still, with every id spelt out.
      const update = db.prepare('UPDATE events SET metadata = ? WHERE revision = ?');
      const { correlationId: _correlation, causationId: _causation, ...withoutIds } = own.metadata;
      update.run(JSON.stringify(withoutIds), 0);
      update.run(JSON.stringify(ofAgency.metadata), 1);
    } finally {
      db.close();
    }
    expect(await metadataOf()).toEqual(appended.map((event) => event.metadata));
    await store.close();
  });

  it('stores metadata the array has no place for as an object, and reads it back as it was', async () => {
    const file = freshFile();
    const store = SqliteEventStore.open(file);
    const streamId = `worker-${randomUUID()}`;
    const base = eventToAppend('WorkerRegistered', {}, { commandId: 'cmd-1' }).metadata;
    const shapes = [
      // Another field on the actor, the fields in another order, a field the metadata does not name.
      { ...base, actor: { id: 'trainer-1', role: 'trainer', providerId: 'provider-1' } },
      {
        actor: base.actor,
        occurredAt: base.occurredAt,
        commandId: 'cmd-1',
        correlationId: 'cmd-1',
        causationId: 'cmd-1',
      },
      { ...base, origin: 'import' },
    ] as unknown as EventMetadata[];
    for (const metadata of shapes) {
      await store.append(streamId, [{ ...eventToAppend('WorkerRegistered'), metadata }], 'any');
    }
    const read = (await store.readStream(streamId)).map((event) => event.metadata);
    expect(read).toEqual(shapes);
    const db = new Database(file, { readonly: true });
    try {
      const stored = db.prepare('SELECT metadata FROM events').pluck().all() as string[];
      expect(stored.every((text) => text.startsWith('{'))).toBe(true);
    } finally {
      db.close();
    }
    await store.close();
  });

  it('opens a file while another connection holds its write lock (opening takes no lock)', async () => {
    const file = freshFile();
    const first = SqliteEventStore.open(file);
    await first.append('s-1', [event()], 'no_stream');
    await first.close();
    const writer = new Database(file);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const reader = SqliteEventStore.open(file);
      try {
        expect(await reader.readStream('s-1')).toHaveLength(1);
      } finally {
        writer.exec('ROLLBACK');
        await reader.close();
      }
    } finally {
      writer.close();
    }
  });

  it('numbers streams in the order they begin, and a failed append numbers none', async () => {
    const file = freshFile();
    const store = SqliteEventStore.open(file);
    try {
      await store.append('s-b', [event()], 'no_stream');
      await store.append('s-a', [event()], 'no_stream');
      await store.append('s-b', [event()], 0);
      // Its second part expects a stream that does not exist: neither part is stored.
      await expect(
        store.appendToStreams([
          { streamId: 's-c', events: [event()], expected: 'no_stream' },
          { streamId: 's-d', events: [event()], expected: 0 },
        ]),
      ).rejects.toMatchObject({ name: 'WrongExpectedRevisionError' });
      await store.append('s-e', [event()], 'no_stream');
    } finally {
      await store.close();
    }
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT key, stream_id FROM streams ORDER BY key').raw().all()).toEqual([
        [1, 's-b'],
        [2, 's-a'],
        [3, 's-e'],
      ]);
      expect(
        db.prepare('SELECT stream_id, stream_key, revision FROM events ORDER BY position').raw().all(),
      ).toEqual([
        ['s-b', 1, 0],
        ['s-a', 2, 0],
        ['s-b', 1, 1],
        ['s-e', 3, 0],
      ]);
      // A stream's events are found through the index, never by a scan of the log.
      const plan = db
        .prepare(
          'EXPLAIN QUERY PLAN SELECT * FROM events WHERE stream_key = (SELECT key FROM streams WHERE stream_id = ?) ORDER BY revision',
        )
        .all('s-b') as { detail: string }[];
      expect(plan.map((step) => step.detail).join('; ')).toMatch(/SEARCH events USING INDEX .*stream_key=/);
    } finally {
      db.close();
    }
  });

  it('refuses an append that carries an id twice, and writes none of it', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      const [a, b] = [event(), event()];
      await expect(store.append('s-1', [a, b, a], 'no_stream')).rejects.toMatchObject({
        name: 'DuplicateEventIdError',
        eventId: a.id,
      });
      await store.append('s-2', [event()], 'no_stream');
      await expect(store.append('s-2', [b, b], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
      expect(await store.readStream('s-1')).toEqual([]);
      expect(await store.headPosition()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('answers a command replayed after the stream moved on like the original, writing nothing', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      const original = [event(), event()];
      const first = await store.append('s-1', original, 'no_stream');
      const later = await store.append('s-1', [event()], first.nextExpectedRevision);

      // The same events again, decided on the stream as it is now: still the original append.
      expect(await store.append('s-1', original, later.nextExpectedRevision)).toEqual(first);
      // Only the second: its own place.
      expect(await store.append('s-1', [original[1]!], later.nextExpectedRevision)).toEqual({
        ...first,
        positions: [first.position],
      });
      expect(await store.readStream('s-1')).toHaveLength(3);
    } finally {
      await store.close();
    }
  });

  it('recognises a retry and refuses a stored id further back in a stream than the appender reads whole', async () => {
    const store = SqliteEventStore.open(freshFile());
    try {
      const original = [event(), event()];
      const first = await store.append('long-1', original, 'no_stream');
      let revision = first.nextExpectedRevision;
      for (let i = 0; i < 20; i++) {
        revision = (await store.append('long-1', Array.from({ length: 10 }, event), revision))
          .nextExpectedRevision;
      }

      expect(await store.append('long-1', original, revision)).toEqual(first);
      await expect(store.append('long-1', [event(), original[1]!], revision)).rejects.toMatchObject({
        name: 'DuplicateEventIdError',
        eventId: original[1]!.id,
      });
      const next = await store.append('long-1', [event()], revision);
      await expect(store.append('long-1', [event()], revision)).rejects.toMatchObject({
        name: 'WrongExpectedRevisionError',
        actual: revision + 1,
      });

      expect(next.nextExpectedRevision).toBe(revision + 1);
      expect(await store.readStream('long-1')).toHaveLength(revision + 2);
    } finally {
      await store.close();
    }
  });

  it('still refuses an id reused in another stream in a file made with a unique index on it', async () => {
    const file = freshFile();
    createEventFileWithIdIndex(file);
    const store = SqliteEventStore.open(file);
    try {
      const reused = event();
      const first = await store.append('s-1', [reused], 'no_stream');
      await expect(store.append('s-2', [event(), reused], 'no_stream')).rejects.toMatchObject({
        name: 'DuplicateEventIdError',
        eventId: reused.id,
      });
      expect(await store.append('s-1', [reused], 'no_stream')).toEqual(first);
      expect(await store.readStream('s-2')).toEqual([]);
      expect(await store.headPosition()).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('delivers a long backlog in batches without skipping or repeating', async () => {
    const store = SqliteEventStore.open(freshFile());
    const controller = new AbortController();
    try {
      let expected: number | 'no_stream' = 'no_stream';
      for (let i = 0; i < 5; i++) {
        const result = await store.append(
          's-1',
          Array.from({ length: 500 }, () => event()),
          expected,
        );
        expected = result.nextExpectedRevision;
      }
      const positions: number[] = [];
      for await (const e of store.subscribeToAll(0, { signal: controller.signal })) {
        positions.push(e.position);
        if (positions.length === 2500) controller.abort();
      }
      expect(positions).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
    } finally {
      await store.close();
    }
  });
});
