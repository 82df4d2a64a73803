import { parentPort, workerData } from 'node:worker_threads';
import { rawReadAndParse } from './baselines';
import { now } from './measure';

/**
 * One thread of the read-and-parse baseline on each core (each-core.ts): loaded, it says so, and
 * reads and parses every event when told to go, so that all the threads read at the same time.
 */
const port = parentPort;
if (!port) throw new Error('read-and-parse.worker runs in a worker thread (see each-core.ts)');
const { file } = workerData as { file: string };

port.once('message', () => {
  const started = now();
  const read = rawReadAndParse(file);
  port.postMessage({ ...read, started, ended: now() });
});
port.postMessage('ready');
