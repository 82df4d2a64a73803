import { randomUUID } from 'node:crypto';
import {
  DuplicateEventIdError,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type StoredEvent,
  type StreamAppend,
  WrongExpectedRevisionError,
} from '../../src/application/ports/event-store';

export interface EventStoreHarness {
  /** A store ready for use; it may already hold events from other tests. */
  open(): Promise<EventStore>;
  /** A new instance on the same persisted data, after the previous one was closed. */
  reopen?(): Promise<EventStore>;
  /**
   * Whether an event id is unique across the whole store (default true). KurrentDB deduplicates ids
   * within a stream only; the service never reuses an id in another stream (ids are derived from
   * the command and the stream), so the tests that reuse one across streams are scoped to stores
   * that promise global uniqueness.
   */
  readonly globallyUniqueEventIds?: boolean;
  /** Whether the store appends to several streams at once, all or none (EventStore.appendToStreams). */
  readonly appendsToSeveralStreams: boolean;
  /** Whether an append answers the position of each event (AppendResult.positions). */
  readonly answersEachPosition: boolean;
}

const metadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  occurredAt: '2024-05-01T08:30:00.000Z',
  actor: { id: 'operator-1', role: 'agency_operator', agencyId: 'agency-1' },
  commandId: randomUUID(),
  correlationId: randomUUID(),
  causationId: randomUUID(),
  ...overrides,
});

const event = (type = 'WorkerRegistered', data: Record<string, unknown> = {}): EventToAppend => ({
  id: randomUUID(),
  type,
  schemaVersion: 1,
  data,
  metadata: metadata(),
});

const events = (count: number): EventToAppend[] =>
  Array.from({ length: count }, (_, i) => event(`Event${i}`, { index: i }));

const newStream = (): string => `worker-${randomUUID()}`;

function expectIncreasing(positions: readonly number[]): void {
  for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
}

