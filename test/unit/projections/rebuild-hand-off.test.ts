import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { HandingOffReadStore, takeHandedOff } from '../../../src/infrastructure/rebuild-hand-off';
import { SqliteReadStore } from '../../../src/infrastructure/sqlite/sqlite-read-store';

/** A turn of the event loop: what the taking thread's catch-up does between the pieces it reads. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('collections handed off from one rebuild thread to the other (HandingOffReadStore → takeHandedOff)', () => {
  let dir: string;
  let mine: SqliteReadStore;
  let theirs: SqliteReadStore;
  let handing: HandingOffReadStore;
  let taken: Promise<void>;
  let ports: { port1: MessagePort; port2: MessagePort };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hand-off-'));
    mine = SqliteReadStore.open(join(dir, 'mine.db'), { bulkLoad: true });
    theirs = SqliteReadStore.open(join(dir, 'theirs.db'), { bulkLoad: true });
    ports = new MessageChannel();
    handing = new HandingOffReadStore(mine, ports.port1, ['roster']);
    taken = takeHandedOff(ports.port2, theirs);
    taken.catch(() => undefined);
    await handing.ensureCollections([
      { name: 'workers', indexes: [] },
      { name: 'roster', indexes: ['agencyId'] },
    ]);
  });

  afterEach(async () => {
    await handing.close();
    await theirs.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the handed-off documents into the other file, the rest and the checkpoint here', async () => {
    await handing.commit(
      [
        { collection: 'workers', id: 'w1', doc: { id: 'w1', name: 'a' } },
        { collection: 'roster', id: 'w1', doc: { id: 'w1', agencyId: 'ag-1' } },
        { collection: 'roster', id: 'w2', doc: { id: 'w2', agencyId: 'ag-2' } },
      ],
      [{ projection: 'rebuild', position: 7 }],
    );
    await handing.commit([{ collection: 'roster', id: 'w2', doc: null }], []);
    handing.end();
    await taken;

    expect(await mine.get('workers', 'w1')).toEqual({ id: 'w1', name: 'a' });
    expect(await mine.getCheckpoint('rebuild')).toBe(7);
    expect(await theirs.get('roster', 'w1')).toEqual({ id: 'w1', agencyId: 'ag-1' });
    expect(await theirs.get('roster', 'w2')).toBeNull();
    expect(await theirs.getCheckpoint('rebuild')).toBe(0);
    // The other file made the table, and builds its held-back indexes with its own.
    await theirs.indexBulkLoad();
    expect(await theirs.find('roster', { agencyId: 'ag-1' })).toEqual([{ id: 'w1', agencyId: 'ag-1' }]);
  });

  it('answers a read of a handed-off document after every write sent before it, when the other side turns', async () => {
    await handing.commit([{ collection: 'roster', id: 'w1', doc: { id: 'w1', agencyId: 'ag-1' } }], []);
    await handing.commit([{ collection: 'roster', id: 'w1', doc: { id: 'w1', agencyId: 'ag-9' } }], []);
    const read = handing.get('roster', 'w1');
    await turn();
    expect(await read).toEqual({ id: 'w1', agencyId: 'ag-9' });
    expect(await handing.get('roster', 'nobody')).toBeNull();
    // Documents kept here are read here.
    await handing.commit([{ collection: 'workers', id: 'w1', doc: { id: 'w1' } }], []);
    expect(await handing.get('workers', 'w1')).toEqual({ id: 'w1' });
  });

  it('refuses find and count on a handed-off collection, and nothing more after the end', async () => {
    await expect(handing.find('roster', {})).rejects.toThrow('find on roster, handed off');
    await expect(handing.count('roster', {})).rejects.toThrow('count on roster, handed off');
    expect(await handing.count('workers', {})).toBe(0);
    handing.end();
    await taken;
    await expect(handing.commit([{ collection: 'roster', id: 'w1', doc: { id: 'w1' } }], [])).rejects.toThrow(
      'already ended',
    );
  });

  it('checks a change before writing anything on either side', async () => {
    await expect(
      handing.commit(
        [
          { collection: 'workers', id: 'w1', doc: { id: 'w1' } },
          { collection: 'roster', id: 42 as unknown as string, doc: { id: 'x' } },
        ],
        [{ projection: 'rebuild', position: 3 }],
      ),
    ).rejects.toThrow('Invalid document id in roster: 42');
    handing.end();
    await taken;
    expect(await mine.count('workers', {})).toBe(0);
    expect(await mine.getCheckpoint('rebuild')).toBe(0);
    expect(await theirs.count('roster', {})).toBe(0);
  });

  it('fails the taking side when a write fails there, and the reading side with it', async () => {
    // A collection the other file never made: its write fails there.
    const stray = new HandingOffReadStore(mine, ports.port1, ['roster', 'queue']);
    await stray.commit([{ collection: 'queue', id: 'c1', doc: { id: 'c1' } }], []);
    const read = stray.get('roster', 'w1');
    await expect(taken).rejects.toThrow('queue');
    await expect(read).rejects.toThrow('went away');
  });

  it('fails the taking side when the handing side goes away before the end', async () => {
    ports.port1.close();
    await expect(taken).rejects.toThrow('went away before their end');
  });
});
