import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { serveLane, type FromLane, type Lane } from './lanes';

/** A lane of the data generator on a thread of its own (started by lanes.ts). */
const port = parentPort;
if (!port) throw new Error('generator-lane.worker runs in a worker thread (see lanes.ts)');

const tell = (message: FromLane) => port.postMessage(message);
serveLane(workerData as Lane, tell).then(
  () => port.close(),
  (error: unknown) => {
    const failure = error instanceof Error ? error : new Error(String(error));
    tell({ type: 'failed', message: failure.message, ...(failure.stack ? { stack: failure.stack } : {}) });
  },
);
