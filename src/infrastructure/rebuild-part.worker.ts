import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { rebuildPart, type RebuildPart, type RebuildPartOutcome } from './rebuild';

/** A rebuild's second thread (started by rebuild.ts): projects its part, answers once, and ends. */
const port = parentPort;
if (!port) throw new Error('rebuild-part.worker runs in a worker thread (see rebuild.ts)');

const started = process.hrtime.bigint();
rebuildPart(workerData as RebuildPart).then(
  (position) =>
    port.postMessage({
      ok: true,
      position,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    } satisfies RebuildPartOutcome),
  (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    port.postMessage({
      ok: false,
      message: failure.message,
      ...(failure.stack ? { stack: failure.stack } : {}),
    } satisfies RebuildPartOutcome);
  },
);
