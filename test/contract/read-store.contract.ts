import { randomBytes } from 'node:crypto';
import type { CollectionSpec, ReadDocument, ReadStore } from '../../src/application/ports/read-store';

export interface ReadStoreHarness {
  /** A store on the adapter's test storage, which may already hold data from other runs. */
  open(): Promise<ReadStore>;
  /** A new instance on the same persisted data, called after the previous instance was closed. */
  reopen?(): Promise<ReadStore>;
}

interface Person extends ReadDocument {
  id: string;
  name: string;
  city: string | null;
  age: number;
  active: boolean;
}

/**
 * The behaviour every ReadStore adapter must have. It asserts only what the port promises and uses
 * collection and projection names unique to this run, so the store need not be empty.
 */
export function describeReadStoreContract(adapterName: string, harness: ReadStoreHarness): void {
  describe(`ReadStore contract: ${adapterName}`, () => {
    const run = randomBytes(4).toString('hex');
    let counter = 0;
    /** A collection or projection name unique to this run and this call. */
    const unique = (base: string): string => `${base}_${run}_${++counter}`;

    let store: ReadStore;

    beforeAll(async () => {
      store = await harness.open();
    });

    afterAll(async () => {
      await store.close();
    });

    const peopleSpec = (name: string): CollectionSpec => ({
      name,
      indexes: ['name', 'city', 'age', 'active'],
    });

    async function people(docs: readonly Person[]): Promise<string> {
      const collection = unique('people');
      await store.ensureCollections([peopleSpec(collection)]);
      await store.commit(
        docs.map((doc) => ({ collection, id: doc.id, doc })),
        [],
      );
      return collection;
    }

    const person = (id: string, name: string, city: string | null, age: number, active: boolean): Person => ({
      id,
      name,
      city,
      age,
      active,
    });

    const ids = (docs: readonly ReadDocument[]): unknown[] => docs.map((doc) => doc.id);

    const sample = [
      person('p1', 'Li', 'Beijing', 30, true),
      person('p2', 'Wang', 'Shanghai', 25, false),
      person('p3', 'Zhang', 'Beijing', 25, true),
      person('p4', 'Zhao', null, 41, false),
      person('p5', 'Chen', 'Beijing', 30, false),
    ];

    describe('documents', () => {
      it('round-trips a nested unicode document exactly', async () => {
        const collection = unique('certs');
        await store.ensureCollections([{ name: collection, indexes: ['holder'] }]);
        const doc = {
          holder: '张三丰',
          note: 'emoji 🧹 and "quotes" \\ backslash\nnewline',
          address: { city: '武汉', lines: ['武当山', 'Room 1'], geo: { lat: 32.4, lng: 111.0 } },
          skills: [
            { code: 'CLEAN', level: 3 },
            { code: 'COOK', level: null },
          ],
          empty: { list: [], obj: {} },
          count: 0,
          ratio: -1.25,
          flag: false,
          nothing: null,
        };
        await store.commit([{ collection, id: 'cert-1', doc }], []);
        await expect(store.get(collection, 'cert-1')).resolves.toEqual(doc);
        const [found] = await store.find(collection, { holder: '张三丰' });
        expect(found).toEqual(doc);
      });

      it('returns null for a missing id', async () => {
        const collection = await people(sample);
        await expect(store.get(collection, 'nobody')).resolves.toBeNull();
      });

      it('replaces the whole document on update', async () => {
        const collection = unique('docs');
        await store.ensureCollections([{ name: collection, indexes: [] }]);
        await store.commit([{ collection, id: 'a', doc: { v: 1, old: 'gone soon' } }], []);
        await store.commit([{ collection, id: 'a', doc: { v: 2, fresh: true } }], []);
        await expect(store.get(collection, 'a')).resolves.toEqual({ v: 2, fresh: true });
        await expect(store.count(collection, {})).resolves.toBe(1);
      });

      it('applies changes in order within one commit', async () => {
        const collection = unique('docs');
        await store.ensureCollections([{ name: collection, indexes: [] }]);
        await store.commit(
          [
            { collection, id: 'a', doc: { v: 1 } },
            { collection, id: 'a', doc: { v: 2 } },
            { collection, id: 'b', doc: { v: 1 } },
            { collection, id: 'b', doc: null },
          ],
          [],
        );
        await expect(store.get(collection, 'a')).resolves.toEqual({ v: 2 });
        await expect(store.get(collection, 'b')).resolves.toBeNull();
      });

      it('deletes a document when doc is null', async () => {
        const collection = await people(sample);
        await store.commit([{ collection, id: 'p3', doc: null }], []);
        await expect(store.get(collection, 'p3')).resolves.toBeNull();
        await expect(store.get(collection, 'p1')).resolves.toEqual(sample[0]);
        await expect(store.count(collection, {})).resolves.toBe(4);
        expect(ids(await store.find(collection, { city: 'Beijing' }))).toEqual(['p1', 'p5']);
      });
    });

    describe('find and count', () => {
      it('matches everything with an empty filter, ordered by id by default', async () => {
        const collection = await people([...sample].reverse());
        expect(ids(await store.find(collection, {}))).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
      });

      it('filters by one field and by two fields', async () => {
        const collection = await people(sample);
        expect(ids(await store.find(collection, { city: 'Beijing' }))).toEqual(['p1', 'p3', 'p5']);
        expect(ids(await store.find(collection, { age: 25 }))).toEqual(['p2', 'p3']);
        expect(ids(await store.find(collection, { city: 'Beijing', age: 30 }))).toEqual(['p1', 'p5']);
        expect(ids(await store.find(collection, { city: 'Shanghai', age: 30 }))).toEqual([]);
        expect(ids(await store.find(collection, { name: 'Nobody' }))).toEqual([]);
      });

      it('filters by boolean', async () => {
        const collection = await people(sample);
        expect(ids(await store.find(collection, { active: true }))).toEqual(['p1', 'p3']);
        expect(ids(await store.find(collection, { active: false }))).toEqual(['p2', 'p4', 'p5']);
        expect(ids(await store.find(collection, { active: true, city: 'Beijing', age: 25 }))).toEqual(['p3']);
      });

      it('filters by null', async () => {
        const collection = await people(sample);
        expect(ids(await store.find(collection, { city: null }))).toEqual(['p4']);
        expect(ids(await store.find(collection, { city: null, active: false }))).toEqual(['p4']);
        expect(ids(await store.find(collection, { city: null, active: true }))).toEqual([]);
      });

      it('orders by a field ascending and descending, breaking ties by id', async () => {
        const collection = await people(sample);
        expect(ids(await store.find(collection, {}, { orderBy: 'age' }))).toEqual([
          'p2',
          'p3',
          'p1',
          'p5',
          'p4',
        ]);
        expect(ids(await store.find(collection, {}, { orderBy: 'age', direction: 'asc' }))).toEqual([
          'p2',
          'p3',
          'p1',
          'p5',
          'p4',
        ]);
        expect(ids(await store.find(collection, {}, { orderBy: 'age', direction: 'desc' }))).toEqual([
          'p4',
          'p5',
          'p1',
          'p3',
          'p2',
        ]);
        expect(ids(await store.find(collection, {}, { orderBy: 'name', direction: 'desc' }))).toEqual([
          'p4',
          'p3',
          'p2',
          'p1',
          'p5',
        ]);
        expect(ids(await store.find(collection, {}, { direction: 'desc' }))).toEqual([
          'p5',
          'p4',
          'p3',
          'p2',
          'p1',
        ]);
        expect(
          ids(await store.find(collection, { city: 'Beijing' }, { orderBy: 'age', direction: 'desc' })),
        ).toEqual(['p5', 'p1', 'p3']);
      });

      it('pages with limit and offset after ordering and filtering', async () => {
        const collection = await people(sample);
        const byAge = { orderBy: 'age' } as const;
        expect(ids(await store.find(collection, {}, { ...byAge, limit: 2 }))).toEqual(['p2', 'p3']);
        expect(ids(await store.find(collection, {}, { ...byAge, limit: 2, offset: 2 }))).toEqual([
          'p1',
          'p5',
        ]);
        expect(ids(await store.find(collection, {}, { ...byAge, limit: 2, offset: 4 }))).toEqual(['p4']);
        expect(ids(await store.find(collection, {}, { ...byAge, limit: 2, offset: 5 }))).toEqual([]);
        expect(ids(await store.find(collection, {}, { ...byAge, offset: 3 }))).toEqual(['p5', 'p4']);
        expect(ids(await store.find(collection, {}, { ...byAge, limit: 0 }))).toEqual([]);
        expect(
          ids(
            await store.find(
              collection,
              { active: false },
              { orderBy: 'age', direction: 'desc', limit: 2, offset: 1 },
            ),
          ),
        ).toEqual(['p5', 'p2']);
      });

      it('counts with the same filters', async () => {
        const collection = await people(sample);
        await expect(store.count(collection, {})).resolves.toBe(5);
        await expect(store.count(collection, { city: 'Beijing' })).resolves.toBe(3);
        await expect(store.count(collection, { city: 'Beijing', age: 30 })).resolves.toBe(2);
        await expect(store.count(collection, { active: true })).resolves.toBe(2);
        await expect(store.count(collection, { active: false })).resolves.toBe(3);
        await expect(store.count(collection, { city: null })).resolves.toBe(1);
        await expect(store.count(collection, { name: 'Nobody' })).resolves.toBe(0);
        const empty = unique('empty');
        await store.ensureCollections([{ name: empty, indexes: ['x'] }]);
        await expect(store.count(empty, {})).resolves.toBe(0);
        await expect(store.find(empty, { x: 1 })).resolves.toEqual([]);
      });
    });

    describe('commit and checkpoints', () => {
      it('is all or nothing: a failing later change leaves no earlier change and no checkpoint', async () => {
        const collection = await people(sample);
        const projection = unique('proj');
        await store.commit([], [{ projection, position: 7 }]);
        const never = unique('never_ensured');
        await expect(
          store.commit(
            [
              { collection, id: 'p1', doc: { ...sample[0], name: 'Changed' } },
              { collection, id: 'p9', doc: person('p9', 'New', 'Wuhan', 50, true) },
              { collection, id: 'p2', doc: null },
              { collection: never, id: 'x', doc: { v: 1 } },
            ],
            [{ projection, position: 8 }],
          ),
        ).rejects.toThrow(never);
        await expect(store.get(collection, 'p1')).resolves.toEqual(sample[0]);
        await expect(store.get(collection, 'p9')).resolves.toBeNull();
        await expect(store.get(collection, 'p2')).resolves.toEqual(sample[1]);
        await expect(store.count(collection, {})).resolves.toBe(5);
        await expect(store.getCheckpoint(projection)).resolves.toBe(7);
        // The store is still usable after the failed commit.
        await store.commit([{ collection, id: 'p9', doc: { id: 'p9' } }], [{ projection, position: 9 }]);
        await expect(store.get(collection, 'p9')).resolves.toEqual({ id: 'p9' });
        await expect(store.getCheckpoint(projection)).resolves.toBe(9);
      });

      it('rejects reading a collection that was never ensured, naming it', async () => {
        const never = unique('never_ensured');
        await expect(store.get(never, 'x')).rejects.toThrow(never);
        await expect(store.find(never, {})).rejects.toThrow(never);
        await expect(store.count(never, {})).rejects.toThrow(never);
      });

      it('defaults checkpoints to 0, moves them with commits, and keeps them per projection', async () => {
        const collection = unique('docs');
        await store.ensureCollections([{ name: collection, indexes: [] }]);
        const a = unique('proj_a');
        const b = unique('proj_b');
        await expect(store.getCheckpoint(a)).resolves.toBe(0);
        await expect(store.getCheckpoint(b)).resolves.toBe(0);

        await store.commit([{ collection, id: '1', doc: { v: 1 } }], [{ projection: a, position: 3 }]);
        await expect(store.getCheckpoint(a)).resolves.toBe(3);
        await expect(store.getCheckpoint(b)).resolves.toBe(0);

        await store.commit(
          [],
          [
            { projection: a, position: 10 },
            { projection: b, position: 4 },
          ],
        );
        await expect(store.getCheckpoint(a)).resolves.toBe(10);
        await expect(store.getCheckpoint(b)).resolves.toBe(4);

        await store.commit([{ collection, id: '2', doc: { v: 2 } }], [{ projection: b, position: 12 }]);
        await expect(store.getCheckpoint(a)).resolves.toBe(10);
        await expect(store.getCheckpoint(b)).resolves.toBe(12);
        await expect(store.count(collection, {})).resolves.toBe(2);
      });
    });

    describe('maintenance', () => {
      it('reset clears only the named collections and checkpoints', async () => {
        const cleared = await people(sample);
        const alsoCleared = await people(sample.slice(0, 2));
        const kept = await people(sample);
        const [p1, p2, p3] = [unique('proj'), unique('proj'), unique('proj')];
        await store.commit(
          [],
          [
            { projection: p1, position: 5 },
            { projection: p2, position: 6 },
            { projection: p3, position: 7 },
          ],
        );

        await store.reset([cleared, alsoCleared], [p1, p2]);

        await expect(store.count(cleared, {})).resolves.toBe(0);
        await expect(store.count(alsoCleared, {})).resolves.toBe(0);
        await expect(store.get(cleared, 'p1')).resolves.toBeNull();
        await expect(store.count(kept, {})).resolves.toBe(5);
        await expect(store.get(kept, 'p1')).resolves.toEqual(sample[0]);
        await expect(store.getCheckpoint(p1)).resolves.toBe(0);
        await expect(store.getCheckpoint(p2)).resolves.toBe(0);
        await expect(store.getCheckpoint(p3)).resolves.toBe(7);

        // A reset collection stays usable (a rebuild writes into it next).
        await store.commit(
          [{ collection: cleared, id: 'p1', doc: sample[0] }],
          [{ projection: p1, position: 1 }],
        );
        expect(ids(await store.find(cleared, { city: 'Beijing' }))).toEqual(['p1']);
        await expect(store.getCheckpoint(p1)).resolves.toBe(1);
      });

      it('ensureCollections is harmless to repeat, also with more indexes', async () => {
        const collection = await people(sample);
        await store.ensureCollections([peopleSpec(collection)]);
        await store.ensureCollections([peopleSpec(collection), peopleSpec(collection)]);
        await store.ensureCollections([
          { name: collection, indexes: ['name', 'city', 'age', 'active', 'extra'] },
        ]);
        await expect(store.count(collection, {})).resolves.toBe(5);
        await expect(store.get(collection, 'p4')).resolves.toEqual(sample[3]);
        expect(ids(await store.find(collection, { city: 'Beijing', active: true }))).toEqual(['p1', 'p3']);
      });

      (harness.reopen ? it : it.skip)('keeps documents and checkpoints across close and reopen', async () => {
        const reopen = harness.reopen;
        if (!reopen) return;
        const collection = await people(sample);
        const projection = unique('proj');
        const spec = peopleSpec(collection);
        await store.commit(
          [{ collection, id: 'u1', doc: { id: 'u1', name: '张三丰', city: '武汉', age: 120, active: true } }],
          [{ projection, position: 42 }],
        );
        await store.close();
        store = await reopen();
        await store.ensureCollections([spec]);

        await expect(store.getCheckpoint(projection)).resolves.toBe(42);
        await expect(store.count(collection, {})).resolves.toBe(6);
        await expect(store.get(collection, 'u1')).resolves.toEqual({
          id: 'u1',
          name: '张三丰',
          city: '武汉',
          age: 120,
          active: true,
        });
        expect(
          ids(await store.find(collection, { active: true }, { orderBy: 'age', direction: 'desc' })),
        ).toEqual(['u1', 'p1', 'p3']);
      });
    });
  });
}
