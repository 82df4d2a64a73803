import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import type { ReadModelsProgress } from '../../src/projections/read-models-progress';
import { describeReadStoreContract } from './read-store.contract';

const dir = mkdtempSync(join(tmpdir(), 'read-store-contract-'));
const file = join(dir, 'read.sqlite');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeReadStoreContract('SQLite', {
  open: async () => SqliteReadStore.open(file),
  reopen: async () => SqliteReadStore.open(file),
});

/** Projections that always vouch and never tell: every read shares the transaction until a write. */
const vouching = { seesEveryChange: true, listen: () => () => undefined };
const sharedFile = join(dir, 'read-shared.sqlite');
describeReadStoreContract('SQLite, reads sharing a read transaction', {
  open: async () => withSharedReads(SqliteReadStore.open(sharedFile)),
  reopen: async () => withSharedReads(SqliteReadStore.open(sharedFile)),
});

function withSharedReads(store: SqliteReadStore): SqliteReadStore {
  store.followChanges(vouching);
  return store;
}

describe('SQLite read store, reads sharing a read transaction (followChanges)', () => {
  type Listener = Parameters<ReadModelsProgress['listen']>[0];
  let listeners: Set<Listener>;
  let progress: Pick<ReadModelsProgress, 'seesEveryChange' | 'listen'> & { seesEveryChange: boolean };
  let reader: SqliteReadStore;
  let writer: SqliteReadStore;
  const doc = (status: string) => ({ collection: 'certificates', id: 'c-1', doc: { id: 'c-1', status } });
  const status = async () => (await reader.get<{ status: string }>('certificates', 'c-1'))?.status;
  const count = () => reader.count('certificates', { status: 'revoked' });

  beforeEach(async () => {
    const shared = join(dir, `follow-${Math.random()}.sqlite`);
    listeners = new Set();
    progress = {
      seesEveryChange: true,
      listen: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    writer = SqliteReadStore.open(shared);
    await writer.ensureCollections([{ name: 'certificates', indexes: ['status'] }]);
    await writer.commit([doc('valid')], [{ projection: 'p', position: 1 }]);
    reader = SqliteReadStore.open(shared);
    await reader.ensureCollections([{ name: 'certificates', indexes: ['status'] }]);
  });

  afterEach(async () => {
    await reader.close();
    await writer.close();
  });

  it('answers from the file as it was until the projections tell of a commit, then as it is', async () => {
    const stop = reader.followChanges(progress);
    expect(await status()).toBe('valid');

    await writer.commit([doc('revoked')], [{ projection: 'p', position: 2 }]);
    expect(await status()).toBe('valid'); // not told yet: the shared transaction's view
    expect(await count()).toBe(0);
    for (const listener of listeners) listener.committed([{ collection: 'certificates', id: 'c-1' }]);
    expect(await status()).toBe('revoked');
    expect(await count()).toBe(1);

    await writer.commit([doc('valid')], [{ projection: 'p', position: 3 }]);
    for (const listener of listeners) listener.reached?.(3);
    expect(await status()).toBe('valid');
    stop();
    expect(listeners.size).toBe(0);
  });

  it('reads the file as it is while the projections do not vouch, or once they are forgotten', async () => {
    reader.followChanges(progress);
    expect(await status()).toBe('valid');
    await writer.commit([doc('revoked')], [{ projection: 'p', position: 2 }]);
    for (const listener of listeners) listener.forgotten();
    expect(await status()).toBe('revoked');

    progress.seesEveryChange = false;
    await writer.commit([doc('valid')], [{ projection: 'p', position: 3 }]);
    expect(await status()).toBe('valid');
    await writer.commit([doc('revoked')], [{ projection: 'p', position: 4 }]);
    expect(await status()).toBe('revoked');
  });

  it("ends the shared transaction before its own writes, and lets another connection's commits through", async () => {
    reader.followChanges(progress);
    expect(await status()).toBe('valid');
    // A reader holding its view must not keep writers waiting (WAL): the other connection commits.
    await writer.commit([doc('revoked')], [{ projection: 'p', position: 2 }]);
    // Its own commit ends the view first, then reads see everything committed.
    await reader.commit([], [{ projection: 'q', position: 1 }]);
    expect(await status()).toBe('revoked');
    expect(await reader.getCheckpoint('q')).toBe(1);
  });
});

describe('SQLite read store, documents encoded as they are written', () => {
  it('rolls the whole commit back when a later document cannot be encoded', async () => {
    const store = SqliteReadStore.open(join(dir, 'unencodable.sqlite'));
    try {
      await store.ensureCollections([{ name: 'workers', indexes: [] }]);
      await store.commit([{ collection: 'workers', id: 'w1', doc: { id: 'w1', v: 1 } }], []);
      await expect(
        store.commit(
          [
            { collection: 'workers', id: 'w1', doc: { id: 'w1', v: 2 } },
            { collection: 'workers', id: 'w2', doc: { id: 'w2', v: 1 } },
            // JSON has no big integers: JSON.stringify throws, after two rows were written.
            { collection: 'workers', id: 'w3', doc: { id: 'w3', v: 10n } },
          ],
          [{ projection: 'p', position: 5 }],
        ),
      ).rejects.toThrow(/BigInt/);
      expect(await store.find('workers', {})).toEqual([{ id: 'w1', v: 1 }]);
      expect(await store.getCheckpoint('p')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('in a bulk load too, and forgets the rows the rolled-back commit had given ids to', async () => {
    const store = SqliteReadStore.open(join(dir, 'unencodable-bulk.sqlite'), { bulkLoad: true });
    try {
      await store.ensureCollections([{ name: 'workers', indexes: [] }]);
      await store.commit(
        [{ collection: 'workers', id: 'w1', doc: { id: 'w1', v: 1 }, firstWrite: true }],
        [],
      );
      await expect(
        store.commit(
          [
            { collection: 'workers', id: 'w1', doc: { id: 'w1', v: 2 }, firstWrite: false },
            { collection: 'workers', id: 'w2', doc: { id: 'w2', v: 1 }, firstWrite: true },
            { collection: 'workers', id: 'w3', doc: { id: 'w3', v: 10n }, firstWrite: true },
          ],
          [],
        ),
      ).rejects.toThrow(/BigInt/);
      expect(await store.find('workers', {})).toEqual([{ id: 'w1', v: 1 }]);
      // The row w2 was inserted as is gone; the next insert takes its rowid. A store that still
      // took that rowid for w2's would write w2's next document over w4's.
      await store.commit(
        [{ collection: 'workers', id: 'w4', doc: { id: 'w4', v: 1 }, firstWrite: true }],
        [],
      );
      await store.commit(
        [{ collection: 'workers', id: 'w2', doc: { id: 'w2', v: 2 }, firstWrite: false }],
        [],
      );
      expect(await store.get('workers', 'w4')).toEqual({ id: 'w4', v: 1 });
      expect(await store.get('workers', 'w2')).toEqual({ id: 'w2', v: 2 });
      expect(await store.get('workers', 'w1')).toEqual({ id: 'w1', v: 1 });
      await store.finishBulkLoad();
      expect(await store.count('workers', {})).toBe(3);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite read store, bulk load (a rebuild into a fresh file)', () => {
  it('syncs the file at its end even when its indexes were built before (the last commit writes nothing)', async () => {
    const bulkFile = join(dir, 'synced.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'roster', indexes: ['agencyId'] }]);
    await store.commit([{ collection: 'roster', id: 'w1', doc: { id: 'w1', agencyId: 'a' } }], []);
    await store.indexBulkLoad();
    // The module object itself (a namespace import's bindings cannot be spied on).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fs = require('node:fs') as typeof import('node:fs');
    const fsync = jest.spyOn(fs, 'fsyncSync');
    const opened = jest.spyOn(fs, 'openSync');
    try {
      await store.finishBulkLoad();
      const synced = fsync.mock.calls.map(([fd]) => fd);
      const ofTheFile = opened.mock.calls.flatMap(([path], i) =>
        path === bulkFile ? [opened.mock.results[i]!.value as number] : [],
      );
      expect(ofTheFile.length).toBeGreaterThan(0);
      expect(synced).toEqual(expect.arrayContaining(ofTheFile));
    } finally {
      fsync.mockRestore();
      opened.mockRestore();
      await store.close();
    }
    expect(await SqliteReadStore.open(bulkFile).get('roster', 'w1')).toEqual({ id: 'w1', agencyId: 'a' });
  });

  it('holds the indexes back until the load is finished, then builds them and returns to WAL', async () => {
    const bulkFile = join(dir, 'bulk.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'certificates', indexes: ['status'] }]);
    const changes = Array.from({ length: 500 }, (_, i) => ({
      collection: 'certificates',
      id: `c-${i}`,
      doc: { id: `c-${i}`, status: i % 5 === 0 ? 'revoked' : 'valid' },
    }));
    await store.commit(changes, [{ projection: 'p', position: 500 }]);
    expect(await store.count('certificates', { status: 'revoked' })).toBe(100);
    // Written straight into the file: no write-ahead log while loading.
    expect(existsSync(`${bulkFile}-wal`)).toBe(false);
    await store.finishBulkLoad();
    await store.close();

    const Database = (await import('better-sqlite3')).default;
    const db = new Database(bulkFile, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const indexes = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'certificates'")
        .pluck()
        .all();
      expect(indexes).toContain('ix:certificates:status');
      const plan = db
        .prepare(
          "EXPLAIN QUERY PLAN SELECT doc FROM certificates WHERE json_extract(doc, '$.status') = 'revoked'",
        )
        .all() as { detail: string }[];
      expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING INDEX/);
    } finally {
      db.close();
    }
    const reopened = SqliteReadStore.open(bulkFile);
    expect(await reopened.count('certificates', { status: 'revoked' })).toBe(100);
    expect(await reopened.getCheckpoint('p')).toBe(500);
    await reopened.close();
  });

  it('inserts first writes without looking for them, and still finds them to read, change or delete', async () => {
    const bulkFile = join(dir, 'first-writes.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'workers', indexes: [] }]);
    const first = (id: string, v: number) => ({
      collection: 'workers',
      id,
      doc: { id, v },
      firstWrite: true,
    });
    await store.commit([first('w1', 1), first('w2', 1), first('w3', 1)], []);
    // Told it is a first write, a delete has nothing to delete.
    await store.commit([{ collection: 'workers', id: 'never', doc: null, firstWrite: true }], []);
    await store.commit([first('w4', 1)], []);
    // Found by id although none was looked up when it was written.
    expect(await store.get('workers', 'w2')).toEqual({ id: 'w2', v: 1 });
    await store.commit(
      [
        { collection: 'workers', id: 'w1', doc: { id: 'w1', v: 2 }, firstWrite: false },
        { collection: 'workers', id: 'w3', doc: null, firstWrite: false },
        // Not known either way: looked for, and changed in place.
        { collection: 'workers', id: 'w4', doc: { id: 'w4', v: 2 } },
      ],
      [],
    );
    await store.commit([first('w5', 1)], []);
    await store.commit([{ collection: 'workers', id: 'w5', doc: { id: 'w5', v: 2 }, firstWrite: false }], []);
    await store.finishBulkLoad();
    await store.close();

    const reopened = SqliteReadStore.open(bulkFile);
    try {
      // One row per document: the unique index on id, built at the end, would have refused two.
      expect(await reopened.find('workers', {})).toEqual([
        { id: 'w1', v: 2 },
        { id: 'w2', v: 1 },
        { id: 'w4', v: 2 },
        { id: 'w5', v: 2 },
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('inserts runs of first writes many to a statement, and finds each row it listed by id', async () => {
    const bulkFile = join(dir, 'first-write-groups.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([
      { name: 'workers', indexes: [] },
      { name: 'roster', indexes: [] },
    ]);
    const first = (collection: string, id: string) => ({
      collection,
      id,
      doc: { id, v: 1 },
      firstWrite: true,
    });
    const workers = (from: number, count: number) =>
      Array.from({ length: count }, (_, k) => first('workers', `w${from + k}`));
    // Runs longer and shorter than a statement's group, broken by other tables, by deletes of what was
    // never written, and by a change that is not a first write (w3, written in the first commit).
    await store.commit(workers(0, 10), []);
    await store.commit(
      [
        ...workers(10, 150),
        ...Array.from({ length: 70 }, (_, k) => first('roster', `r${k}`)),
        { collection: 'workers', id: 'never', doc: null, firstWrite: true },
        ...workers(160, 3),
        { collection: 'workers', id: 'w3', doc: { id: 'w3', v: 2 }, firstWrite: false },
        ...workers(163, 130),
      ],
      [],
    );
    // Each listed row is found by its id: read, changed and deleted.
    for (const id of ['w0', 'w9', 'w10', 'w73', 'w74', 'w159', 'w160', 'w162', 'w163', 'w292']) {
      expect(await store.get('workers', id)).toEqual({ id, v: 1 });
    }
    expect(await store.get('roster', 'r69')).toEqual({ id: 'r69', v: 1 });
    await store.commit(
      [
        { collection: 'workers', id: 'w10', doc: null, firstWrite: false },
        { collection: 'workers', id: 'w100', doc: { id: 'w100', v: 2 }, firstWrite: false },
        { collection: 'workers', id: 'w292', doc: { id: 'w292', v: 2 }, firstWrite: false },
        { collection: 'roster', id: 'r64', doc: { id: 'r64', v: 2 }, firstWrite: false },
      ],
      [],
    );
    await store.finishBulkLoad();
    await store.close();

    const reopened = SqliteReadStore.open(bulkFile);
    try {
      const byId = (docs: { id: string; v: number }[]) => new Map(docs.map((doc) => [doc.id, doc.v]));
      const written = byId(await reopened.find('workers', {}));
      // w0…w292 but w10, each once (the unique index on id, built at the end, would refuse two).
      expect(written.size).toBe(292);
      expect(written.has('w10')).toBe(false);
      expect([written.get('w3'), written.get('w100'), written.get('w292'), written.get('w291')]).toEqual([
        2, 2, 2, 1,
      ]);
      const roster = byId(await reopened.find('roster', {}));
      expect(roster.size).toBe(70);
      expect([roster.get('r63'), roster.get('r64'), roster.get('r65')]).toEqual([1, 2, 1]);
    } finally {
      await reopened.close();
    }
  });

  it('finds listed rows by id however often a table is looked up, and never brings back one deleted', async () => {
    const bulkFile = join(dir, 'many-look-ups.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'workers', indexes: [] }]);
    const first = (from: number, count: number) =>
      Array.from({ length: count }, (_, k) => ({
        collection: 'workers',
        id: `w${from + k}`,
        doc: { id: `w${from + k}`, v: 1 },
        firstWrite: true,
      }));
    const change = (id: string, v: number | null) => ({
      collection: 'workers',
      id,
      doc: v === null ? null : { id, v },
      firstWrite: false,
    });
    await store.commit(first(0, 200), []);
    // The first look-ups search the list: one deleted, one changed.
    await store.commit([change('w1', null), change('w2', 2)], []);
    // Then many more (reads found and not found) than the list is searched for: it goes into the map.
    for (let k = 0; k < 40; k++) {
      expect(await store.get('workers', `w${k * 5}`)).toEqual({ id: `w${k * 5}`, v: 1 });
      expect(await store.get('workers', `absent${k}`)).toBeNull();
    }
    // What was deleted or changed while the list was searched stays so once it is in the map.
    expect(await store.get('workers', 'w1')).toBeNull();
    expect(await store.get('workers', 'w2')).toEqual({ id: 'w2', v: 2 });
    // Rows listed after that are found too; the deleted one is written anew.
    await store.commit(first(200, 10), []);
    await store.commit([change('w205', 2), change('w206', null), change('w150', 3), change('w1', 4)], []);
    await store.finishBulkLoad();
    await store.close();

    const reopened = SqliteReadStore.open(bulkFile);
    try {
      const docs = await reopened.find<{ id: string; v: number }>('workers', {});
      const written = new Map(docs.map((doc) => [doc.id, doc.v]));
      // w0…w209 but w206, each once (the unique index on id, built at the end, would refuse two).
      expect(docs).toHaveLength(209);
      expect(written.has('w206')).toBe(false);
      expect([written.get('w1'), written.get('w2'), written.get('w205'), written.get('w150')]).toEqual([
        4, 2, 2, 3,
      ]);
      expect(written.get('w209')).toBe(1);
    } finally {
      await reopened.close();
    }
  });

  it('builds indexes whose keys outgrow one sorted run in memory whole, and goes on loading after', async () => {
    const bulkFile = join(dir, 'many-runs.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'roster', indexes: ['agencyId'] }]);
    // ~4 MB of keys in random order: SQLite's sorter sorts them in several runs and merges those.
    const ids = Array.from(
      { length: 60_000 },
      (_, i) => `w-${String((i * 7919) % 60_000).padStart(6, '0')}-${'x'.repeat(40)}`,
    );
    const agencyOf = (i: number) => `agency-${i % 37}`;
    for (let from = 0; from < ids.length; from += 10_000) {
      await store.commit(
        ids.slice(from, from + 10_000).map((id, k) => ({
          collection: 'roster',
          id,
          doc: { id, agencyId: agencyOf(from + k) },
        })),
        [],
      );
    }
    await store.indexBulkLoad();
    // Written after the indexes were built (a rebuild copies the other part in then): indexed too.
    await store.commit([{ collection: 'roster', id: 'late', doc: { id: 'late', agencyId: 'agency-0' } }], []);
    await store.finishBulkLoad();
    await store.close();

    const Database = (await import('better-sqlite3')).default;
    const db = new Database(bulkFile, { readonly: true });
    try {
      // Every index entry matches its row, and every row has its entry.
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const byId = db.prepare<[string], string>('SELECT doc FROM roster WHERE id = ?').pluck();
      expect(db.prepare('EXPLAIN QUERY PLAN SELECT doc FROM roster WHERE id = ?').all('x')).toEqual([
        expect.objectContaining({ detail: expect.stringMatching(/USING INDEX/) }),
      ]);
      for (const i of [0, 1, 29_999, 59_999]) {
        expect(JSON.parse(byId.get(ids[i]!)!)).toEqual({ id: ids[i], agencyId: agencyOf(i) });
      }
    } finally {
      db.close();
    }
    const reopened = SqliteReadStore.open(bulkFile);
    const expected = ids.filter((_, i) => agencyOf(i) === 'agency-0').length + 1;
    expect(await reopened.count('roster', { agencyId: 'agency-0' })).toBe(expected);
    expect(await reopened.get('roster', 'late')).toEqual({ id: 'late', agencyId: 'agency-0' });
    await reopened.close();
  });

  it('applies a commit whose changes go back and forth between collections while loading', async () => {
    const bulkFile = join(dir, 'bulk-mixed.sqlite');
    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([
      { name: 'workers', indexes: [] },
      { name: 'roster', indexes: ['agencyId'] },
    ]);
    await store.commit(
      [
        { collection: 'workers', id: 'x', doc: { id: 'x', v: 1 } },
        { collection: 'roster', id: 'x', doc: { id: 'x', agencyId: 'a' } },
        { collection: 'workers', id: 'y', doc: { id: 'y', v: 1 } },
        { collection: 'roster', id: 'y', doc: { id: 'y', agencyId: 'b' } },
      ],
      [],
    );
    // The same ids in both collections are two documents: each change lands in its own table.
    await store.commit(
      [
        { collection: 'roster', id: 'x', doc: null },
        { collection: 'workers', id: 'x', doc: { id: 'x', v: 2 } },
        { collection: 'roster', id: 'y', doc: { id: 'y', agencyId: 'c' } },
      ],
      [{ projection: 'p', position: 7 }],
    );
    await store.finishBulkLoad();
    await store.close();

    const reopened = SqliteReadStore.open(bulkFile);
    try {
      await reopened.ensureCollections([
        { name: 'workers', indexes: [] },
        { name: 'roster', indexes: ['agencyId'] },
      ]);
      expect(await reopened.find('workers', {})).toEqual([
        { id: 'x', v: 2 },
        { id: 'y', v: 1 },
      ]);
      expect(await reopened.find('roster', {})).toEqual([{ id: 'y', agencyId: 'c' }]);
      expect(await reopened.getCheckpoint('p')).toBe(7);
    } finally {
      await reopened.close();
    }
  });

  it('updates, deletes and reads documents while loading, copies in a part, and keys every collection by id at the end', async () => {
    const bulkFile = join(dir, 'bulk-changes.sqlite');
    const partFile = join(dir, 'bulk-part.sqlite');
    const part = SqliteReadStore.open(partFile, { bulkLoad: true });
    const decisions = { name: 'decisions', indexes: ['n'] };
    await part.ensureCollections([decisions]);
    await part.commit(
      [
        { collection: 'decisions', id: 'd1', doc: { id: 'd1', n: 1 } },
        { collection: 'decisions', id: 'd2', doc: { id: 'd2', n: 2 } },
      ],
      [],
    );
    await part.commit([{ collection: 'decisions', id: 'd1', doc: { id: 'd1', n: 10 } }], []);
    // Indexed before it is copied, as a rebuild's part is: the indexes come with the copy.
    await part.indexBulkLoad();
    await part.close();

    const store = SqliteReadStore.open(bulkFile, { bulkLoad: true });
    await store.ensureCollections([{ name: 'workers', indexes: [] }]);
    await store.commit(
      [
        { collection: 'workers', id: 'w1', doc: { id: 'w1', v: 1 } },
        { collection: 'workers', id: 'w2', doc: { id: 'w2', v: 1 } },
        { collection: 'workers', id: 'w3', doc: { id: 'w3', v: 1 } },
      ],
      [{ projection: 'p', position: 3 }],
    );
    // A later batch changes a document already written, deletes another, and deletes one never written.
    await store.commit(
      [
        { collection: 'workers', id: 'w1', doc: { id: 'w1', v: 2 } },
        { collection: 'workers', id: 'w2', doc: null },
        { collection: 'workers', id: 'nobody', doc: null },
      ],
      [{ projection: 'p', position: 5 }],
    );
    expect(await store.get('workers', 'w1')).toEqual({ id: 'w1', v: 2 });
    expect(await store.get('workers', 'w2')).toBeNull();
    expect(await store.get('workers', 'w3')).toEqual({ id: 'w3', v: 1 });
    expect(await store.get('workers', 'nobody')).toBeNull();
    // Deleted, then written again.
    await store.commit([{ collection: 'workers', id: 'w2', doc: { id: 'w2', v: 3 } }], []);
    expect(await store.get('workers', 'w2')).toEqual({ id: 'w2', v: 3 });

    await store.copyCollectionsFrom(partFile, [decisions]);
    expect(await store.get('decisions', 'd1')).toEqual({ id: 'd1', n: 10 });
    await store.commit([{ collection: 'decisions', id: 'd2', doc: { id: 'd2', n: 20 } }], []);
    expect(await store.find('decisions', {})).toEqual([
      { id: 'd1', n: 10 },
      { id: 'd2', n: 20 },
    ]);
    await store.finishBulkLoad();
    await store.close();

    const reopened = SqliteReadStore.open(bulkFile);
    await reopened.ensureCollections([{ name: 'workers', indexes: [] }, decisions]);
    expect(await reopened.find('decisions', { n: 20 })).toEqual([{ id: 'd2', n: 20 }]);
    expect(await reopened.find('workers', {})).toEqual([
      { id: 'w1', v: 2 },
      { id: 'w2', v: 3 },
      { id: 'w3', v: 1 },
    ]);
    expect(await reopened.getCheckpoint('p')).toBe(5);
    // After the load the collections are keyed by id as any other: a write replaces, never duplicates.
    await reopened.commit([{ collection: 'workers', id: 'w3', doc: { id: 'w3', v: 4 } }], []);
    expect(await reopened.get('workers', 'w3')).toEqual({ id: 'w3', v: 4 });
    expect(await reopened.count('workers', {})).toBe(3);
    await reopened.close();

    const Database = (await import('better-sqlite3')).default;
    const db = new Database(bulkFile, { readonly: true });
    try {
      const plan = db.prepare('EXPLAIN QUERY PLAN SELECT doc FROM workers WHERE id = ?').all('w1') as {
        detail: string;
      }[];
      expect(plan.map((row) => row.detail).join(' ')).toMatch(/USING INDEX pk:workers/);
      expect(() => db.prepare("INSERT INTO workers (id, doc) VALUES ('w1', '{}')").run()).toThrow();
      // The copied collection has its indexes, once each, and they hold every row, the one written
      // after the copy included.
      const indexes = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions' ORDER BY name",
        )
        .pluck()
        .all();
      expect(indexes).toEqual(['ix:decisions:n', 'pk:decisions']);
      expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
      expect(() => db.prepare("INSERT INTO decisions (id, doc) VALUES ('d1', '{}')").run()).toThrow();
    } finally {
      db.close();
    }
  });

  it('copies in a part that was not indexed first, and indexes it all the same', async () => {
    const partFile = join(dir, 'unindexed-part.sqlite');
    const part = SqliteReadStore.open(partFile, { bulkLoad: true });
    const stats = { name: 'stats', indexes: ['scope'] };
    await part.ensureCollections([stats]);
    await part.commit(
      [
        { collection: 'stats', id: 'total', doc: { id: 'total', scope: 'total' } },
        { collection: 'stats', id: 'week:1', doc: { id: 'week:1', scope: 'week' } },
      ],
      [],
    );
    await part.close();

    const file = join(dir, 'copied-unindexed.sqlite');
    const store = SqliteReadStore.open(file, { bulkLoad: true });
    await store.copyCollectionsFrom(partFile, [stats]);
    await store.finishBulkLoad();
    expect(await store.find('stats', { scope: 'week' })).toEqual([{ id: 'week:1', scope: 'week' }]);
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('PRAGMA integrity_check').pluck().get()).toBe('ok');
      const plan = db.prepare(
        "EXPLAIN QUERY PLAN SELECT doc FROM stats WHERE json_extract(doc, '$.scope') = ?",
      );
      expect((plan.all('week') as { detail: string }[]).map((row) => row.detail).join(' ')).toMatch(
        /USING INDEX ix:stats:scope/,
      );
    } finally {
      db.close();
    }
  });

  it('refuses to bulk load into a file that already holds the collection', async () => {
    const usedFile = join(dir, 'bulk-used.sqlite');
    const used = SqliteReadStore.open(usedFile);
    await used.ensureCollections([{ name: 'workers', indexes: [] }]);
    await used.close();
    const store = SqliteReadStore.open(usedFile, { bulkLoad: true });
    await expect(store.ensureCollections([{ name: 'workers', indexes: [] }])).rejects.toThrow(
      /fresh file, but workers already exists/,
    );
    await store.close();
  });
});

describe('SQLite read store, indexes', () => {
  it('drops the indexes a collection no longer declares, and keeps its documents and other indexes', async () => {
    const indexFile = join(dir, 'indexes.sqlite');
    const indexesOf = async () => {
      const Database = (await import('better-sqlite3')).default;
      const db = new Database(indexFile, { readonly: true });
      try {
        return db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'ix:%' ORDER BY name")
          .pluck()
          .all();
      } finally {
        db.close();
      }
    };
    const before = SqliteReadStore.open(indexFile);
    await before.ensureCollections([
      { name: 'queue', indexes: ['gate', 'agencyId'] },
      { name: 'other', indexes: ['gate'] },
    ]);
    await before.commit(
      [{ collection: 'queue', id: 'q1', doc: { id: 'q1', gate: 'issue', agencyId: 'a' } }],
      [],
    );
    await before.close();
    expect(await indexesOf()).toEqual(['ix:other:gate', 'ix:queue:agencyId', 'ix:queue:gate']);

    const after = SqliteReadStore.open(indexFile);
    await after.ensureCollections([{ name: 'queue', indexes: ['gate'] }]);
    expect(await indexesOf()).toEqual(['ix:other:gate', 'ix:queue:gate']);
    // Still answered, by the remaining index or by a scan.
    expect(await after.count('queue', { gate: 'issue' })).toBe(1);
    expect(await after.count('queue', { agencyId: 'a' })).toBe(1);
    await after.close();
  });
});
