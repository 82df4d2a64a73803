import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DuplicateEventIdError,
  type EventToAppend,
  WrongExpectedRevisionError,
} from '../../src/application/ports/event-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { createEventFileWithIdIndex } from './event-file-with-id-index';
import { eventToAppend } from '../support/events';

let dir: string;
let file: string;
let store: SqliteEventStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'event-store-group-commit-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  file = join(dir, `${randomUUID()}.sqlite`);
  store = SqliteEventStore.open(file);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await store.close();
});

const event = (type = 'Something'): EventToAppend => eventToAppend(type, { value: randomUUID() });

/**
 * Counts the groups sent to the writer thread from now on. The thread commits each group in one
 * transaction (one COMMIT per group: test/contract/event-writer.test.ts counts them there).
 */
function countGroups(): () => number {
  const postMessage = jest.spyOn(Worker.prototype, 'postMessage');
  return () =>
    postMessage.mock.calls.filter(([message]) => (message as { type?: unknown }).type === 'group').length;
}

/**
 * Makes every transaction that appends to a stream named `poison-…` fail at COMMIT, as a disk error
 * would, through another connection: a deferred foreign key that such an insert violates.
 */
function poisonCommits(): () => void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE poison_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE poison_child (parent INTEGER REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TRIGGER poison AFTER INSERT ON events WHEN NEW.stream_id LIKE 'poison-%'
    BEGIN INSERT INTO poison_child VALUES (1); END;
  `);
  return () => {
    db.exec('DROP TRIGGER poison');
    db.close();
  };
}

describe('SqliteEventStore group commit', () => {
  it('commits appends issued together in one transaction, each answered with its own result', async () => {
    const groups = countGroups();
    const streams = Array.from({ length: 50 }, () => `worker-${randomUUID()}`);

    const results = await Promise.all(
      streams.map((streamId) => store.append(streamId, [event(), event()], 'no_stream')),
    );

    expect(groups()).toBe(1);
    expect(results.map((result) => result.nextExpectedRevision)).toEqual(streams.map(() => 1));
    // In arrival order, two positions each.
    expect(results.map((result) => result.position)).toEqual(streams.map((_, i) => 2 * i + 2));
    for (const [i, streamId] of streams.entries()) {
      expect((await store.readStream(streamId)).map((e) => e.position)).toEqual([2 * i + 1, 2 * i + 2]);
    }
  });

  it('fails only the append whose expected revision is wrong; the rest of the group is stored', async () => {
    const existing = `worker-${randomUUID()}`;
    await store.append(existing, [event()], 'no_stream');
    const [before, after] = [`worker-${randomUUID()}`, `worker-${randomUUID()}`];
    const groups = countGroups();

    const outcomes = await Promise.allSettled([
      store.append(before, [event()], 'no_stream'),
      store.append(existing, [event()], 'no_stream'),
      store.append(after, [event()], 'no_stream'),
    ]);

    expect(groups()).toBe(1);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ streamId: existing, actual: 0 });
    expect(await store.readStream(existing)).toHaveLength(1);
    expect(await store.readStream(before)).toHaveLength(1);
    expect(await store.readStream(after)).toHaveLength(1);
    expect(outcomes[2]).toMatchObject({ status: 'fulfilled', value: { position: 3 } });
  });

  it('rolls back all of an append that fails part-way, and nothing of the others', async () => {
    // Only an id index fails an append after some of its events are in (its unique constraint): a
    // file made with one, as files were before the index was left out.
    await store.close();
    file = join(dir, `${randomUUID()}.sqlite`);
    createEventFileWithIdIndex(file);
    store = SqliteEventStore.open(file);
    const taken = event();
    await store.append(`worker-${randomUUID()}`, [taken], 'no_stream');
    const [first, broken, last] = [
      `worker-${randomUUID()}`,
      `worker-${randomUUID()}`,
      `worker-${randomUUID()}`,
    ];

    const outcomes = await Promise.allSettled([
      store.append(first, [event(), event()], 'no_stream'),
      // Two good events, then one whose id is stored elsewhere.
      store.append(broken, [event(), event(), taken], 'no_stream'),
      store.append(last, [event()], 'no_stream'),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(DuplicateEventIdError);
    expect(await store.readStream(broken)).toEqual([]);
    expect(await store.readStream(first)).toHaveLength(2);
    // The failed append's positions were never used: the next append follows on directly.
    expect((await store.readStream(last)).map((e) => e.position)).toEqual([4]);
    expect(await store.headPosition()).toBe(4);
  });

  it('lets later appends in a group see earlier ones to the same stream', async () => {
    const streamId = `worker-${randomUUID()}`;

    const outcomes = await Promise.allSettled([
      store.append(streamId, [event('A')], 'no_stream'),
      store.append(streamId, [event('B')], 0),
      store.append(streamId, [event('C')], 0),
      store.append(streamId, [event('D')], 'stream_exists'),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ expected: 0, actual: 1 });
    expect((await store.readStream(streamId)).map((e) => e.type)).toEqual(['A', 'B', 'D']);
  });

  it('answers a retry in the same group as its original like the original, writing nothing twice', async () => {
    const streamId = `worker-${randomUUID()}`;
    const events = [event(), event()];

    const [original, retried] = await Promise.all([
      store.append(streamId, events, 'no_stream'),
      store.append(streamId, events, 'no_stream'),
    ]);

    expect(retried).toEqual(original);
    expect(await store.readStream(streamId)).toHaveLength(2);
  });

  it('rejects the whole group, storing none of it, when the transaction cannot commit', async () => {
    const [a, b] = [`worker-${randomUUID()}`, `worker-${randomUUID()}`];
    const cure = poisonCommits();

    const outcomes = await Promise.allSettled([
      store.append(a, [event()], 'no_stream'),
      store.append(b, [event()], 'no_stream'),
      store.append(`poison-${randomUUID()}`, [event()], 'no_stream'),
    ]);
    cure();

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    const reason = (outcomes[0] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(Database.SqliteError);
    expect(reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(await store.readStream(a)).toEqual([]);
    expect(await store.readStream(b)).toEqual([]);
    expect(await store.headPosition()).toBe(0);
    // The store is usable afterwards.
    expect(await store.append(a, [event()], 'no_stream')).toEqual({
      nextExpectedRevision: 0,
      position: 1,
      positions: [1],
    });
  });

  it('commits what is pending when closed, and refuses appends afterwards', async () => {
    const streamId = `worker-${randomUUID()}`;
    const pending = store.append(streamId, [event()], 'no_stream');
    await store.close();

    await expect(pending).resolves.toEqual({ nextExpectedRevision: 0, position: 1, positions: [1] });
    await expect(store.append(streamId, [event()], 0)).rejects.toThrow('closed');
  });
});
