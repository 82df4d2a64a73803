import type { Worker } from 'node:worker_threads';
import {
  type AppendRequest,
  type Appended,
  type FromWriter,
  rebuildError,
  type ToWriter,
  type WriterData,
} from './event-writer-protocol';
import { startModuleThread } from './module-thread';

/** The parts of a worker_threads Worker the writer uses (a test can stand in for the thread). */
export type WriterThread = Pick<Worker, 'postMessage' | 'on' | 'ref' | 'unref' | 'terminate'>;

interface PendingAppend {
  readonly request: AppendRequest;
  readonly resolve: (appended: Appended) => void;
  readonly reject: (error: unknown) => void;
}

/** Starts the writer thread (event-writer.worker.ts). */
export function startWriterThread(data: WriterData): Worker {
  return startModuleThread(__dirname, 'event-writer.worker', data);
}

/**
 * The event store's side of its writer thread: group commit across threads. Appends that arrive in
 * the same turn of the event loop are sent together as one group, which the thread commits in one
 * transaction (one savepoint and expected-revision check per append). At most one group is in
 * flight: appends that arrive meanwhile accumulate here and go as the next group as soon as the
 * thread answers, so groups commit in the order their appends arrived, and each group sees every
 * earlier one. A promise settles only once its group's COMMIT has completed (or failed), so a
 * resolved append is durable and visible to any connection that reads afterwards.
 *
 * The thread starts with the first append (a store that is only read never starts one). If it dies,
 * every pending append is rejected (those in flight with an "unknown outcome" error: retrying them
 * with the same event ids is safe) and later appends are refused.
 */
export class EventWriter {
  private thread: WriterThread | null = null;
  private pending: PendingAppend[] = [];
  private inFlight: readonly PendingAppend[] | null = null;
  private scheduled = false;
  /** Set once the thread has died: why appends are refused. */
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  /** The thread has opened its connection. */
  private ready = false;
  /** The thread answered 'close': its exit is the expected one. */
  private stopped = false;
  /** Called whenever nothing is pending or in flight any more, or the thread died. */
  private onIdle: (() => void) | null = null;
  private onClosed: (() => void) | null = null;

  constructor(private readonly startThread: () => WriterThread) {}

  static start(data: WriterData): EventWriter {
    return new EventWriter(() => startWriterThread(data));
  }

  /** Settles once the append's group has committed: with its answer, or its own error. */
  append(request: AppendRequest): Promise<Appended> {
    if (!this.failure && !this.closing) this.thread ??= this.attach();
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('the event writer is closed'));
    return new Promise<Appended>((resolve, reject) => {
      this.pending.push({ request, resolve, reject });
      this.updateRef();
      if (!this.scheduled && !this.inFlight) this.sendOnNextTurn();
    });
  }

  /** Commits what is pending, waits for the answers, then closes the thread's connection and ends it. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private attach(): WriterThread | null {
    let thread: WriterThread;
    try {
      thread = this.startThread();
    } catch (error) {
      this.die(`could not start (${String(error)})`, error instanceof Error ? error : undefined);
      return null;
    }
    thread.on('message', (message: FromWriter) => this.receive(message));
    thread.on('error', (error: Error) => this.die(`failed (${error.message})`, error));
    thread.on('exit', (code: number) => {
      if (this.stopped) this.onClosed?.();
      else this.die(`exited (code ${code})`);
    });
    return thread;
  }

  private async shutDown(): Promise<void> {
    const thread = this.thread;
    if (!thread) return;
    this.send();
    if (this.inFlight || this.pending.length > 0) {
      await new Promise<void>((resolve) => (this.onIdle = resolve));
    }
    if (this.failure) return;
    thread.ref();
    const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
    thread.postMessage({ type: 'close' } satisfies ToWriter);
    await closed;
    if (!this.failure) await thread.terminate();
  }

  private sendOnNextTurn(): void {
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (!this.thread || this.inFlight || this.pending.length === 0 || this.failure) return;
    const group = this.pending;
    this.pending = [];
    this.inFlight = group;
    try {
      this.thread.postMessage({
        type: 'group',
        appends: group.map((unit) => unit.request),
      } satisfies ToWriter);
    } catch (error) {
      // Not sent (e.g. a value that cannot be cloned): nothing of the group was stored.
      this.settle({ type: 'failed', error: { kind: 'other', name: 'Error', message: String(error) } });
    }
  }

  private receive(message: FromWriter): void {
    if (message.type === 'ready') {
      this.ready = true;
      return;
    }
    if (message.type === 'closed') {
      this.stopped = true;
      this.onClosed?.();
      return;
    }
    this.settle(message);
  }

  private settle(answer: Extract<FromWriter, { type: 'committed' | 'failed' }>): void {
    const group = this.inFlight ?? [];
    this.inFlight = null;
    if (answer.type === 'failed') {
      const error = rebuildError(answer.error);
      for (const unit of group) unit.reject(error);
    } else {
      group.forEach((unit, i) => {
        const outcome = answer.outcomes[i];
        if (outcome?.ok) unit.resolve(outcome.appended);
        else
          unit.reject(
            outcome ? rebuildError(outcome.error) : new Error('event writer: no answer for append'),
          );
      });
    }
    // The next group goes after the answered appends' continuations, with whatever else arrives in
    // this turn.
    if (this.pending.length > 0) this.sendOnNextTurn();
    else {
      this.updateRef();
      this.onIdle?.();
    }
  }

  private die(how: string, cause?: Error): void {
    if (this.failure) return;
    const opening = this.thread && !this.ready ? ' before opening the event file' : '';
    const thread = `the event store's writer thread ${how}${opening}`;
    this.failure = new Error(`${thread}: appends are refused (restart the process)`, { cause });
    const inFlight = this.inFlight ?? [];
    const pending = this.pending;
    this.inFlight = null;
    this.pending = [];
    const outcome = this.ready ? 'whether it was stored is unknown' : 'nothing was stored';
    for (const unit of inFlight)
      unit.reject(new Error(`${thread} while committing this append: ${outcome}`, { cause }));
    for (const unit of pending)
      unit.reject(new Error(`${thread} before this append was sent: nothing was stored`, { cause }));
    this.onIdle?.();
    this.onClosed?.();
  }

  /** A writer with appends to answer keeps the process alive; an idle one does not. */
  private updateRef(): void {
    if (!this.thread) return;
    if (this.inFlight || this.pending.length > 0 || this.closing) this.thread.ref();
    else this.thread.unref();
  }
}
