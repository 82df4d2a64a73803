import { workerData } from 'node:worker_threads';
import { EventAppender } from './event-appender';
import {
  type AppendRequest,
  type Appended,
  EVENT_STORE_ERRORS,
  type WriterData,
} from './event-writer-protocol';
import { openDatabase } from './open-database';
import { serveWriterThread } from './writer-thread-loop';

/**
 * The event store's writer thread (started by event-writer.ts): owns the write connection to the
 * event file and commits each group of appends it is sent in one transaction (EventAppender),
 * answering once the COMMIT is durable.
 */
serveWriterThread<AppendRequest, Appended>(() => {
  const { file, cacheKib, walAutocheckpointPages } = workerData as WriterData;
  const db = openDatabase(file);
  db.pragma(`cache_size = -${cacheKib}`);
  if (walAutocheckpointPages !== undefined) {
    db.pragma(`wal_autocheckpoint = ${Math.floor(walAutocheckpointPages)}`);
  }
  const appender = new EventAppender(db);
  return { writeGroup: (appends) => appender.appendGroup(appends), close: () => db.close() };
}, EVENT_STORE_ERRORS);
