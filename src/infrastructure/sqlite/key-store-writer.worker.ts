import { workerData } from 'node:worker_threads';
import { GroupTransaction } from './group-commit';
import { KEY_STORE_ERRORS, type KeyCreation, keyCreator, type KeyRow } from './key-creation';
import { openDatabase } from './open-database';
import { serveWriterThread } from './writer-thread-loop';

export interface KeyStoreWriterData {
  readonly file: string;
}

/**
 * The key store's writer thread (started by SqliteKeyStore with `createOnThread`): stores new data
 * keys, those that arrive together in one durable transaction, so that its fsync never holds up the
 * event loop that answers requests. It sees wrapped keys only.
 */
serveWriterThread<KeyCreation, KeyRow>(() => {
  const { file } = workerData as KeyStoreWriterData;
  const db = openDatabase(file);
  db.pragma('secure_delete = ON');
  const create = keyCreator(db);
  const transaction = new GroupTransaction(db);
  return {
    writeGroup: (creations) => transaction.run(creations.map((creation) => () => create(creation))),
    close: () => db.close(),
  };
}, KEY_STORE_ERRORS);
