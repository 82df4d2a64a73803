import type { MessagePort, Worker } from 'node:worker_threads';
import {
  type AppendRequest,
  type Appended,
  EVENT_STORE_ERRORS,
  type WriterData,
} from './event-writer-protocol';
import { startWriterModule, ThreadWriter, writerThreadOverPort, type WriterThread } from './writer-thread';

export type { WriterThread } from './writer-thread';

/** Starts the writer thread (event-writer.worker.ts). */
export function startWriterThread(data: WriterData): Worker {
  return startWriterModule(__dirname, 'event-writer.worker', data);
}

/**
 * The event store's side of its writer thread (see ThreadWriter): appends that arrive in the same
 * turn go together, the thread commits whatever has reached it, and a promise settles only once its
 * group's COMMIT has completed, so a resolved append is durable. If the thread dies, those in flight reject
 * with an "unknown outcome" error (retrying them with the same event ids is safe) and later appends
 * are refused.
 */
export class EventWriter {
  private readonly writer: ThreadWriter<AppendRequest, Appended>;

  constructor(startThread: () => WriterThread) {
    this.writer = new ThreadWriter(startThread, EVENT_STORE_ERRORS, {
      thread: "the event store's writer thread",
      unit: 'append',
      units: 'appends',
      file: 'the event file',
    });
  }

  static start(data: WriterData): EventWriter {
    return new EventWriter(() => startWriterThread(data));
  }

  /** Appends through another store's writer thread, over a port it shared (see `share`). */
  static overPort(port: MessagePort): EventWriter {
    return new EventWriter(() => writerThreadOverPort(port));
  }

  /** A port for another thread's store to append through this writer's thread (ThreadWriter.share). */
  share(): MessagePort {
    return this.writer.share();
  }

  /** Settles once the append's group has committed: with its answer, or its own error. */
  append(request: AppendRequest): Promise<Appended> {
    return this.writer.submit(request);
  }

  close(): Promise<void> {
    return this.writer.close();
  }
}
