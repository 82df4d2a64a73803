import type { ReadStore } from '../../../src/application/ports/read-store';
import { BatchContext } from '../../../src/projections/batch-context';

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
});
