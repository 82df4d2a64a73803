import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { EventLog, ReadAllOptions, StoredEvent } from '../../application/ports/event-store';
import {
  isSealedPersonalData,
  personalDataContext,
  type PersonalDataCipher,
  type PersonalFields,
  type SealedItem,
  type SealedPersonalData,
} from '../../application/ports/personal-data-cipher';

/**
 * Personal data opened on one thread for another that reads the same log (a rebuild's two threads).
 * Opening an envelope costs a key look-up, the key's unwrapping and AES-GCM, ~20 µs; the thread that
 * needs the names in clear is the longer one, and the other reads those events anyway. The opening
 * thread reads the log sealed (`RelayingLog`: its projections need no personal data in clear) and
 * tells what it opened; the other's cipher (`RelayedCipher`) takes it, and opens itself whatever it
 * was not told. Both read forward through the log.
 *
 * Neither waits for the other. Where the receiving thread would have to wait (it has caught up with
 * the opening one), it opens its envelopes itself and claims them (`RelayClaim`), so the opening
 * thread skips them: each envelope is opened about once, by whichever thread comes to it first.
 */

/** An envelope opened: its event's position, its context, and the fields (null: its key was destroyed). */
type RelayedEnvelope = readonly [position: number, context: string, fields: PersonalFields | null];

/** `through`: the opening thread has opened every envelope it will read up to this position, but those claimed. */
interface RelayMessage {
  readonly through: number;
  readonly opened: readonly RelayedEnvelope[];
}

/**
 * How far in the log the receiving thread opens envelopes itself: shared memory, read by the opening
 * thread before each piece it opens, since a message would reach it only when its event loop turns.
 * Only the receiving thread writes it, and only forward.
 */
export class RelayClaim {
  private readonly cell: BigInt64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT)) {
    this.cell = new BigInt64Array(buffer);
  }

  claim(position: number): void {
    if (position > this.claimed()) Atomics.store(this.cell, 0, BigInt(position));
  }

  claimed(): number {
    return Number(Atomics.load(this.cell, 0));
  }
}

/** How far an open reaches in the log: its last item's position (items without one: 0). */
function lastPosition(items: readonly SealedItem[]): number {
  let last = 0;
  for (const item of items) if (item.position !== undefined && item.position > last) last = item.position;
  return last;
}

function sealedOf(event: StoredEvent): SealedPersonalData | undefined {
  const personal = Object.prototype.hasOwnProperty.call(event.data, 'personal')
    ? event.data.personal
    : undefined;
  return isSealedPersonalData(personal) ? personal : undefined;
}

/**
 * The opening thread's log: read sealed, as stored, and as each piece is read, the envelopes in it
 * that the other thread has not claimed are opened with `cipher` and told on `port`.
 */
export class RelayingLog implements EventLog {
  private closed = false;

  constructor(
    private readonly inner: EventLog & { close(): Promise<void> },
    private readonly cipher: PersonalDataCipher,
    private readonly port: MessagePort,
    private readonly claim: RelayClaim,
    /** Closed with this log (the key store opened for it). */
    private readonly owned: readonly { close(): Promise<void> }[] = [],
  ) {}

  async readAll(afterPosition: number, limit: number, options?: ReadAllOptions): Promise<StoredEvent[]> {
    const events = await this.inner.readAll(afterPosition, limit, options);
    if (events.length > 0 && !this.closed) await this.relay(events);
    return events;
  }

  subscribeToAll(...args: Parameters<EventLog['subscribeToAll']>): ReturnType<EventLog['subscribeToAll']> {
    return this.inner.subscribeToAll(...args);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  /** Nothing more is told: the other thread opens the rest itself. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.port.close();
    }
    await this.inner.close();
    for (const resource of this.owned) await resource.close();
  }

  private async relay(events: readonly StoredEvent[]): Promise<void> {
    const claimed = this.claim.claimed();
    const items: SealedItem[] = [];
    for (const event of events) {
      if (event.position <= claimed) continue;
      const sealed = sealedOf(event);
      if (sealed)
        items.push({
          sealed,
          context: personalDataContext(event.streamId, event.id),
          position: event.position,
        });
    }
    const through = events[events.length - 1]!.position;
    if (items.length === 0 && through <= claimed) return;
    const opened = items.length > 0 ? await this.cipher.open(items) : [];
    const told = items.map((item, i): RelayedEnvelope => [item.position!, item.context, opened[i]!]);
    this.port.postMessage({ through, opened: told } satisfies RelayMessage);
  }
}

/** What a `RelayedCipher` did: envelopes taken from the relay, and those it opened itself. */
export interface RelayedOpenings {
  readonly relayed: number;
  readonly openedHere: number;
}

/**
 * Opens what the other thread told, and what it did not tell (or has not read as far as yet: then
 * claimed first, so the other skips it) with `fallback`: the answers are the same either way, only
 * the work moves. Told envelopes this thread has read past are forgotten, so the memory holds only
 * what is still ahead.
 */
export class RelayedCipher implements PersonalDataCipher {
  private readonly told = new Map<string, PersonalFields | null>();
  /** The told envelopes in log order, forgotten from `told` once this thread has read past them. */
  private readonly order: (readonly [number, string])[] = [];
  private oldest = 0;
  private through = 0;
  private relayed = 0;
  private openedHere = 0;

  constructor(
    private readonly port: MessagePort,
    private readonly claim: RelayClaim,
    private readonly fallback: PersonalDataCipher,
  ) {}

  async open(items: readonly SealedItem[]): Promise<(PersonalFields | null)[]> {
    this.receive();
    const last = lastPosition(items);
    // Not told as far as these reach: whatever is missing is opened here, and the other thread skips it.
    if (this.through < last) this.claim.claim(last);
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
    return { relayed: this.relayed, openedHere: this.openedHere };
  }

  async close(): Promise<void> {
    this.port.close();
  }

  /**
   * Takes what the other thread told so far, at once: this thread's reads and projections may run for
   * long without its event loop turning, and it never waits for a message.
   */
  private receive(): void {
    for (let next = receiveMessageOnPort(this.port); next; next = receiveMessageOnPort(this.port)) {
      const message = next.message as RelayMessage;
      for (const [position, context, fields] of message.opened) {
        this.told.set(context, fields);
        this.order.push([position, context]);
      }
      if (message.through > this.through) this.through = message.through;
    }
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
