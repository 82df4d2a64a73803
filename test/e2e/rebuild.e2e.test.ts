import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { rebuildReadModels } from '../../src/infrastructure/rebuild';
import { eventStoreFile, readStoreFile } from '../../src/infrastructure/storage';
import { agencyWithStaff, registeredWorker } from '../support/fixtures';
import { removeDataDir, startRegistry, temporaryDataDir } from '../support/registry';

describe('npm run rebuild (SQLite): the live read models are replaced only by a complete rebuild', () => {
  const dataDir = temporaryDataDir();

  afterAll(() => removeDataDir(dataDir));

  it('swaps a complete rebuild in, and leaves the live file alone (and no half file) when it fails', async () => {
    const registry = await startRegistry(dataDir);
    const scenario = await agencyWithStaff(registry);
    await registeredWorker(registry, scenario);
    await registry.close();

    const rebuilt = await rebuildReadModels(dataDir, { swap: true });
    expect(rebuilt.position).toBeGreaterThan(0);
    expect(existsSync(`${readStoreFile(dataDir)}.rebuilding`)).toBe(false);
    expect(existsSync(`${readStoreFile(dataDir)}.rebuilding.part`)).toBe(false);
    const live = readFileSync(readStoreFile(dataDir));

    // An event the projections cannot read (its data is not JSON): the rebuild fails part-way.
    const events = new Database(eventStoreFile(dataDir));
    const stream = events.prepare("INSERT INTO streams (stream_id) VALUES ('agency-broken')").run();
    events
      .prepare(
        'INSERT INTO events (id, stream_id, stream_key, revision, type, schema_version, data, metadata) VALUES (?, ?, ?, 0, ?, 1, ?, ?)',
      )
      .run('broken-event', 'agency-broken', stream.lastInsertRowid, 'AgencyRegistered', '{not json', '{}');
    events.close();

    await expect(rebuildReadModels(dataDir, { swap: true })).rejects.toThrow();
    expect(readFileSync(readStoreFile(dataDir)).equals(live)).toBe(true);
    expect(existsSync(join(dataDir, 'read.db.rebuilding'))).toBe(false);
    // Nor the part the second thread projected.
    expect(existsSync(join(dataDir, 'read.db.rebuilding.part'))).toBe(false);
  });
});
