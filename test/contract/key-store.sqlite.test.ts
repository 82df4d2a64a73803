import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createKeyEncryptionKey,
  loadKeyEncryptionKeys,
  retireKeyEncryptionKey,
} from '../../src/infrastructure/crypto/key-encryption-keys';
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
