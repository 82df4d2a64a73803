import type { ReadStore } from '../../../src/application/ports/read-store';
import { BatchContext, countWrittenBefore } from '../../../src/projections/batch-context';
import { DocumentCache } from '../../../src/projections/document-cache';

/** Reads that reach the store fail the test: everything here must be answered from memory. */
const noStore = {
  get: () => Promise.reject(new Error('the store was read')),
} as unknown as ReadStore;

describe('BatchContext', () => {
  it('answers its own writes, deletions included, before anything else', async () => {
    const context = new BatchContext(noStore);
    context.put('workers', 'w-1', { id: 'w-1', v: 1 });
    context.put('workers', 'w-1', { id: 'w-1', v: 2 });
    context.delete('queue', 'c-1');
    expect(await context.get('workers', 'w-1')).toEqual({ id: 'w-1', v: 2 });
    expect(await context.get('queue', 'c-1')).toBeNull();
    expect(context.changes()).toEqual([
      { collection: 'workers', id: 'w-1', doc: { id: 'w-1', v: 2 } },
      { collection: 'queue', id: 'c-1', doc: null },
    ]);
  });

  it('tells each change it gives up whether its document was written since the store was empty', () => {
    const cache = new DocumentCache(100);
    cache.startEmpty();
    const first = new BatchContext(noStore, cache);
    first.put('workers', 'w-1', { v: 1 });
    first.delete('queue', 'never');
    expect(first.changes()).toEqual([
      { collection: 'workers', id: 'w-1', doc: { v: 1 }, firstWrite: true },
      { collection: 'queue', id: 'never', doc: null, firstWrite: true },
    ]);
    const next = new BatchContext(noStore, cache);
    next.put('workers', 'w-1', { v: 2 });
    expect(next.changes()).toEqual([{ collection: 'workers', id: 'w-1', doc: { v: 2 }, firstWrite: false }]);
  });

  it('gives up only the documents not written again in the last rounds, and keeps the rest', async () => {
    const context = new BatchContext(noStore);
    context.put('workers', 'quiet', { v: 1 });
    context.put('workers', 'busy', { v: 1 });
    context.nextRound();
    context.put('workers', 'busy', { v: 2 });
    context.delete('queue', 'gone');
    expect(context.takeSettled(2)).toEqual([]);
    context.nextRound();
    context.put('workers', 'busy', { v: 3 });

    expect(context.takeSettled(2)).toEqual([{ collection: 'workers', id: 'quiet', doc: { v: 1 } }]);
    expect(context.size).toBe(2);
    context.nextRound();
    expect(context.takeSettled(2)).toEqual([{ collection: 'queue', id: 'gone', doc: null }]);
    // What is held is still what reads see, and what the last commit writes.
    expect(await context.get('workers', 'busy')).toEqual({ v: 3 });
    expect(context.changes()).toEqual([{ collection: 'workers', id: 'busy', doc: { v: 3 } }]);
  });

  it('gives up every settled document, whatever order the held ones were first written in', () => {
    const context = new BatchContext(noStore);
    for (const id of ['x', 'y', 'z']) context.put('workers', id, { id, v: 1 });
    context.nextRound();
    // Written again a round later: x, first written before y and z, is now held longer than they are.
    context.put('workers', 'x', { id: 'x', v: 2 });
    context.nextRound();
    expect(context.takeSettled(2).map((change) => change.id)).toEqual(['y', 'z']);
    context.put('workers', 'y', { id: 'y', v: 2 });
    context.nextRound();
    expect(context.takeSettled(2)).toEqual([{ collection: 'workers', id: 'x', doc: { id: 'x', v: 2 } }]);
    context.nextRound();
    expect(context.takeSettled(2)).toEqual([{ collection: 'workers', id: 'y', doc: { id: 'y', v: 2 } }]);
    expect(context.size).toBe(0);
  });

  it('knows, without the store, its own writes, what the cache holds, and what an empty store lacks', async () => {
    const cache = new DocumentCache(100);
    cache.startEmpty();
    // The cache keeps the workers' commits once it has read one back from the store.
    cache.fill('workers', 'w-0', { id: 'w-0', v: 1 });
    cache.remember([{ collection: 'workers', id: 'w-2', doc: { id: 'w-2', v: 7 } }]);
    const context = new BatchContext(noStore, cache);
    context.put('workers', 'w-1', { id: 'w-1', v: 1 });
    context.delete('queue', 'c-1');

    expect(context.known('workers', 'w-1')).toEqual({ id: 'w-1', v: 1 });
    expect(context.known('queue', 'c-1')).toBeNull();
    expect(context.known('workers', 'w-2')).toEqual({ id: 'w-2', v: 7 });
    // Never written since the store was emptied: it cannot exist.
    expect(context.known('workers', 'w-3')).toBeNull();
  });

  it('leaves to the store what it does not know, and remembers its answer', async () => {
    const reads: string[] = [];
    const store = {
      get: (collection: string, id: string) => {
        reads.push(`${collection}/${id}`);
        return Promise.resolve(id === 'w-1' ? { id, v: 1 } : null);
      },
    } as unknown as ReadStore;
    const context = new BatchContext(store, new DocumentCache(100));

    expect(context.known('workers', 'w-1')).toBeUndefined();
    expect(context.known('workers', 'w-9')).toBeUndefined();
    expect(await context.get('workers', 'w-1')).toEqual({ id: 'w-1', v: 1 });
    expect(await context.get('workers', 'w-9')).toBeNull();
    expect(context.known('workers', 'w-1')).toEqual({ id: 'w-1', v: 1 });
    expect(context.known('workers', 'w-9')).toBeNull();
    expect(reads).toEqual(['workers/w-1', 'workers/w-9']);
  });
});

describe('countWrittenBefore', () => {
  it('counts the changes whose documents may have been written before; none when it cannot know', () => {
    const change = (id: string, firstWrite?: boolean) => ({
      collection: 'c',
      id,
      doc: { id },
      ...(firstWrite === undefined ? {} : { firstWrite }),
    });
    expect(countWrittenBefore([change('a', false), change('b', true), change('c', false)])).toBe(2);
    expect(countWrittenBefore([change('a'), change('b')])).toBe(0);
  });
});
