import Database from 'better-sqlite3';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';
import { WalCheckpointer } from '../../src/infrastructure/sqlite/wal-checkpointer';
import { niceValuesOfThreads, onLinux } from '../support/thread-nice';

const dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The rows the database file itself holds, without its write-ahead log (a copy of the file alone);
 * -1 when the copy caught a checkpoint half-way through writing the file (try again).
 */
function rowsInFileAlone(file: string, table: string): number {
  const copy = `${file}.alone`;
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    const exists = db.prepare('SELECT 1 FROM sqlite_master WHERE name = ?').get(table) !== undefined;
    return exists ? (db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number) : 0;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CORRUPT') return -1;
    throw error;
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

async function eventually(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not within the time allowed');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WalCheckpointer', () => {
  it("copies each file's write-ahead log into the file while its writer stays open and never checkpoints", async () => {
    const files = ['a.db', 'b.db'].map((name) => join(dir, name));
    const writers = files.map((file) => {
      const db = openDatabase(file);
      // The writer never copies its log itself: only the checkpointer can have put rows into the file.
      db.pragma('wal_autocheckpoint = 0');
      db.exec('CREATE TABLE t (n INTEGER)');
      return db;
    });
    const checkpointer = WalCheckpointer.start(files, { intervalMs: 20 });
    try {
      for (const db of writers) {
        const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
        for (let n = 0; n < 50; n++) insert.run(n);
      }
      for (const file of files) await eventually(() => rowsInFileAlone(file, 't') === 50);
      // The writers go on: later commits reach the files too.
      for (const db of writers) db.prepare('INSERT INTO t (n) VALUES (50)').run();
      for (const file of files) await eventually(() => rowsInFileAlone(file, 't') === 51);
    } finally {
      await checkpointer.close();
      writers.forEach((db) => db.close());
    }
  });

  it('closes its thread, and closing again or after the thread ended answers at once', async () => {
    const file = join(dir, 'c.db');
    openDatabase(file).close();
    const checkpointer = WalCheckpointer.start([file], { intervalMs: 20 });
    await checkpointer.close();
    await checkpointer.close();
  });

  onLinux('runs its thread the given number of nice levels lower, and only its thread', async () => {
    const file = join(dir, 'd.db');
    openDatabase(file).close();
    const base = getPriority();
    const checkpointer = WalCheckpointer.start([file], { intervalMs: 20, nice: 3 });
    try {
      await eventually(() => niceValuesOfThreads().includes(base + 3));
      expect(niceValuesOfThreads().filter((nice) => nice === base + 3)).toHaveLength(1);
      expect(getPriority()).toBe(base);
    } finally {
      await checkpointer.close();
    }
  });
});
