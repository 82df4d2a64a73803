import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type {
  PersonalDataCipher,
  PersonalFields,
  SealedItem,
  SealedPersonalData,
} from '../../application/ports/personal-data-cipher';

/**
 * Personal data opened on one thread for another that reads the same log (a rebuild's two threads).
 * Opening an envelope costs a key look-up, the key's unwrapping and AES-GCM, ~20 µs; the thread that
 * needs the names in clear is the longer one, and the other reads those events anyway. The opening
 * thread's cipher (`RelayingCipher`) tells what it opened; the other's (`RelayedCipher`) takes it,
 * and opens itself whatever it was not told. Both read forward through the log.
 */

/** An envelope opened: its event's position, its context, and the fields (null: its key was destroyed). */
type RelayedEnvelope = readonly [position: number, context: string, fields: PersonalFields | null];

/**
 * `through`: the opening thread has opened every envelope it will read up to this position.
 * `end`: it will tell nothing more.
 */
type RelayMessage =
  { readonly through: number; readonly opened: readonly RelayedEnvelope[] } | { readonly end: true };

/** How far an open reaches in the log: its last item's position (items without one: 0). */
function lastPosition(items: readonly SealedItem[]): number {
  let last = 0;
  for (const item of items) if (item.position !== undefined && item.position > last) last = item.position;
  return last;
}

/** Opens with `inner` and tells `port` what it opened. Writes go to `inner` as they are. */
export class RelayingCipher implements PersonalDataCipher {
  private closed = false;

  constructor(
    private readonly inner: PersonalDataCipher,
    private readonly port: MessagePort,
  ) {}

  async open(items: readonly SealedItem[]): Promise<(PersonalFields | null)[]> {
    const opened = await this.inner.open(items);
    const told: RelayedEnvelope[] = [];
    items.forEach((item, i) => {
      if (item.position !== undefined) told.push([item.position, item.context, opened[i]!]);
    });
    if (told.length > 0 && !this.closed) {
      this.port.postMessage({ through: lastPosition(items), opened: told } satisfies RelayMessage);
    }
    return opened;
  }

  seal(kid: string, fields: PersonalFields, context: string): Promise<SealedPersonalData> {
    return this.inner.seal(kid, fields, context);
  }

  destroyKey(kid: string, at: string): Promise<void> {
    return this.inner.destroyKey(kid, at);
  }

  /** Tells the other thread that nothing more comes, so it stops waiting. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage({ end: true } satisfies RelayMessage);
    this.port.close();
  }
}

/** What a `RelayedCipher` did: envelopes taken from the relay, opened itself, and time spent waiting. */
export interface RelayedOpenings {
  readonly relayed: number;
  readonly openedHere: number;
  readonly waitedSeconds: number;
}

/**
 * Opens what the other thread told (waiting until it has read as far as the items reach), and what it
 * did not tell with `fallback`: the answers are the same either way, only the work moves. Told
 * envelopes this thread has read past are forgotten, so the memory holds only what is still ahead.
 */
export class RelayedCipher implements PersonalDataCipher {
  private readonly told = new Map<string, PersonalFields | null>();
  /** The told envelopes in log order, forgotten from `told` once this thread has read past them. */
  private readonly order: (readonly [number, string])[] = [];
  private oldest = 0;
  private through = 0;
  private ended = false;
  /** Opens waiting for the other thread to read further (more than one when reads overlap). */
  private waiting: (() => void)[] = [];
  private relayed = 0;
  private openedHere = 0;
  private waited = 0n;

  constructor(
    private readonly port: MessagePort,
    private readonly fallback: PersonalDataCipher,
  ) {
    port.on('message', (message: RelayMessage) => this.receive(message));
    // The other side closed or its thread ended: nothing more comes.
    port.once('close', () => this.end());
  }

  async open(items: readonly SealedItem[]): Promise<(PersonalFields | null)[]> {
    const last = lastPosition(items);
    if (this.through < last && !this.ended) this.receiveQueued(last);
    if (this.through < last && !this.ended) await this.waitFor(last);
    const results: (PersonalFields | null)[] = new Array<PersonalFields | null>(items.length);
    const missing: number[] = [];
    items.forEach((item, i) => {
      const fields = this.told.get(item.context);
      if (fields === undefined) missing.push(i);
      else {
        results[i] = fields;
        this.told.delete(item.context);
      }
    });
    if (missing.length > 0) {
      const opened = await this.fallback.open(missing.map((i) => items[i]!));
      missing.forEach((i, k) => (results[i] = opened[k]!));
    }
    this.relayed += items.length - missing.length;
    this.openedHere += missing.length;
    this.forgetThrough(last);
    return results;
  }

  seal(kid: string, fields: PersonalFields, context: string): Promise<SealedPersonalData> {
    return this.fallback.seal(kid, fields, context);
  }

  destroyKey(kid: string, at: string): Promise<void> {
    return this.fallback.destroyKey(kid, at);
  }

  openings(): RelayedOpenings {
    return {
      relayed: this.relayed,
      openedHere: this.openedHere,
      waitedSeconds: Number(this.waited) / 1e9,
    };
  }

  async close(): Promise<void> {
    this.port.close();
    this.end();
  }

  private receive(message: RelayMessage): void {
    if ('end' in message) {
      this.end();
      return;
    }
    for (const [position, context, fields] of message.opened) {
      this.told.set(context, fields);
      this.order.push([position, context]);
    }
    if (message.through > this.through) this.through = message.through;
    this.wakeUp();
  }

  /**
   * Takes what the other thread has told already, without waiting for the event loop: this thread
   * projects without giving the loop a turn, so its messages queue up until it needs them. Waiting
   * for the loop to deliver them cost a turn each time (~530 times and ~0.4–0.8 s in a Shanghai
   * rebuild, nearly all with the message there already: docs/performance.md, item 129).
   */
  private receiveQueued(position: number): void {
    while (this.through < position && !this.ended) {
      const queued = receiveMessageOnPort(this.port);
      if (queued === undefined) return;
      this.receive(queued.message as RelayMessage);
    }
  }

  private async waitFor(position: number): Promise<void> {
    const started = process.hrtime.bigint();
    while (this.through < position && !this.ended) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.waited += process.hrtime.bigint() - started;
  }

  private end(): void {
    this.ended = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /** This thread reads forward: what was told up to `position` and not taken will never be asked for. */
  private forgetThrough(position: number): void {
    while (this.oldest < this.order.length && this.order[this.oldest]![0] <= position) {
      this.told.delete(this.order[this.oldest]![1]);
      this.oldest += 1;
    }
    if (this.oldest > 4096 && this.oldest * 2 > this.order.length) {
      this.order.splice(0, this.oldest);
      this.oldest = 0;
    }
  }
}
