import type {
  AppendResult,
  EventStore,
  EventToAppend,
  ExpectedRevision,
  ReadAllOptions,
  ReadAtOptions,
  StoredEvent,
  SubscribeOptions,
} from '../../application/ports/event-store';
import {
  ERASED,
  isSealedPersonalData,
  personalDataContext,
  type OpenedPersonalData,
  type PersonalDataCipher,
  type PersonalFields,
  type SealedPersonalData,
} from '../../application/ports/personal-data-cipher';

/** An event as this store gives it back: `data.personal` in clear, plus the envelope it came from. */
export type OpenedEvent = StoredEvent & { readonly personalData?: OpenedPersonalData };

function personalOf(data: Readonly<Record<string, unknown>>): unknown {
  return Object.prototype.hasOwnProperty.call(data, 'personal') ? data.personal : undefined;
}

/**
 * Encrypts personal data at the event store port, so neither the domain nor the projections change:
 * on append, an event's `data.personal` object (WorkerRegistered, WorkerInfoUpdated, or any event that
 * carries one) is replaced by an AES-256-GCM envelope under the data key of `data.workerId`, bound to
 * the stream and event id. On read it is opened again; when the key was destroyed (the worker was
 * erased) every sealed field reads as `[erased]`, so deciders and projections keep working.
 *
 * Event ids stay deterministic, so a retried command is still recognised by id; its ciphertext
 * differs (fresh IV), which is why the stores' idempotency compares ids and placement, not payloads.
 */
export class EncryptingEventStore implements EventStore {
  /** Present when the inner store has it: sealed part by part, then appended together. */
  readonly appendToStreams?: EventStore['appendToStreams'];

  constructor(
    private readonly inner: EventStore,
    private readonly cipher: PersonalDataCipher,
    /** Closed with this store when it owns them (a key store opened for a tool). */
    private readonly owned: readonly { close(): Promise<void> }[] = [],
  ) {
    const appendToStreams = inner.appendToStreams?.bind(inner);
    if (appendToStreams) {
      this.appendToStreams = async (appends) =>
        appendToStreams(
          await Promise.all(
            appends.map(async (part) => ({
              ...part,
              events: await this.sealAll(part.streamId, part.events),
            })),
          ),
        );
    }
  }

  async append(
    streamId: string,
    events: readonly EventToAppend[],
    expected: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.inner.append(streamId, await this.sealAll(streamId, events), expected);
  }

  async readStream(streamId: string): Promise<StoredEvent[]> {
    return this.openAll(await this.inner.readStream(streamId));
  }

  async readAll(afterPosition: number, limit: number, options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.openAll(await this.inner.readAll(afterPosition, limit, options));
  }

  async readAt(positions: readonly number[], options: ReadAtOptions = {}): Promise<StoredEvent[]> {
    const events = await this.inner.readAt(positions);
    return options.sealed ? events : this.openAll(events);
  }

  async *subscribeToAll(afterPosition: number, options?: SubscribeOptions): AsyncGenerator<StoredEvent> {
    for await (const event of this.inner.subscribeToAll(afterPosition, options)) {
      yield isSealedPersonalData(personalOf(event.data)) ? (await this.openAll([event]))[0]! : event;
    }
  }

  streamRevision(streamId: string): Promise<number> {
    return this.inner.streamRevision(streamId);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  get onAppended(): EventStore['onAppended'] {
    return this.inner.onAppended?.bind(this.inner);
  }

  async close(): Promise<void> {
    await this.inner.close();
    for (const resource of this.owned) await resource.close();
  }

  private sealAll(streamId: string, events: readonly EventToAppend[]): Promise<EventToAppend[]> {
    return Promise.all(events.map((event) => this.seal(streamId, event)));
  }

  private async seal(streamId: string, event: EventToAppend): Promise<EventToAppend> {
    const personal = personalOf(event.data);
    if (personal === undefined || isSealedPersonalData(personal)) return event;
    const workerId = event.data.workerId;
    if (typeof personal !== 'object' || personal === null || typeof workerId !== 'string' || !workerId) {
      // Fail closed: personal data is never stored in clear, nor under a key nobody can name.
      throw new Error(`${event.type} carries personal data without a workerId to key it: refusing to store`);
    }
    const sealed = await this.cipher.seal(
      workerId,
      personal as PersonalFields,
      personalDataContext(streamId, event.id),
    );
    return { ...event, data: { ...event.data, personal: sealed } };
  }

  /** Opens every sealed event of a batch with one key-store lookup. */
  private async openAll(events: StoredEvent[]): Promise<StoredEvent[]> {
    const sealedAt: number[] = [];
    events.forEach((event, index) => {
      if (isSealedPersonalData(personalOf(event.data))) sealedAt.push(index);
    });
    if (sealedAt.length === 0) return events;
    const opened = await this.cipher.open(
      sealedAt.map((index) => {
        const event = events[index]!;
        return {
          sealed: event.data.personal as SealedPersonalData,
          context: personalDataContext(event.streamId, event.id),
          position: event.position,
        };
      }),
    );
    const result = events.slice();
    sealedAt.forEach((index, i) => {
      const event = events[index]!;
      const sealed = event.data.personal as SealedPersonalData;
      const fields = opened[i] ?? Object.fromEntries(sealed.fields.map((field) => [field, ERASED]));
      const personalData: OpenedPersonalData = { sealed, erased: opened[i] === null };
      // `personalData` before the spread: added after it, it would give each event a hidden class of
      // its own in V8 (docs/performance.md, item 67). Stored events never carry it.
      result[index] = { personalData, ...event, data: { ...event.data, personal: fields } } as OpenedEvent;
    });
    return result;
  }
}
