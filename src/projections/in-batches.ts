const IDLE = Symbol('idle');

/**
 * Groups an async iterable into batches: as many items as arrive without waiting (up to `max`),
 * so catch-up commits big batches while live events are committed as soon as they come.
 * "Without waiting" means within the same turn of the event loop as the batch's first item: one
 * check per batch (not per item) notices when the source has to wait for I/O or a timer.
 */
export async function* inBatches<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  let batch: T[] = [];
  let idle: Promise<typeof IDLE> | null = null;
  try {
    for (;;) {
      const result = batch.length === 0 ? await next : await Promise.race([next, idle!]);
      if (result === IDLE) {
        yield batch;
        batch = [];
        continue;
      }
      if (result.done) {
        if (batch.length > 0) yield batch;
        return;
      }
      if (batch.length === 0) idle = new Promise((resolve) => setImmediate(resolve, IDLE));
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
