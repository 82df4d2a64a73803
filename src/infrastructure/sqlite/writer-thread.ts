import { MessageChannel, type MessagePort, type TransferListItem, type Worker } from 'node:worker_threads';
import { startModuleThread } from './module-thread';
import type { ErrorCodec, FromWriterThread, ToWriterThread } from './writer-thread-protocol';

/** The parts of a worker_threads Worker a ThreadWriter uses (a test can stand in for the thread). */
export type WriterThread = Pick<Worker, 'postMessage' | 'on' | 'ref' | 'unref' | 'terminate'>;

/**
 * Starts a writer thread's module (see startModuleThread). Its garbage is short-lived (the groups it
 * is sent), so a small young generation keeps each thread's memory small (the default may grow to
 * tens of MB per thread).
 */
export function startWriterModule(directory: string, name: string, workerData: unknown): Worker {
  return startModuleThread(directory, name, workerData, { maxYoungGenerationSizeMb: 8 });
}

/**
 * Another store's writer thread, reached over a port it gave (ThreadWriter.share): the same protocol,
 * the port's closing standing for the thread's exit (the thread ended, or closed this port).
 */
export function writerThreadOverPort(port: MessagePort): WriterThread {
  const thread = {
    postMessage: (value: unknown, transferList?: readonly TransferListItem[]) =>
      port.postMessage(value, transferList),
    on(event: string, listener: (value: unknown) => void) {
      if (event === 'message') port.on('message', listener);
      else if (event === 'exit') port.on('close', () => listener(0));
      // A port has no 'error': a thread that fails closes it.
      return thread;
    },
    ref: () => port.ref(),
    unref: () => port.unref(),
    terminate: async () => {
      port.close();
      return 0;
    },
  };
  return thread as unknown as WriterThread;
}

/** How a ThreadWriter's errors name its thread and its work. */
export interface WriterLabels {
  /** E.g. "the event store's writer thread". */
  readonly thread: string;
  /** One unit of work and several, e.g. "append" and "appends". */
  readonly unit: string;
  readonly units: string;
  /** The file the thread writes, e.g. "the event file". */
  readonly file: string;
}

/** How a unit's promise is settled once its group is answered. */
interface Pending<Value> {
  readonly resolve: (value: Value) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A store's side of its writer thread: group commit across threads. Units of work that arrive in the
 * same turn of the event loop are sent together as one group, at the end of the turn, without waiting
 * for the answers to earlier groups: the thread commits, in one transaction (each unit all or nothing),
 * every group it has received by the time it starts a commit, so its commits follow one another as
 * fast as the disk allows whatever this event loop is busy with, and groups commit in the order their
 * units arrived, each seeing every earlier one. (Waiting for each answer before sending the next group
 * tied the commits to this thread's turns: under load a turn of many requests took milliseconds, and
 * so did every round trip.) A promise settles only once its group's COMMIT has completed (or failed),
 * so a resolved unit is committed and visible to any connection that reads afterwards.
 *
 * The thread starts with the first unit (a store that is only read never starts one). If it dies,
 * every pending unit is rejected (those in flight with an "unknown outcome" error) and later units
 * are refused.
 */
export class ThreadWriter<Unit, Value> {
  private thread: WriterThread | null = null;
  private pending: Pending<Value>[] = [];
  /**
   * The pending units, apart from their settlements: once sent, a group keeps only how to settle
   * them, so what they carry (for the event store, every event encoded) can be collected young
   * instead of living in this thread's heap until the commit is answered.
   */
  private pendingUnits: Unit[] = [];
  /** Groups sent and not yet answered, oldest first: the thread answers them in this order. */
  private inFlight: (readonly Pending<Value>[])[] = [];
  private scheduled = false;
  /** Set once the thread has died: why units are refused. */
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  /** The thread has opened its connection. */
  private ready = false;
  /** The thread answered 'close': its exit is the expected one. */
  private stopped = false;
  /** Called whenever nothing is pending or in flight any more, or the thread died. */
  private onIdle: (() => void) | null = null;
  private onClosed: (() => void) | null = null;

  constructor(
    private readonly startThread: () => WriterThread,
    private readonly errors: ErrorCodec,
    private readonly labels: WriterLabels,
  ) {}

