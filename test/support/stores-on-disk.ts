import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';

export interface StoresOnDisk {
  /** The test's own directory, for any other file it needs. */
  readonly dir: string;
  readonly events: SqliteEventStore;
  readonly reads: SqliteReadStore;
}

/**
 * A fresh SQLite event store and read store in a directory of their own for each test of the
 * calling file (registers its beforeEach and afterEach), closed and removed after it.
 */
export function storesOnDisk(prefix: string): StoresOnDisk {
  let current: StoresOnDisk | undefined;
  beforeEach(() => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    current = {
      dir,
      events: SqliteEventStore.open(join(dir, 'events.db')),
      reads: SqliteReadStore.open(join(dir, 'read.db')),
    };
  });
  afterEach(async () => {
    if (!current) return;
    await current.events.close();
    await current.reads.close();
    rmSync(current.dir, { recursive: true, force: true });
    current = undefined;
  });
  const now = (): StoresOnDisk => {
    if (!current) throw new Error('storesOnDisk: used outside a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get events() {
      return now().events;
    },
    get reads() {
      return now().reads;
    },
  };
}
