import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ReadModelsInUseError } from '../../src/infrastructure/live-read-models-lease';
import { CHECKPOINT_NAME } from '../../src/infrastructure/read-models';
import { rebuildReadModels } from '../../src/infrastructure/rebuild';
import { eventStoreFile, readStoreFile } from '../../src/infrastructure/storage';
import { agencyWithStaff, registeredWorker } from '../support/fixtures';
import { readReadModels } from '../support/read-models';
import { removeDataDir, startRegistry, temporaryDataDir } from '../support/registry';

describe('npm run rebuild (SQLite): the live read models are replaced only by a complete rebuild', () => {
  const dataDir = temporaryDataDir();
  const dirs = [dataDir];

  afterAll(() => dirs.forEach(removeDataDir));

  it('swaps a complete rebuild in, and leaves the live file alone (and no half file) when it fails', async () => {
    const registry = await startRegistry(dataDir);
    const scenario = await agencyWithStaff(registry);
    await registeredWorker(registry, scenario);
    await registry.close();

    const rebuilt = await rebuildReadModels(dataDir, { swap: true });
    expect(rebuilt.position).toBeGreaterThan(0);
    expect(existsSync(`${readStoreFile(dataDir)}.rebuilding`)).toBe(false);
    expect(existsSync(`${readStoreFile(dataDir)}.rebuilding.part`)).toBe(false);
    // The read models, not the file's bytes: the rebuild held the file's projection lease meanwhile.
    const live = await readReadModels(readStoreFile(dataDir));

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
    expect(await readReadModels(readStoreFile(dataDir))).toEqual(live);
    expect(existsSync(join(dataDir, 'read.db.rebuilding'))).toBe(false);
    // Nor the part the second thread projected.
    expect(existsSync(join(dataDir, 'read.db.rebuilding.part'))).toBe(false);
  });

  it('refuses to replace the read models while the service runs on them, and changes nothing', async () => {
    const dataDir = temporaryDataDir();
    dirs.push(dataDir);
    const registry = await startRegistry(dataDir);
    try {
      const scenario = await agencyWithStaff(registry);
      await registeredWorker(registry, scenario);
      const head = (await registry.request('GET', '/health')).body.eventStore.head as number;
      await registry.request('GET', `/health?minPosition=${head}`);
      const before = await readReadModels(readStoreFile(dataDir));

      const refusal = rebuildReadModels(dataDir, { swap: true });
      await expect(refusal).rejects.toThrow(ReadModelsInUseError);
      // It names who runs the projections: this machine and process (the service runs in the test's).
      await expect(refusal).rejects.toThrow(`${hostname()}:${process.pid}:`);
      expect(existsSync(`${readStoreFile(dataDir)}.rebuilding`)).toBe(false);
      expect(await readReadModels(readStoreFile(dataDir))).toEqual(before);
      // The service goes on projecting into its file.
      await registeredWorker(registry, scenario);
      const after = (await registry.request('GET', '/health')).body.eventStore.head as number;
      expect(after).toBeGreaterThan(head);
      const caughtUp = await registry.request('GET', `/health?minPosition=${after}`);
      expect(caughtUp.body.projections.position).toBe(after);
      // Into another file, a rebuild needs nothing of the live one.
      const beside = await rebuildReadModels(dataDir, { target: join(dataDir, 'beside.db') });
      expect(beside.position).toBe(after);
    } finally {
      await registry.close();
    }
    // Stopped, the service gave the lease up: the rebuild replaces the file.
    const rebuilt = await rebuildReadModels(dataDir, { swap: true });
    expect(rebuilt.file).toBe(readStoreFile(dataDir));
  });

  it('runs as `npm run rebuild` does, replacing the live read models, without starting the application', async () => {
    const dataDir = temporaryDataDir();
    dirs.push(dataDir);
    const registry = await startRegistry(dataDir);
    const scenario = await agencyWithStaff(registry);
    await registeredWorker(registry, scenario);
    const head = (await registry.request('GET', '/health')).body.eventStore.head as number;
    await registry.close();
    const before = await readReadModels(readStoreFile(dataDir));

    const cli = join(__dirname, '..', '..', 'src', 'infrastructure', 'cli', 'rebuild.ts');
    // Counts, at its exit, the modules the process loaded of the application's wiring, of Nest (the
    // projection runner's logger included: it loads Nest only to report something) and of rxjs.
    const loaded =
      'process.on("exit", () => console.log("loaded:", Object.keys(require.cache).filter((f) => /app[.]module|@nestjs[/]|[/]rxjs[/]/.test(f)).length))';
    const run = spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', `${loaded}; require(${JSON.stringify(cli)})`],
      { env: { ...process.env, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`rebuilt 11 projections \\(.*\\) up to position ${head} in `));
    // The embedded rebuild needs neither Nest nor the application's module (only the MongoDB one does),
    // nor do its threads, whose modules (rebuild.ts and what it imports) the CLI loads too
    // (docs/performance.md, item 107).
    expect(run.stdout).toContain('loaded: 0');
    expect(await readReadModels(readStoreFile(dataDir))).toEqual(before);
    expect(existsSync(`${readStoreFile(dataDir)}.rebuilding`)).toBe(false);
  });

  it('takes the lease over from a service that crashed, as the service itself would', async () => {
    const dataDir = temporaryDataDir();
    dirs.push(dataDir);
    const registry = await startRegistry(dataDir);
    await agencyWithStaff(registry);
    await registry.close();
    const crashed = spawnSync(process.execPath, ['-e', '']).pid;
    const live = new Database(readStoreFile(dataDir));
    live
      .prepare('INSERT OR REPLACE INTO _leases (name, holder, expires_at) VALUES (?, ?, ?)')
      .run(CHECKPOINT_NAME, `${hostname()}:${crashed}:0123456789abcdef`, Date.now() + 60_000);
    live.close();
    const rebuilt = await rebuildReadModels(dataDir, { swap: true });
    expect(rebuilt.position).toBeGreaterThan(0);
    const leases = new Database(readStoreFile(dataDir), { readonly: true });
    try {
      // The fresh file holds no lease: the next service takes it at once.
      expect(leases.prepare('SELECT * FROM _leases').all()).toEqual([]);
    } finally {
      leases.close();
    }
  });
});