  /** Settles once the unit's group has committed: with its value, or its own error. */
  submit(unit: Unit): Promise<Value> {
    if (!this.failure && !this.closing) this.thread ??= this.attach();
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error(`${this.labels.thread} is closed`));
    return new Promise<Value>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.pendingUnits.push(unit);
      this.updateRef();
      if (!this.scheduled) this.sendOnNextTurn();
    });
  }

  /**
   * A port through which a store on another thread (`writerThreadOverPort`) has its units committed by
   * this writer's thread, in the same transactions as this one's: one connection writing the file
   * instead of several taking its write lock in turn. This writer must close last: its closing ends
   * the thread, and with it every port it gave.
   */
  share(): MessagePort {
    if (!this.failure && !this.closing) this.thread ??= this.attach();
    // A thread that could not start has set `failure`.
    if (this.failure) throw this.failure;
    if (this.closing || !this.thread) throw new Error(`${this.labels.thread} is closed`);
    const { port1, port2 } = new MessageChannel();
    this.thread.postMessage({ type: 'connect', port: port1 } satisfies ToWriterThread<Unit>, [port1]);
    return port2;
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
    thread.on('message', (message: FromWriterThread<Value>) => this.receive(message));
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
    if (this.inFlight.length > 0 || this.pending.length > 0) {
      await new Promise<void>((resolve) => (this.onIdle = resolve));
    }
    if (this.failure) return;
    thread.ref();
    const closed = new Promise<void>((resolve) => (this.onClosed = resolve));
    thread.postMessage({ type: 'close' } satisfies ToWriterThread<Unit>);
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
    if (!this.thread || this.pending.length === 0 || this.failure) return;
    const group = this.pending;
    const units = this.pendingUnits;
    this.pending = [];
    this.pendingUnits = [];
    try {
      this.thread.postMessage({ type: 'group', units } satisfies ToWriterThread<Unit>);
    } catch (error) {
      // Not sent (e.g. a value that cannot be cloned): nothing of the group was stored.
      const failure = this.errors.rebuild({ kind: 'other', name: 'Error', message: String(error) });
      for (const pending of group) pending.reject(failure);
      this.afterAnswer();
      return;
    }
    this.inFlight.push(group);
  }

  private receive(message: FromWriterThread<Value>): void {
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

  private settle(answer: Extract<FromWriterThread<Value>, { type: 'committed' | 'failed' }>): void {
    const group = this.inFlight.shift() ?? [];
    if (answer.type === 'failed') {
      const error = this.errors.rebuild(answer.error);
      for (const pending of group) pending.reject(error);
    } else {
      group.forEach((pending, i) => {
        const outcome = answer.outcomes[i];
        if (outcome?.ok) pending.resolve(outcome.value);
        else
          pending.reject(
            outcome
              ? this.errors.rebuild(outcome.error)
              : new Error(`${this.labels.thread}: no answer for ${this.labels.unit}`),
          );
      });
    }
    this.afterAnswer();
  }

  private afterAnswer(): void {
    if (this.inFlight.length > 0 || this.pending.length > 0) return;
    this.updateRef();
    this.onIdle?.();
  }

  private die(how: string, cause?: Error): void {
    if (this.failure) return;
    const { unit, units, file } = this.labels;
    const opening = this.thread && !this.ready ? ` before opening ${file}` : '';
    const thread = `${this.labels.thread} ${how}${opening}`;
    this.failure = new Error(`${thread}: ${units} are refused (restart the process)`, { cause });
    const inFlight = this.inFlight.flat();
    const pending = this.pending;
    this.inFlight = [];
    this.pending = [];
    this.pendingUnits = [];
    const outcome = this.ready ? 'whether it was stored is unknown' : 'nothing was stored';
    for (const waiting of inFlight)
      waiting.reject(new Error(`${thread} while committing this ${unit}: ${outcome}`, { cause }));
    for (const waiting of pending)
      waiting.reject(new Error(`${thread} before this ${unit} was sent: nothing was stored`, { cause }));
    this.onIdle?.();
    this.onClosed?.();
  }

  /** A writer with units to answer keeps the process alive; an idle one does not. */
  private updateRef(): void {
    if (!this.thread) return;
    if (this.inFlight.length > 0 || this.pending.length > 0 || this.closing) this.thread.ref();
    else this.thread.unref();
  }
}
