import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKeyEncryptionKey,
  loadKeyEncryptionKeys,
  retireKeyEncryptionKey,
} from '../../src/infrastructure/crypto/key-encryption-keys';
import type { DataKeyLookup } from '../../src/application/ports/key-store';
import { SqliteKeyStore } from '../../src/infrastructure/sqlite/sqlite-key-store';
import { describeKeyStoreContract } from './key-store.contract';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'key-store-sqlite-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const kekDir = () => join(dir, 'kek');
const file = () => join(dir, 'keys.db');

describeKeyStoreContract('SQLite', {
  open: async () => SqliteKeyStore.open(file(), loadKeyEncryptionKeys(kekDir())),
  reopen: async () => SqliteKeyStore.open(file(), loadKeyEncryptionKeys(kekDir())),
});

describeKeyStoreContract('SQLite, new keys stored by a writer thread', {
  open: async () =>
    SqliteKeyStore.open(join(dir, 'keys-thread.db'), loadKeyEncryptionKeys(kekDir()), {
      createOnThread: true,
    }),
  reopen: async () =>
    SqliteKeyStore.open(join(dir, 'keys-thread.db'), loadKeyEncryptionKeys(kekDir()), {
      createOnThread: true,
    }),
});

describeKeyStoreContract('SQLite, read through a memory map (a rebuild)', {
  open: async () =>
    SqliteKeyStore.open(join(dir, 'keys-mapped.db'), loadKeyEncryptionKeys(kekDir()), {
      mapBytes: 64 * 1024 * 1024,
    }),
  reopen: async () =>
    SqliteKeyStore.open(join(dir, 'keys-mapped.db'), loadKeyEncryptionKeys(kekDir()), {
      mapBytes: 64 * 1024 * 1024,
    }),
});

describeKeyStoreContract('SQLite, rows read ahead in the order the keys were made (a rebuild)', {
  open: async () =>
    SqliteKeyStore.open(join(dir, 'keys-ahead.db'), loadKeyEncryptionKeys(kekDir()), { readAhead: true }),
  reopen: async () =>
    SqliteKeyStore.open(join(dir, 'keys-ahead.db'), loadKeyEncryptionKeys(kekDir()), { readAhead: true }),
});

describe('SqliteKeyStore reading ahead', () => {
  const made = async (file: string, count: number) => {
    const maker = SqliteKeyStore.open(file, loadKeyEncryptionKeys(kekDir()));
    const keys = new Map<string, Buffer>();
    for (let n = 0; n < count; n++) keys.set(`worker-${n}`, await maker.getOrCreate(`worker-${n}`));
    await maker.close();
    return keys;
  };
  const activeKey = (found: Map<string, DataKeyLookup>, id: string) => {
    const entry = found.get(id);
    return entry?.state === 'active' ? entry.key : undefined;
  };

  it('answers every key, whether read ahead or looked up by id: in order, far behind, twice or missing', async () => {
    const file = join(dir, 'keys-ahead-order.db');
    const keys = await made(file, 7_000);
    const reader = SqliteKeyStore.open(file, loadKeyEncryptionKeys(kekDir()), { readAhead: true });
    const ids = [...keys.keys()];
    // Nearly in the order they were made, as a rebuild asks: pieces of 75, each a little shuffled.
    for (let from = 0; from < 6_000; from += 75) {
      const piece = ids.slice(from, from + 75).reverse();
      const found = await reader.lookup(piece);
      for (const id of piece) expect(activeKey(found, id)?.equals(keys.get(id)!)).toBe(true);
    }
    // Read ahead and dropped long since, asked for again, past the end, and never made.
    const found = await reader.lookup(['worker-10', 'worker-5999', 'worker-6999', 'worker-none']);
    for (const id of ['worker-10', 'worker-5999', 'worker-6999']) {
      expect(activeKey(found, id)?.equals(keys.get(id)!)).toBe(true);
    }
    expect(found.get('worker-none')).toEqual({ state: 'missing' });
    await reader.close();
  });

  it("holds its own destroy at once, and answers what it read ahead as it was then (another process's destroy after that is not seen)", async () => {
    const file = join(dir, 'keys-ahead-destroy.db');
    const keys = await made(file, 10);
    const reader = SqliteKeyStore.open(file, loadKeyEncryptionKeys(kekDir()), { readAhead: true });
    const other = SqliteKeyStore.open(file, loadKeyEncryptionKeys(kekDir()));
    // Reads the file's ten rows ahead.
    expect(activeKey(await reader.lookup(['worker-0']), 'worker-0')?.equals(keys.get('worker-0')!)).toBe(
      true,
    );
    await reader.destroy('worker-1', '2026-12-05T08:00:00.000Z');
    expect((await reader.lookup(['worker-1'])).get('worker-1')?.state).toBe('destroyed');
    await other.destroy('worker-2', '2026-12-05T08:00:00.000Z');
    expect(activeKey(await reader.lookup(['worker-2']), 'worker-2')?.equals(keys.get('worker-2')!)).toBe(
      true,
    );
    // Taken once: asked again, it is looked up by id, and the destroy is seen.
    expect((await reader.lookup(['worker-2'])).get('worker-2')?.state).toBe('destroyed');
    await other.close();
    await reader.close();
  });
});