function subscribe(
  store: EventStore,
  afterPosition: number,
  signal: AbortSignal,
): AsyncIterator<StoredEvent> {
  return store.subscribeToAll(afterPosition, { signal })[Symbol.asyncIterator]();
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

/** The port's contract: every EventStore adapter must pass it. */
export function describeEventStoreContract(adapterName: string, harness: EventStoreHarness): void {
  /** Tests that reuse an event id in another stream. */
  const itAcrossStreams = harness.globallyUniqueEventIds === false ? it.skip : it;

  /** What an append answers when it placed these events (its last first). */
  const answerFor = (placed: readonly StoredEvent[]) => ({
    nextExpectedRevision: placed[placed.length - 1]!.revision,
    position: placed[placed.length - 1]!.position,
    ...(harness.answersEachPosition ? { positions: placed.map((e) => e.position) } : {}),
  });

  describe(`EventStore contract: ${adapterName}`, () => {
    let store: EventStore;

    beforeEach(async () => {
      store = await harness.open();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('appending', () => {
      it('gives a new stream revisions 0..n-1 and increasing global positions', async () => {
        const streamId = newStream();
        const head = await store.headPosition();
        const toAppend = events(3);

        const result = await store.append(streamId, toAppend, 'no_stream');

        const stored = await store.readStream(streamId);
        expect(stored.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(stored.map((e) => e.id)).toEqual(toAppend.map((e) => e.id));
        expect(stored.every((e) => e.streamId === streamId)).toBe(true);
        expect(stored[0].position).toBeGreaterThan(head);
        expectIncreasing(stored.map((e) => e.position));
        expect(result).toEqual(answerFor(stored));
        expect(result.nextExpectedRevision).toBe(2);
        expect(await store.headPosition()).toBe(result.position);
      });

      it("rejects 'no_stream' when the stream already exists, reporting its actual revision", async () => {
        const streamId = newStream();
        await store.append(streamId, events(2), 'no_stream');

        const error = await rejection(store.append(streamId, [event()], 'no_stream'));

        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expected: 'no_stream', actual: 1 });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });

      it('accepts the exact last revision and continues the stream from it', async () => {
        const streamId = newStream();
        const first = await store.append(streamId, [event()], 'no_stream');

        const second = await store.append(streamId, events(2), first.nextExpectedRevision);

        expect(second.nextExpectedRevision).toBe(2);
        expect(second.position).toBeGreaterThan(first.position);
        expect((await store.readStream(streamId)).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('rejects a stale expected revision and writes nothing', async () => {
        const streamId = newStream();
        await store.append(streamId, [event()], 'no_stream');
        await store.append(streamId, [event()], 0);
        const head = await store.headPosition();

        const error = await rejection(store.append(streamId, events(2), 0));

        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expected: 0, actual: 1 });
        expect(await store.readStream(streamId)).toHaveLength(2);
        expect(await store.headPosition()).toBe(head);
      });

      it('rejects an expected revision ahead of the stream, and any number on a missing stream', async () => {
        const streamId = newStream();
        const missing = await rejection(store.append(streamId, [event()], 0));
        expect(missing).toBeInstanceOf(WrongExpectedRevisionError);
        expect(missing).toMatchObject({ streamId, expected: 0, actual: -1 });

        await store.append(streamId, [event()], 'no_stream');
        const ahead = await rejection(store.append(streamId, [event()], 5));
        expect(ahead).toMatchObject({ streamId, expected: 5, actual: 0 });
        expect(await store.readStream(streamId)).toHaveLength(1);
      });

      it("rejects 'stream_exists' on a missing stream and accepts it on an existing one", async () => {
        const streamId = newStream();

        const error = await rejection(store.append(streamId, [event()], 'stream_exists'));
        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expected: 'stream_exists', actual: -1 });
        expect(await store.readStream(streamId)).toEqual([]);

        await store.append(streamId, [event()], 'no_stream');
        const result = await store.append(streamId, [event()], 'stream_exists');
        expect(result.nextExpectedRevision).toBe(1);
      });

      it("accepts 'any' on both a missing and an existing stream", async () => {
        const streamId = newStream();

        const first = await store.append(streamId, [event()], 'any');
        const second = await store.append(streamId, events(2), 'any');

        expect(first.nextExpectedRevision).toBe(0);
        expect(second.nextExpectedRevision).toBe(2);
        expect(await store.readStream(streamId)).toHaveLength(3);
      });

      itAcrossStreams('writes none of the events of an append that fails part-way', async () => {
        const taken = event();
        await store.append(newStream(), [taken], 'no_stream');
        const streamId = newStream();
        const head = await store.headPosition();

        // The first two events are valid; the third reuses an id stored elsewhere.
        const error = await rejection(store.append(streamId, [event(), event(), taken], 'no_stream'));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.headPosition()).toBe(head);
        // The stream still does not exist, so 'no_stream' succeeds afterwards.
        const retried = await store.append(streamId, events(3), 'no_stream');
        expect(retried.nextExpectedRevision).toBe(2);
      });

      it('lets only one of two concurrent appends with the same expected revision win', async () => {
        const streamId = newStream();
        const start = await store.append(streamId, [event()], 'no_stream');

        const outcomes = await Promise.allSettled([
          store.append(streamId, [event('A')], start.nextExpectedRevision),
          store.append(streamId, [event('B')], start.nextExpectedRevision),
        ]);

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0].reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect(lost[0].reason).toMatchObject({ streamId, expected: 0, actual: 1 });
        expect(await store.readStream(streamId)).toHaveLength(2);
      });
    });

    describe('appending to several streams at once', () => {
      const parts = (...streamIds: string[]): StreamAppend[] =>
        streamIds.map((streamId) => ({ streamId, events: events(2), expected: 'no_stream' }));

      if (!harness.appendsToSeveralStreams) {
        it('is not offered, so callers append one stream after the other', () => {
          expect(store.appendToStreams).toBeUndefined();
        });
        return;
      }

      it('stores every part, answering each like its own append, in the order given', async () => {
        const [a, b] = [newStream(), newStream()];
        const head = await store.headPosition();

        const results = await store.appendToStreams!(parts(a, b));

        const [storedA, storedB] = [await store.readStream(a), await store.readStream(b)];
        expect(storedA.map((e) => e.revision)).toEqual([0, 1]);
        expect(results).toEqual([answerFor(storedA), answerFor(storedB)]);
        expect(results.map((result) => result.nextExpectedRevision)).toEqual([1, 1]);
        expect(storedA[0].position).toBeGreaterThan(head);
        expectIncreasing([...storedA, ...storedB].map((e) => e.position));
      });

      it('stores nothing when one part expects another revision, and names that stream', async () => {
        const [fresh, existing] = [newStream(), newStream()];
        await store.append(existing, [event()], 'no_stream');
        const head = await store.headPosition();

        const error = await rejection(
          store.appendToStreams!([
            { streamId: fresh, events: events(2), expected: 'no_stream' },
            { streamId: existing, events: [event()], expected: 'no_stream' },
          ]),
        );

        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId: existing, expected: 'no_stream', actual: 0 });
        expect(await store.readStream(fresh)).toEqual([]);
        expect(await store.readStream(existing)).toHaveLength(1);
        expect(await store.headPosition()).toBe(head);
      });

      it('answers a retry like the original and stores nothing twice', async () => {
        const appends = parts(newStream(), newStream());
        const first = await store.appendToStreams!(appends);
        const head = await store.headPosition();

        expect(await store.appendToStreams!(appends)).toEqual(first);
        expect(await store.headPosition()).toBe(head);
      });

      it('refuses a stream given twice, and no parts at all, storing nothing', async () => {
        const streamId = newStream();
        const head = await store.headPosition();

        await expect(store.appendToStreams!(parts(streamId, streamId))).rejects.toThrow('given twice');
        await expect(store.appendToStreams!([])).rejects.toThrow('no parts');

        expect(await store.readStream(streamId)).toEqual([]);
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('idempotency', () => {
      it('answers a retried append like the original and writes nothing, even with a stale expected revision', async () => {
        const streamId = newStream();
        const original = events(2);
        const first = await store.append(streamId, original, 'no_stream');
        await store.append(streamId, [event()], first.nextExpectedRevision);
        const head = await store.headPosition();

        const retried = await store.append(streamId, original, 'no_stream');
        const retriedWithNumber = await store.append(streamId, original, 0);

        expect(retried).toEqual(first);
        expect(retriedWithNumber).toEqual(first);
        const stored = await store.readStream(streamId);
        expect(first).toEqual(answerFor(stored.slice(0, 2)));
        expect(stored).toHaveLength(3);
        expect(await store.headPosition()).toBe(head);
      });

      itAcrossStreams('rejects an event id already stored in a different stream', async () => {
        const reused = event();
        await store.append(newStream(), [reused], 'no_stream');
        const other = newStream();
        const head = await store.headPosition();

        const error = await rejection(store.append(other, [reused], 'any'));

        expect(error).toBeInstanceOf(DuplicateEventIdError);
        expect(error).toMatchObject({ eventId: reused.id });
        expect(await store.readStream(other)).toEqual([]);
        expect(await store.headPosition()).toBe(head);
      });

      it('rejects a batch that replays only some stored events or changes their order', async () => {
        const streamId = newStream();
        const [a, b] = events(2);
        await store.append(streamId, [a, b], 'no_stream');
        const head = await store.headPosition();

        await expect(store.append(streamId, [a, event()], 'any')).rejects.toBeInstanceOf(
          DuplicateEventIdError,
        );
        await expect(store.append(streamId, [b, a], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);
        await expect(store.append(streamId, [a, a], 'any')).rejects.toBeInstanceOf(DuplicateEventIdError);

        expect(await store.readStream(streamId)).toHaveLength(2);
        expect(await store.headPosition()).toBe(head);
      });
    });

    describe('reading', () => {
      it('returns an empty list for a stream that does not exist', async () => {
        expect(await store.readStream(newStream())).toEqual([]);
      });

      it("tells a stream's revision, -1 when it does not exist, without reading it", async () => {
        const streamId = newStream();
        expect(await store.streamRevision(streamId)).toBe(-1);

        await store.append(streamId, events(2), 'no_stream');
        await store.append(newStream(), [event()], 'no_stream');
        expect(await store.streamRevision(streamId)).toBe(1);

        await store.append(streamId, [event()], 1);
        expect(await store.streamRevision(streamId)).toBe(2);
        const read = await store.readStream(streamId);
        expect(read[read.length - 1]!.revision).toBe(2);
      });

      it('returns data and metadata exactly as appended', async () => {
        const streamId = newStream();
        const appended: EventToAppend = {
          id: randomUUID(),
          type: 'CertificateIssued',
          schemaVersion: 3,
          data: {
            name: '张三丰',
            address: { city: '北京市', district: '海淀区', lines: ['中关村大街 1 号', 'Room 5'] },
            skills: [
              { code: 'elder-care', level: 2 },
              { code: '育婴', level: null },
            ],
            active: true,
            score: -12.5,
            emoji: '✅👷‍♀️',
            empty: {},
          },
          metadata: metadata({
            actor: { id: '李四', role: 'platform_reviewer' },
            commandId: 'cmd-张三丰',
          }),
        };

        const before = await store.headPosition();
        const { position } = await store.append(streamId, [appended], 'no_stream');

        const expected: StoredEvent = { ...appended, streamId, revision: 0, position };
        expect(await store.readStream(streamId)).toEqual([expected]);
        // Read from a real position: on KurrentDB other numbers are not places in the log.
        expect((await store.readAll(before, 10)).filter((e) => e.streamId === streamId)).toEqual([expected]);
      });

      it('returns metadata whose correlation or causation is the command itself exactly as appended', async () => {
        const streamId = newStream();
        const commandId = randomUUID();
        const otherCause = randomUUID();
        const appended: EventToAppend[] = [
          { ...event(), metadata: metadata({ commandId, correlationId: commandId, causationId: commandId }) },
          {
            ...event(),
            metadata: metadata({ commandId, correlationId: otherCause, causationId: commandId }),
          },
          {
            ...event(),
            metadata: metadata({ commandId, correlationId: commandId, causationId: otherCause }),
          },
        ];

        const { positions } = await store.append(streamId, appended, 'no_stream');

        const read = await store.readStream(streamId);
        expect(read.map((stored) => stored.metadata)).toEqual(appended.map((each) => each.metadata));
        expect(read.map((stored) => Object.keys(stored.metadata).sort())).toEqual(
          appended.map(() => ['actor', 'causationId', 'commandId', 'correlationId', 'occurredAt']),
        );
        if (positions) {
          const atPositions = await store.readAt(positions);
          expect(atPositions.map((stored) => stored.metadata)).toEqual(appended.map((each) => each.metadata));
        }
      });

      it('orders events of different streams by global position', async () => {
        const head = await store.headPosition();
        const [s1, s2] = [newStream(), newStream()];
        const appendedIds: string[] = [];
        for (const [streamId, expected] of [
          [s1, 'no_stream'],
          [s2, 'no_stream'],
          [s1, 0],
          [s2, 0],
          [s1, 1],
        ] as const) {
          const e = event();
          appendedIds.push(e.id);
          await store.append(streamId, [e], expected);
        }

        const all = (await store.readAll(head, 1000)).filter((e) => e.streamId === s1 || e.streamId === s2);

        expect(all.map((e) => e.id)).toEqual(appendedIds);
        expect(all.map((e) => [e.streamId, e.revision])).toEqual([
          [s1, 0],
          [s2, 0],
          [s1, 1],
          [s2, 1],
          [s1, 2],
        ]);
        expectIncreasing(all.map((e) => e.position));
      });

      it('reads all events after a position, up to a limit', async () => {
        const streamId = newStream();
        const head = await store.headPosition();
        await store.append(streamId, events(5), 'no_stream');
        const stored = await store.readStream(streamId);

        const page = await store.readAll(stored[1].position, 2);
        expect(page).toEqual(stored.slice(2, 4));

        const rest = await store.readAll(stored[3].position, 100);
        expect(rest.filter((e) => e.streamId === streamId)).toEqual(stored.slice(4));

        const fromHead = await store.readAll(head, 5);
        expect(fromHead.every((e) => e.position > head)).toBe(true);
        expectIncreasing(fromHead.map((e) => e.position));
        expect(await store.readAll(await store.headPosition(), 10)).toEqual([]);
      });

      it('reads only the events of the types asked for, up to the limit, past any others', async () => {
        const streamId = newStream();
        const head = await store.headPosition();
        // Events of the types wanted are separated by more others than the limit.
        const appended = ['Wanted', 'Other', 'Other', 'Other', 'Also', 'Other', 'Wanted', 'Other'].map(
          (type) => event(type),
        );
        await store.append(streamId, appended, 'no_stream');
        const stored = await store.readStream(streamId);
        const types = new Set(['Wanted', 'Also']);
        const mine = (read: StoredEvent[]): StoredEvent[] => read.filter((e) => e.streamId === streamId);

        const first = await store.readAll(head, 2, { types });
        expect(first.every((e) => types.has(e.type))).toBe(true);
        expect(mine(first)).toEqual([stored[0], stored[4]]);

        const rest = await store.readAll(stored[4].position, 100, { types });
        expect(mine(rest)).toEqual([stored[6]]);
        expect(await store.readAll(stored[6].position, 100, { types })).toEqual([]);
        expect(await store.readAll(head, 100, { types: new Set() })).toEqual([]);
        // Without types, every event as before.
        expect(mine(await store.readAll(head, 100))).toEqual(stored);
      });

      it('reads the events at given positions, in global order, each once', async () => {
        const first = newStream();
        const second = newStream();
        await store.append(first, events(3), 'no_stream');
        await store.append(second, events(2), 'no_stream');
        const [a, b, c] = await store.readStream(first);
        const [d, e] = await store.readStream(second);

        // Out of order and repeated: answered in the log's order, once each.
        expect(await store.readAt([e!.position, a!.position, c!.position, a!.position])).toEqual([a, c, e]);
        expect(await store.readAt([d!.position])).toEqual([d]);
        expect(await store.readAt([b!.position, 0])).toEqual([b]);
        expect(await store.readAt([])).toEqual([]);
      });

      it('reports the position of the newest event as the head', async () => {
        const before = await store.headPosition();
        expect(before).toBeGreaterThanOrEqual(0);

        const { position } = await store.append(newStream(), events(2), 'no_stream');

        expect(position).toBeGreaterThan(before);
        expect(await store.headPosition()).toBe(position);
      });
    });

    describe('subscribing', () => {
      /** Collects the next `count` events of the given streams, failing after `timeoutMs`. */
      async function take(
        iterator: AsyncIterator<StoredEvent>,
        streams: ReadonlySet<string>,
        count: number,
        timeoutMs = 5000,
      ): Promise<StoredEvent[]> {
        const seen: StoredEvent[] = [];
        const deadline = Date.now() + timeoutMs;
        while (seen.length < count) {
          const remaining = deadline - Date.now();
          let timer: NodeJS.Timeout | undefined;
          const next = await Promise.race([
            iterator.next(),
            new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), remaining))),
          ]);
          clearTimeout(timer);
          if (next === 'timeout') throw new Error(`timed out after ${seen.length} of ${count} events`);
          if (next.done) throw new Error(`subscription ended after ${seen.length} of ${count} events`);
          if (streams.has(next.value.streamId)) seen.push(next.value);
        }
        return seen;
      }

      it('delivers events appended after it started, in order and exactly once', async () => {
        const controller = new AbortController();
        const [s1, s2] = [newStream(), newStream()];
        const iterator = subscribe(store, await store.headPosition(), controller.signal);
        try {
          const pending = take(iterator, new Set([s1, s2]), 6);
          // Let the subscription catch up and start waiting before anything is appended.
          await new Promise((resolve) => setTimeout(resolve, 20));
          const appended = [...events(2), ...events(2), ...events(2)];
          await store.append(s1, appended.slice(0, 2), 'no_stream');
          await store.append(s2, appended.slice(2, 4), 'no_stream');
          await store.append(s1, appended.slice(4, 6), 1);

          const seen = await pending;

          expect(seen.map((e) => e.id)).toEqual(appended.map((e) => e.id));
          expect(new Set(seen.map((e) => e.position)).size).toBe(6);
          expectIncreasing(seen.map((e) => e.position));
          expect(seen).toEqual(
            [...(await store.readStream(s1)), ...(await store.readStream(s2))].sort(
              (a, b) => a.position - b.position,
            ),
          );
        } finally {
          controller.abort();
          await iterator.return?.();
        }
      });

      it('catches up from a given position, then continues with live events', async () => {
        const streamId = newStream();
        await store.append(streamId, events(3), 'no_stream');
        const stored = await store.readStream(streamId);
        const controller = new AbortController();
        const iterator = subscribe(store, stored[0].position, controller.signal);
        try {
          const caughtUp = await take(iterator, new Set([streamId]), 2);
          expect(caughtUp).toEqual(stored.slice(1));

          const live = event('Live');
          const pending = take(iterator, new Set([streamId]), 1);
          await store.append(streamId, [live], 2);
          const [seen] = await pending;
          expect(seen).toMatchObject({ id: live.id, revision: 3 });
          expect(seen.position).toBeGreaterThan(stored[2].position);
        } finally {
          controller.abort();
          await iterator.return?.();
        }
      });

      it('ends the iteration when its signal aborts, even while waiting for events', async () => {
        const controller = new AbortController();
        const iterator = subscribe(store, await store.headPosition(), controller.signal);
        const next = iterator.next();

        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.abort();

        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          next,
          new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 2000))),
        ]);
        clearTimeout(timer);
        expect(outcome).toEqual({ done: true, value: undefined });
      });

      it('ends at once when started with an already aborted signal', async () => {
        const controller = new AbortController();
        controller.abort();
        await store.append(newStream(), [event()], 'no_stream');

        const seen: StoredEvent[] = [];
        for await (const e of store.subscribeToAll(0, { signal: controller.signal })) seen.push(e);

        expect(seen).toEqual([]);
      });
    });

    if (harness.reopen) {
      const reopen = harness.reopen.bind(harness);

      describe('persistence', () => {
        it('keeps every event across close and reopen, and positions keep increasing', async () => {
          const streamId = newStream();
          const first = await store.append(streamId, events(3), 'no_stream');
          const before = await store.readStream(streamId);
          await store.close();

          store = await reopen();

          expect(await store.readStream(streamId)).toEqual(before);
          expect(await store.headPosition()).toBeGreaterThanOrEqual(first.position);
          const next = await store.append(streamId, [event()], first.nextExpectedRevision);
          expect(next.nextExpectedRevision).toBe(3);
          expect(next.position).toBeGreaterThan(first.position);
          // An idempotent retry is still recognised after reopening.
          expect(await store.append(streamId, before, 'no_stream')).toEqual(first);
        });
      });
    }
  });
}
