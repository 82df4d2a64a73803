import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GroupTransaction } from '../../src/infrastructure/sqlite/group-commit';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';

/**
 * Another process commits back to back, taking the write lock again at once, for longer than the
 * busy timeout (5 s): with SQLite's own busy handler alone (its tries up to 100 ms apart) a writer
 * waiting for the lock could fail with "database is locked".
 */
const HOLDER = `
  const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
  const db = new Database(process.argv[1]);
  db.pragma('synchronous = FULL');
  const insert = db.prepare("INSERT INTO t (who) VALUES ('holder')");
  const until = Date.now() + Number(process.argv[2]);
  let first = true;
  // Each transaction holds the lock for a few milliseconds (many rows, then a sync); the next one
  // takes it again within microseconds.
  while (Date.now() < until) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < 300; i++) insert.run();
    db.exec('COMMIT');
    if (first) { process.stdout.write('holding\\n'); first = false; }
  }
  db.close();
`;

describe('GroupTransaction and the write lock', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'group-lock-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('gets the lock from a writer that commits back to back for longer than the busy timeout', async () => {
    const file = join(dir, 'lock.db');
    const db = openDatabase(file);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)');
    const holder = spawn(process.execPath, ['-e', HOLDER, file, '7000'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ended = new Promise<number | null>((resolve) => holder.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the holder exited (${code}) before holding`)));
      });
      const insert = db.prepare("INSERT INTO t (who) VALUES ('group')");
      const outcomes = new GroupTransaction(db).run([() => insert.run().changes]);
      expect(outcomes).toEqual([{ ok: true, value: 1 }]);
      // Within the holder's run (not after it ended): the group found a gap between its transactions.
      expect(holder.exitCode).toBeNull();
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      expect(await ended).toBe(0);
      db.close();
    }
    const check = openDatabase(file);
    try {
      expect(check.prepare("SELECT COUNT(*) FROM t WHERE who = 'group'").pluck().get()).toBe(1);
    } finally {
      check.close();
    }
  }, 20_000);
});
