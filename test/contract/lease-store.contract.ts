import { randomBytes } from 'node:crypto';
import { LeaseLostError, type LeaseClaim, type LeaseStore } from '../../src/application/ports/lease-store';
import type { ReadStore } from '../../src/application/ports/read-store';

export interface LeaseStoreHarness {
  /** A read store that also keeps leases; it may hold data from other tests. */
  open(): Promise<ReadStore & LeaseStore>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lease behaviour the projection runner relies on, for every read store that keeps leases:
 * one holder at a time, lapsing unless renewed, and commits fenced by it.
 */
export function describeLeaseStoreContract(adapterName: string, harness: LeaseStoreHarness): void {
  describe(`LeaseStore contract: ${adapterName}`, () => {
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    const unique = (base: string): string => `${base}_${run}_${++counter}`;
    const claim = (name: string, holder: string, ttlMs = 60_000): LeaseClaim => ({ name, holder, ttlMs });

    let store: ReadStore & LeaseStore;

    beforeAll(async () => {
      store = await harness.open();
    });

    afterAll(async () => {
      await store.close();
    });

    it('gives a free lease to the first holder and refuses a second, naming the holder', async () => {
      const name = unique('lease');

      const first = await store.acquireLease(claim(name, 'a'));
      const second = await store.acquireLease(claim(name, 'b'));

      expect(first).toMatchObject({ acquired: true, holder: 'a' });
      expect(first.expiresAt).toBeGreaterThan(0);
      expect(second).toMatchObject({ acquired: false, holder: 'a' });
    });

    it('lets the holder acquire again (a renewal) and renew; refuses renewal to others', async () => {
      const name = unique('lease');
      await store.acquireLease(claim(name, 'a'));

      await expect(store.acquireLease(claim(name, 'a'))).resolves.toMatchObject({ acquired: true });
      await expect(store.renewLease(claim(name, 'a'))).resolves.toBe(true);
      await expect(store.renewLease(claim(name, 'b'))).resolves.toBe(false);
      await expect(store.renewLease(claim(unique('never'), 'a'))).resolves.toBe(false);
    });

    it('frees the lease on release by its holder only', async () => {
      const name = unique('lease');
      await store.acquireLease(claim(name, 'a'));

      await store.releaseLease(name, 'b');
      await expect(store.acquireLease(claim(name, 'b'))).resolves.toMatchObject({ acquired: false });

      await store.releaseLease(name, 'a');
      await expect(store.acquireLease(claim(name, 'b'))).resolves.toMatchObject({
        acquired: true,
        holder: 'b',
      });
      await expect(store.renewLease(claim(name, 'a'))).resolves.toBe(false);
    });

    it('lets another holder take a lease that lapsed, and the old holder can no longer renew it', async () => {
      const name = unique('lease');
      await store.acquireLease(claim(name, 'a', 300));

      await sleep(700);

      await expect(store.acquireLease(claim(name, 'b'))).resolves.toMatchObject({
        acquired: true,
        holder: 'b',
      });
      await expect(store.renewLease(claim(name, 'a', 300))).resolves.toBe(false);
    });

    it('hands an unexpired lease over only when the current holder is named as replaced', async () => {
      const name = unique('lease');
      await store.acquireLease(claim(name, 'a'));

      await expect(
        store.acquireLease(claim(name, 'b'), { replacing: 'someone-else' }),
      ).resolves.toMatchObject({
        acquired: false,
        holder: 'a',
      });
      await expect(store.acquireLease(claim(name, 'b'), { replacing: 'a' })).resolves.toMatchObject({
        acquired: true,
        holder: 'b',
      });
      await expect(store.renewLease(claim(name, 'a'))).resolves.toBe(false);
    });

    it('fences commits: written while held, refused with nothing written once the lease moved', async () => {
      const collection = unique('fenced');
      const projection = unique('proj');
      const name = unique('lease');
      await store.ensureCollections([{ name: collection, indexes: [] }]);
      await store.acquireLease(claim(name, 'a'));

      await store.commit([{ collection, id: 'x', doc: { v: 1 } }], [{ projection, position: 5 }], {
        lease: claim(name, 'a'),
      });
      await expect(store.get(collection, 'x')).resolves.toEqual({ v: 1 });

      await store.acquireLease(claim(name, 'b'), { replacing: 'a' });
      const refused = store.commit(
        [
          { collection, id: 'x', doc: { v: 2 } },
          { collection, id: 'y', doc: { v: 1 } },
        ],
        [{ projection, position: 9 }],
        { lease: claim(name, 'a') },
      );

      await expect(refused).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.get(collection, 'x')).resolves.toEqual({ v: 1 });
      await expect(store.get(collection, 'y')).resolves.toBeNull();
      await expect(store.getCheckpoint(projection)).resolves.toBe(5);
      // The new holder's commits go through.
      await store.commit([{ collection, id: 'y', doc: { v: 1 } }], [{ projection, position: 9 }], {
        lease: claim(name, 'b'),
      });
      await expect(store.getCheckpoint(projection)).resolves.toBe(9);
    });

    it('refuses a fenced commit for a lease that was never taken', async () => {
      const collection = unique('fenced');
      await store.ensureCollections([{ name: collection, indexes: [] }]);

      await expect(
        store.commit([{ collection, id: 'x', doc: { v: 1 } }], [], { lease: claim(unique('never'), 'a') }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      await expect(store.get(collection, 'x')).resolves.toBeNull();
    });

    it('renews the lease with every fenced commit', async () => {
      const collection = unique('fenced');
      const name = unique('lease');
      await store.ensureCollections([{ name: collection, indexes: [] }]);
      await store.acquireLease(claim(name, 'a', 600));

      for (let i = 0; i < 4; i++) {
        await sleep(250);
        await store.commit([{ collection, id: 'x', doc: { v: i } }], [], { lease: claim(name, 'a', 600) });
      }

      // 1 s after taking a 600 ms lease, it is still held because each commit renewed it.
      await expect(store.acquireLease(claim(name, 'b'))).resolves.toMatchObject({
        acquired: false,
        holder: 'a',
      });
    });
  });
}
