import type Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThisThreadsPriority } from '../background-priority';
import { openDatabase } from './open-database';
import type { FromWalCheckpointer, ToWalCheckpointer, WalCheckpointerData } from './wal-checkpointer';

/**
 * The WAL checkpointer's thread (started by wal-checkpointer.ts): a connection of its own to each
 * file, on which it copies what the write-ahead logs hold into the files every `intervalMs`, while
 * the writers go on appending (PASSIVE: it never waits for or blocks a writer or a reader).
 */
const port = parentPort;
if (!port) throw new Error('wal-checkpointer.worker runs in a worker thread (see wal-checkpointer.ts)');
const { files, intervalMs, nice } = workerData as WalCheckpointerData;
lowerThisThreadsPriority(nice);
const post = (message: FromWalCheckpointer) => port.postMessage(message);

// synchronous=FULL (openDatabase): each checkpoint syncs the log before copying and the file after.
const connections: [string, Database.Database][] = files.map((file) => [file, openDatabase(file)]);

const timer = setInterval(() => {
  for (const [file, db] of connections) {
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } catch (error) {
      // The writers' own checkpoints still bound the log; say why this one failed.
      post({ type: 'failed', file, message: error instanceof Error ? error.message : String(error) });
    }
  }
}, intervalMs);

port.on('message', (message: ToWalCheckpointer) => {
  if (message.type !== 'close') return;
  clearInterval(timer);
  for (const [, db] of connections) db.close();
  post({ type: 'closed' });
  port.close();
});
