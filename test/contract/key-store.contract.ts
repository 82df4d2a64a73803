import { randomUUID } from 'node:crypto';
import { KeyDestroyedError, type KeyStore } from '../../src/application/ports/key-store';

export interface KeyStoreFactory {
  open(): Promise<KeyStore>;
  /** A second handle on the same storage (another process, or after a restart). */
  reopen(): Promise<KeyStore>;
}

/** What every KeyStore adapter must do: the embedded SQLite one, MongoDB, a KMS-backed one. */
export function describeKeyStoreContract(name: string, factory: KeyStoreFactory): void {
  describe(`KeyStore contract: ${name}`, () => {
    let store: KeyStore;
    const opened: KeyStore[] = [];
    const open = async (how: 'open' | 'reopen' = 'open') => {
      const handle = await factory[how]();
      opened.push(handle);
      return handle;
    };
    const id = () => `worker-${randomUUID()}`;

    beforeAll(async () => {
      store = await open();
    });

    afterAll(async () => {
      for (const handle of opened) await handle.close();
    });

    it('creates a 256-bit key on first use and returns the same key after', async () => {
      const keyId = id();
      const key = await store.getOrCreate(keyId);
      expect(key).toBeInstanceOf(Buffer);
      expect(key).toHaveLength(32);
      expect((await store.getOrCreate(keyId)).equals(key)).toBe(true);
      expect((await store.getOrCreate(id())).equals(key)).toBe(false);
    });

    it('agrees on one key when many callers create it at once', async () => {
      const keyId = id();
      const keys = await Promise.all(Array.from({ length: 20 }, () => store.getOrCreate(keyId)));
      for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
    });

    it('looks many keys up at once: active, missing or destroyed', async () => {
      const [active, destroyed, missing] = [id(), id(), id()];
      const key = await store.getOrCreate(active);
      await store.getOrCreate(destroyed);
      await store.destroy(destroyed, '2026-11-24T08:00:00.000Z');
      const found = await store.lookup([active, destroyed, missing, active]);
      expect(found.size).toBe(3);
      const first = found.get(active);
      expect(first?.state === 'active' && first.key.equals(key)).toBe(true);
      expect(found.get(destroyed)).toEqual({ state: 'destroyed', destroyedAt: '2026-11-24T08:00:00.000Z' });
      expect(found.get(missing)).toEqual({ state: 'missing' });
      expect((await store.lookup([])).size).toBe(0);
    });

    it('destroys for good: never returned again, never re-created, idempotent', async () => {
      const keyId = id();
      await store.getOrCreate(keyId);
      await store.destroy(keyId, '2026-11-24T09:00:00.000Z');
      await store.destroy(keyId, '2026-11-25T09:00:00.000Z');
      expect((await store.lookup([keyId])).get(keyId)).toEqual({
        state: 'destroyed',
        destroyedAt: '2026-11-24T09:00:00.000Z',
      });
      await expect(store.getOrCreate(keyId)).rejects.toBeInstanceOf(KeyDestroyedError);
    });

    it('destroys a key that never existed, so it can never be created', async () => {
      const keyId = id();
      await store.destroy(keyId, '2026-11-24T10:00:00.000Z');
      await expect(store.getOrCreate(keyId)).rejects.toBeInstanceOf(KeyDestroyedError);
    });

    it('keeps keys and tombstones across handles (durable, and seen at once by another process)', async () => {
      const [kept, shredded] = [id(), id()];
      const key = await store.getOrCreate(kept);
      await store.getOrCreate(shredded);
      const other = await open('reopen');
      const seen = (await other.lookup([kept])).get(kept);
      expect(seen?.state === 'active' && seen.key.equals(key)).toBe(true);
      await other.destroy(shredded, '2026-11-24T11:00:00.000Z');
      expect((await store.lookup([shredded])).get(shredded)?.state).toBe('destroyed');
    });

    it('creates a key expected to be new without looking first, with the answers of getOrCreate', async () => {
      const keyId = id();
      const key = await store.createIfAbsent(keyId);
      expect(key).toHaveLength(32);
      expect((await store.getOrCreate(keyId)).equals(key)).toBe(true);
      // A retry finds the stored key: the same one, never a second.
      expect((await store.createIfAbsent(keyId)).equals(key)).toBe(true);
      const found = (await (await open('reopen')).lookup([keyId])).get(keyId);
      expect(found?.state === 'active' && found.key.equals(key)).toBe(true);
    });

    it('agrees on one key when createIfAbsent and getOrCreate race for it', async () => {
      const keyId = id();
      const keys = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 ? store.getOrCreate(keyId) : store.createIfAbsent(keyId),
        ),
      );
      for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
    });

    it('never re-creates a destroyed key through createIfAbsent either', async () => {
      const keyId = id();
      await store.createIfAbsent(keyId);
      await store.destroy(keyId, '2026-11-24T12:00:00.000Z');
      await expect(store.createIfAbsent(keyId)).rejects.toBeInstanceOf(KeyDestroyedError);
      const never = id();
      await store.destroy(never, '2026-11-24T12:00:00.000Z');
      await expect(store.createIfAbsent(never)).rejects.toBeInstanceOf(KeyDestroyedError);
    });

    it('refuses malformed key ids', async () => {
      await expect(store.getOrCreate('')).rejects.toThrow(/invalid data key id/);
      await expect(store.getOrCreate('x'.repeat(201))).rejects.toThrow(/invalid data key id/);
      await expect(store.createIfAbsent('')).rejects.toThrow(/invalid data key id/);
    });
  });
}
