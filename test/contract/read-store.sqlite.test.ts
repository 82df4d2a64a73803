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
