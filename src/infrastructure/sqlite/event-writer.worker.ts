import { workerData } from 'node:worker_threads';
import { EventAppender } from './event-appender';
import {
  type AppendRequest,
  type Appended,
  EVENT_STORE_ERRORS,
  type WriterData,
} from './event-writer-protocol';
import { openDatabase } from './open-database';
import { StreamDirectory } from './stream-directory';
import { serveWriterThread } from './writer-thread-loop';

/**
 * In a bulk load, the pages the write-ahead log may grow to (400 MB) before a commit copies it into
 * the file itself (SQLite's default is 1,000); meanwhile the WAL checkpointer threads copy it beside
 * the writer. Many groups change the same pages (the ends of the table and its indexes, the leaves of
 * the index of stream ids: ~50 MB at Shanghai scale, one random leaf for each new stream). The whole
 * city, alternating: 65.0–70.8 s against 71.8–81.6 s with 10,000 or 40,000 pages, 72.2 s with
 * 250,000; with 1,000,000 the log reached 4.1 GB and the load took 72.4–76.7 s, much of it in the
 * kernel (docs/performance.md, item 88, which leaves open which copies it spares).
 */
const BULK_LOAD_WAL_PAGES = 100_000;

/**
 * The event store's writer thread (started by event-writer.ts): owns the write connection to the
 * event file and commits each group of appends it is sent in one transaction (EventAppender),
 * answering once the COMMIT is durable (in a bulk load, once it is written: see
 * SqliteEventStoreOptions).
 */
serveWriterThread<AppendRequest, Appended>(() => {
  const { file, cacheKib, bulkLoad, streamDirectory } = workerData as WriterData;
  const db = openDatabase(file);
  db.pragma(`cache_size = -${cacheKib}`);
  if (bulkLoad) {
    db.pragma('synchronous = NORMAL');
    db.pragma(`wal_autocheckpoint = ${BULK_LOAD_WAL_PAGES}`);
  }
  const appender = new EventAppender(db, streamDirectory && StreamDirectory.over(streamDirectory));
  const close = (): void => {
    appender.finishBulkLoad();
    // The whole log into the file, synced (a checkpoint syncs the log, then the file).
    if (bulkLoad) db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  };
  return { writeGroup: (appends) => appender.appendGroup(appends), close };
}, EVENT_STORE_ERRORS);
