import { parentPort, workerData } from 'node:worker_threads';
import { EventAppender } from './event-appender';
import { describeError, type FromWriter, type ToWriter, type WriterData } from './event-writer-protocol';
import { openDatabase } from './open-database';

/**
 * The event store's writer thread (started by event-writer.ts): owns the write connection to the
 * event file and commits each group it is sent in one transaction (EventAppender), answering once
 * the COMMIT is durable. An error while opening, or any other uncaught error, ends the thread; the
 * main thread then refuses appends.
 */
const port = parentPort;
if (!port) throw new Error('event-writer.worker runs in a worker thread (see event-writer.ts)');

const { file, cacheKib } = workerData as WriterData;
const db = openDatabase(file);
db.pragma(`cache_size = -${cacheKib}`);
const appender = new EventAppender(db);
port.postMessage({ type: 'ready' } satisfies FromWriter);

port.on('message', (message: ToWriter) => {
  if (message.type === 'close') {
    db.close();
    port.postMessage({ type: 'closed' } satisfies FromWriter);
    port.close();
    return;
  }
  let answer: FromWriter;
  try {
    const outcomes = appender.appendGroup(message.appends);
    answer = {
      type: 'committed',
      outcomes: outcomes.map((outcome) =>
        outcome.ok
          ? { ok: true, appended: outcome.value }
          : { ok: false, error: describeError(outcome.error) },
      ),
    };
  } catch (error) {
    answer = { type: 'failed', error: describeError(error) };
  }
  port.postMessage(answer);
});
