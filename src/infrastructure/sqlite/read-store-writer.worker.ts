import { workerData } from 'node:worker_threads';
import { openDatabase } from './open-database';
import { type CommitRequest, READ_STORE_ERRORS, ReadModelWrites } from './read-model-writes';
import { serveWriterThread } from './writer-thread-loop';

export interface ReadStoreWriterData {
  readonly file: string;
}

/**
 * The read store's writer thread (started by SqliteReadStore with `commitOnThread`): commits the
 * projection runner's batches on a connection of its own, so that neither the writes, the COMMIT nor
 * SQLite's WAL checkpoints hold up the event loop that serves requests.
 */
serveWriterThread<CommitRequest, null>(() => {
  const { file } = workerData as ReadStoreWriterData;
  const db = openDatabase(file);
  // As the main connection (see SqliteReadStore): a lost commit is projected again.
  db.pragma('synchronous = NORMAL');
  db.pragma('cache_size = -16384');
  const writes = new ReadModelWrites(db);
  return {
    writeGroup: (requests) => writes.applyGroup(requests),
    close: () => {
      writes.clear();
      db.close();
    },
  };
}, READ_STORE_ERRORS);
