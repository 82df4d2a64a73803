import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { rebuildPart, type FromRebuildPart, type RebuildPart, type ToRebuildPart } from './rebuild';

/** A rebuild thread (started by rebuild.ts): projects its part, tells how far it got, and ends. */
const port = parentPort;
if (!port) throw new Error('rebuild-part.worker runs in a worker thread (see rebuild.ts)');

const tell = (message: FromRebuildPart) => port.postMessage(message);
const finishing = () =>
  new Promise<ToRebuildPart>((resolve) => port.once('message', (message: ToRebuildPart) => resolve(message)));

rebuildPart(workerData as RebuildPart, tell, finishing).then(
  () => port.close(),
  (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    tell({ type: 'failed', message: failure.message, ...(failure.stack ? { stack: failure.stack } : {}) });
  },
);
