import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import { describeLeaseStoreContract } from './lease-store.contract';

const dir = mkdtempSync(join(tmpdir(), 'lease-store-contract-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeLeaseStoreContract('SQLite', { open: async () => SqliteReadStore.open(join(dir, 'read.sqlite')) });
