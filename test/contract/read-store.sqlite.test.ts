import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
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

const threadFile = join(dir, 'read-thread.sqlite');
describeReadStoreContract('SQLite, commits on a writer thread', {
  open: async () => SqliteReadStore.open(threadFile, { commitOnThread: true }),
  reopen: async () => SqliteReadStore.open(threadFile, { commitOnThread: true }),
});

describe('SQLite read store, bulk load (a rebuild into a fresh file)', () => {
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
