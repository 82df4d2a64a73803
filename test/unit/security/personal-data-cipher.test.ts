import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyDestroyedError, type KeyStore } from '../../../src/application/ports/key-store';
import { loadKeyEncryptionKeys } from '../../../src/infrastructure/crypto/key-encryption-keys';
import {
  AesGcmPersonalDataCipher,
  MADE_KEYS_KEPT,
} from '../../../src/infrastructure/crypto/personal-data-cipher';
import { SqliteKeyStore } from '../../../src/infrastructure/sqlite/sqlite-key-store';

const FIELDS = { name: '欧阳娜娜', phone: '13912345678' };

/** The real key store, counting the reads of a key that a seal makes. */
function counting(store: KeyStore): KeyStore & { readonly reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    getOrCreate: (keyId) => {
      reads.push(keyId);
      return store.getOrCreate(keyId);
    },
    createIfAbsent: (keyId) => store.createIfAbsent(keyId),
    lookup: (keyIds) => store.lookup(keyIds),
    destroy: (keyId, at) => store.destroy(keyId, at),
    close: () => store.close(),
  };
}

describe('AesGcmPersonalDataCipher: a registration key handed to its seal', () => {
  let dir: string;
  let store: SqliteKeyStore;
  let keys: ReturnType<typeof counting>;
  let cipher: AesGcmPersonalDataCipher;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cipher-'));
    store = SqliteKeyStore.open(join(dir, 'keys.db'), loadKeyEncryptionKeys(join(dir, 'kek')));
    keys = counting(store);
    cipher = new AesGcmPersonalDataCipher(keys);
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seals under the key ensureKey made without reading it back, and the envelope opens from the store', async () => {
    await cipher.ensureKey('worker-w1');
    const sealed = await cipher.seal('worker-w1', FIELDS, 'event:worker-w1:e1');
    expect(keys.reads).toEqual([]);
    // Opened by another cipher, from what the key store holds: the handed key is the stored one.
    const [opened] = await new AesGcmPersonalDataCipher(store).open([
      { sealed, context: 'event:worker-w1:e1' },
    ]);
    expect(opened).toEqual(FIELDS);
  });

  it('hands the key to one seal only: the next reads the key store', async () => {
    await cipher.ensureKey('worker-w2');
    await cipher.seal('worker-w2', FIELDS, 'event:worker-w2:e1');
    const second = await cipher.seal('worker-w2', FIELDS, 'event:worker-w2:e2');
    expect(keys.reads).toEqual(['worker-w2']);
    expect(await cipher.open([{ sealed: second, context: 'event:worker-w2:e2' }])).toEqual([FIELDS]);
  });

  it('hands over the stored key when the key existed already (a retried registration)', async () => {
    const stored = await store.getOrCreate('worker-w3');
    await cipher.ensureKey('worker-w3');
    const sealed = await cipher.seal('worker-w3', FIELDS, 'event:worker-w3:e1');
    const found = (await store.lookup(['worker-w3'])).get('worker-w3');
    expect(found?.state === 'active' && found.key.equals(stored)).toBe(true);
    expect(await cipher.open([{ sealed, context: 'event:worker-w3:e1' }])).toEqual([FIELDS]);
  });

  it('forgets a handed key when the key is destroyed: no seal under it afterwards', async () => {
    await cipher.ensureKey('worker-w4');
    await cipher.destroyKey('worker-w4', '2026-11-24T08:00:00.000Z');
    await expect(cipher.seal('worker-w4', FIELDS, 'event:worker-w4:e1')).rejects.toBeInstanceOf(
      KeyDestroyedError,
    );
  });

  it(`keeps at most ${MADE_KEYS_KEPT} keys waiting: the oldest unsealed one is dropped first`, async () => {
    const ids = Array.from({ length: MADE_KEYS_KEPT + 1 }, (_, i) => `worker-many-${i}`);
    for (const id of ids) await cipher.ensureKey(id);
    await cipher.seal(ids[1]!, FIELDS, 'event:second');
    expect(keys.reads).toEqual([]);
    const sealed = await cipher.seal(ids[0]!, FIELDS, 'event:first');
    expect(keys.reads).toEqual([ids[0]]);
    expect(await cipher.open([{ sealed, context: 'event:first' }])).toEqual([FIELDS]);
  });
});
