import type { Worker } from 'node:worker_threads';
import { startModuleThread } from '../src/infrastructure/sqlite/module-thread';
import type { BaselineRun } from './rebuild-rounds';

/** One thread's read of every event, and when it began and ended (`now()`, ms). */
export interface ThreadRead {
  readonly events: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly started: number;
  readonly ended: number;
}

/** The threads' reads, and the rate of one core while all read: the mean of the threads' rates. */
export interface EachCoreRead {
  readonly threads: readonly ThreadRead[];
  readonly perSecond: number;
}

/**
 * The read-and-parse baseline on each core at once: `threads` threads (the rebuild's two) each read
 * and parse every event of the store, all starting together, as the rebuild's two threads each read
 * the log. The rebuild uses both cores, and the two cores of this machine do not always run at the
 * same speed: in a slow spell, one read at ~200,000 events/s while the other read at ~320,000 (each
 * read pinned to its core with `taskset`, docs/performance.md, item 118). A single-threaded run lands
 * on one core or the other, so alone it measures either; with both cores reading, the mean of their
 * rates is the speed that the rebuild's threads share.
 */
export async function rawReadAndParseOnEachCore(eventsFile: string, threads = 2): Promise<EachCoreRead> {
  const workers = Array.from({ length: threads }, () =>
    startModuleThread(__dirname, 'read-and-parse.worker', { file: eventsFile }),
  );
  try {
    // Every thread loaded before any reads, so their reads overlap from start to end.
    await Promise.all(workers.map((worker) => nextMessage<'ready'>(worker)));
    const reads = workers.map((worker) => nextMessage<ThreadRead>(worker));
    for (const worker of workers) worker.postMessage('go');
    const done = await Promise.all(reads);
    return { threads: done, perSecond: done.reduce((sum, read) => sum + read.perSecond, 0) / done.length };
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

/** An each-core read as one baseline run at the cores' mean rate (for rebuild-rounds.ts). */
export function asBaselineRun(read: EachCoreRead): BaselineRun {
  const events = read.threads[0]?.events ?? 0;
  return { events, seconds: events / read.perSecond };
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // An error thrown in the thread may come over as a plain object (better-sqlite3's SqliteError).
    const onError = (error: unknown) =>
      reject(
        error instanceof Error
          ? error
          : new Error(`a read-and-parse thread failed: ${JSON.stringify(error)}`),
      );
    const onExit = (code: number) => reject(new Error(`a read-and-parse thread exited (${code})`));
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.once('message', (message: T) => {
      worker.off('error', onError);
      worker.off('exit', onExit);
      resolve(message);
    });
  });
}
