import { inBatches } from '../../../src/projections/in-batches';

async function* items<T>(values: readonly T[], pauseAfter = new Set<number>()): AsyncGenerator<T> {
  for (const [index, value] of values.entries()) {
    yield value;
    if (pauseAfter.has(index)) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function collect<T>(source: AsyncIterable<T[]>): Promise<T[][]> {
  const batches: T[][] = [];
  for await (const batch of source) batches.push(batch);
  return batches;
}

describe('inBatches', () => {
  it('puts everything that arrives without waiting into one batch, up to the maximum', async () => {
    const values = Array.from({ length: 25 }, (_, i) => i);
    expect(await collect(inBatches(items(values), 10))).toEqual([
      values.slice(0, 10),
      values.slice(10, 20),
      values.slice(20),
    ]);
  });

  it('ends a batch when the source has to wait', async () => {
    const batches = await collect(inBatches(items([1, 2, 3, 4, 5, 6], new Set([1, 3])), 100));
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it('yields nothing for an empty source', async () => {
    expect(await collect(inBatches(items([]), 10))).toEqual([]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const batch of inBatches(source(), 3)) {
      expect(batch).toEqual([0, 1, 2]);
      break;
    }
    expect(closed).toBe(true);
  });
});
