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
