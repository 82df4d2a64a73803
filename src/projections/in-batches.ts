const IDLE = Symbol('idle');

/**
 * Groups an async iterable into batches: as many items as arrive without waiting (up to `max`),
 * so catch-up commits big batches while live events are committed as soon as they come.
 */
export async function* inBatches<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let batch: T[] = [];
  try {
    for (;;) {
      const result =
        batch.length === 0
          ? await next
          : await Promise.race([next, new Promise<typeof IDLE>((resolve) => setImmediate(resolve, IDLE))]);
      if (result === IDLE) {
        yield batch;
        batch = [];
        continue;
      }
      if (result.done) {
        if (batch.length > 0) yield batch;
        return;
      }
      batch.push(result.value);
      next = iterator.next();
      if (batch.length >= max) {
        yield batch;
        batch = [];
      }
    }
  } finally {
    await iterator.return?.();
  }
}