describe('SqliteKeyStore specifics', () => {
  const fresh = () => {
    const root = mkdtempSync(join(dir, 'own-'));
    return { kek: join(root, 'kek'), file: join(root, 'keys.db') };
  };

  it('stores keys wrapped by the KEK: the file holds no raw key, and another KEK cannot unwrap them', async () => {
    const paths = fresh();
    const store = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(paths.kek));
    const key = await store.getOrCreate('worker-1');
    await store.close();
    expect(readFileSync(paths.file).includes(key)).toBe(false);
    const stranger = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(join(dir, 'another-kek')));
    await expect(stranger.lookup(['worker-1'])).rejects.toThrow(/not in the KEK directory/);
    await stranger.close();
  });

  it('leaves no trace of a destroyed key in the file or its WAL', async () => {
    const paths = fresh();
    const store = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(paths.kek));
    await store.getOrCreate('worker-2');
    const db = new Database(paths.file, { readonly: true });
    const wrapped = (
      db.prepare('SELECT wrapped FROM data_keys WHERE key_id = ?').get('worker-2') as { wrapped: Buffer }
    ).wrapped;
    db.close();
    await store.destroy('worker-2', '2026-11-24T08:00:00.000Z');
    const bytes = Buffer.concat([
      readFileSync(paths.file),
      ...['-wal', '-shm'].map((suffix) => {
        try {
          return readFileSync(paths.file + suffix);
        } catch {
          return Buffer.alloc(0);
        }
      }),
    ]);
    expect(bytes.includes(wrapped)).toBe(false);
    await store.close();
  });

  it('rotates the KEK: every key rewrapped under the new one, the old one retired, the keys unchanged', async () => {
    const paths = fresh();
    const before = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(paths.kek));
    const keys = await Promise.all(['a', 'b', 'c'].map((id) => before.getOrCreate(id)));
    await before.destroy('c', '2026-11-24T08:00:00.000Z');
    const oldKek = loadKeyEncryptionKeys(paths.kek).current.id;
    await before.close();

    const fresher = createKeyEncryptionKey(paths.kek, new Date(Date.now() + 1000));
    const rotating = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(paths.kek));
    const { rewrapped, unusedKekIds } = rotating.rewrapAll();
    expect(rewrapped).toBe(2);
    expect(unusedKekIds).toEqual([oldKek]);
    retireKeyEncryptionKey(paths.kek, oldKek);
    await rotating.close();

    const after = SqliteKeyStore.open(paths.file, loadKeyEncryptionKeys(paths.kek));
    expect(loadKeyEncryptionKeys(paths.kek).current.id).toBe(fresher.id);
    const found = await after.lookup(['a', 'b', 'c']);
    for (const [i, id] of ['a', 'b'].entries()) {
      const entry = found.get(id);
      expect(entry?.state === 'active' && entry.key.equals(keys[i]!)).toBe(true);
    }
    expect(found.get('c')?.state).toBe('destroyed');
    await after.close();
  });
});
