import {
  ANY,
  END,
  KurrentDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendStreamState,
  type EventData,
  type Position,
  type ReadPosition,
} from '@kurrent/kurrentdb-client';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import {
  DuplicateEventIdError,
  type EventToAppend,
  type StoredEvent,
  WrongExpectedRevisionError,
} from '../../../src/application/ports/event-store';
import { KurrentDbEventStore } from '../../../src/infrastructure/kurrentdb/kurrentdb-event-store';
import { eventToAppend } from '../../support/events';

/**
 * The adapter's own logic (resubscribing, checkpoints, recognising retried appends) against a small
 * in-memory stand-in for the client. The server's behaviour is covered by the contract suite, which
 * runs against a real KurrentDB when KURRENTDB_URL is set; this stand-in is not a substitute for it.
 */

interface Row {
  streamId: string;
  event: EventData;
  revision: bigint;
  commit: bigint;
}

type FakeSubscription = PassThrough & { unsubscribe(): Promise<void>; from: ReadPosition };

class FakeClient {
  readonly rows: Row[] = [];
  readonly subscriptions: FakeSubscription[] = [];
  /** Makes the server answer a deduplicated append without a position (older servers do). */
  idempotentWithoutPosition = false;
  private commit = 1_000n;

  writeForeign(streamId: string, type: string): void {
    this.commit += 97n;
    this.rows.push({
      streamId,
      event: { id: randomUUID(), contentType: 'application/json', type, data: {}, metadata: undefined },
      revision: 0n,
      commit: this.commit,
    });
  }

  async appendToStream(streamId: string, events: EventData[], options: { streamState: AppendStreamState }) {
    const stream = this.rows.filter((row) => row.streamId === streamId);
    const current = stream.length === 0 ? -1n : stream[stream.length - 1]!.revision;
    const expected = options.streamState;
    const base = expected === NO_STREAM ? -1n : typeof expected === 'bigint' ? expected : null;
    if (expected === ANY) {
      // KurrentDB's check for ANY: recently written ids of this stream, in any order.
      const found = events.map((event) => stream.find((row) => row.event.id === event.id));
      if (found[0] && found.every(Boolean)) {
        const end = found[found.length - 1]!;
        return {
          success: true,
          nextExpectedRevision: end.revision,
          position: { commit: end.commit, prepare: end.commit },
        };
      }
      if (found[0])
        throw new WrongExpectedVersionError(undefined, { streamName: streamId, expected, current });
    }
    if (base !== null && base < current) {
      // KurrentDB's idempotency check: the same ids right after the expected revision.
      const same = events.every((event, i) => stream[Number(base) + 1 + i]?.event.id === event.id);
      if (same) {
        const last = stream[Number(base) + events.length]!;
        return {
          success: true,
          nextExpectedRevision: last.revision,
          ...(this.idempotentWithoutPosition
            ? {}
            : { position: { commit: last.commit, prepare: last.commit } }),
        };
      }
    }
    if (base !== null && base !== current) {
      throw new WrongExpectedVersionError(undefined, {
        streamName: streamId,
        expected,
        current: current === -1n ? NO_STREAM : current,
      });
    }
    let revision = current;
    for (const event of events) {
      revision += 1n;
      this.commit += 137n;
      this.rows.push({ streamId, event, revision, commit: this.commit });
      this.publish(this.rows[this.rows.length - 1]!);
    }
    return {
      success: true,
      nextExpectedRevision: revision,
      position: { commit: this.commit, prepare: this.commit },
    };
  }

  async *readStream(
    streamId: string,
    options: { direction?: string; maxCount?: number } = {},
  ): AsyncGenerator<AllStreamResolvedEvent> {
    const rows = this.rows.filter((row) => row.streamId === streamId);
    if (rows.length === 0) throw new StreamNotFoundError(undefined, streamId);
    if (options.direction === 'backwards') rows.reverse();
    for (const row of rows.slice(0, options.maxCount ?? rows.length)) yield resolved(row);
  }

  async *readAll(options: { fromPosition: ReadPosition; maxCount: number; direction: string }) {
    if (options.direction === 'backwards') {
      const last = [...this.rows].reverse().find((row) => !row.event.type.startsWith('$'));
      if (last && options.fromPosition === END) yield resolved(last);
      return;
    }
    let count = 0;
    for (const row of this.rows) {
      if (options.fromPosition !== START && row.commit < (options.fromPosition as Position).commit) continue;
      if (row.event.type.startsWith('$')) continue;
      if (count++ >= options.maxCount) return;
      yield resolved(row);
    }
  }

  /** The filter callback of the most recent subscription, called as the client does. */
  checkpointReached: ((subscription: unknown, position: Position) => unknown) | undefined;

  subscribeToAll(options: {
    fromPosition: ReadPosition;
    filter?: { checkpointReached?: (subscription: unknown, position: Position) => unknown };
  }): FakeSubscription {
    this.checkpointReached = options.filter?.checkpointReached;
    const subscription = new PassThrough({ objectMode: true }) as FakeSubscription;
    subscription.from = options.fromPosition;
    subscription.unsubscribe = async () => undefined;
    const after = options.fromPosition === START ? 0n : (options.fromPosition as Position).commit;
    for (const row of this.rows) {
      if (row.commit > after && !row.event.type.startsWith('$')) subscription.write(resolved(row));
    }
    this.subscriptions.push(subscription);
    return subscription;
  }

  async dispose(): Promise<void> {}

  private publish(row: Row): void {
    for (const subscription of this.subscriptions) {
      if (!subscription.destroyed) subscription.write(resolved(row));
    }
  }
}

function resolved(row: Row): AllStreamResolvedEvent {
  const event = row.event as EventData & { contentType: 'application/json' };
  return {
    event: {
      streamId: row.streamId,
      id: event.id,
      isJson: true,
      revision: row.revision,
      type: event.type,
      created: new Date(0),
      data: JSON.parse(JSON.stringify(event.data)),
      metadata: event.metadata === undefined ? undefined : JSON.parse(JSON.stringify(event.metadata)),
      position: { commit: row.commit, prepare: row.commit },
    },
    commitPosition: row.commit,
  } as AllStreamResolvedEvent;
}

const event = (): EventToAppend => eventToAppend('WorkerRegistered', { name: '张三丰' });

const quiet = { log: jest.fn(), warn: jest.fn() };

function storeOn(client: FakeClient): KurrentDbEventStore {
  return new KurrentDbEventStore(
    client as unknown as KurrentDBClient,
    { backoffMs: 5, maxBackoffMs: 20 },
    quiet,
  );
}

async function next(iterator: AsyncIterator<StoredEvent>): Promise<StoredEvent> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    iterator.next(),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out')), 2000))),
  ]).finally(() => clearTimeout(timer));
  if (result.done) throw new Error('subscription ended');
  return result.value;
}

beforeEach(() => {
  quiet.log.mockClear();
  quiet.warn.mockClear();
});

describe('KurrentDbEventStore (against a stand-in client)', () => {
  it('resubscribes after a dropped subscription, from the last event delivered, and logs it', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const controller = new AbortController();
    const first = [event(), event()];
    await store.append('worker-1', first, 'no_stream');
    const iterator = store.subscribeToAll(0, { signal: controller.signal })[Symbol.asyncIterator]();
    try {
      const a = await next(iterator);
      const b = await next(iterator);
      expect([a.id, b.id]).toEqual(first.map((e) => e.id));

      client.subscriptions[0]!.destroy(new UnavailableError());
      const later = event();
      await store.append('worker-1', [later], 1);

      const c = await next(iterator);
      expect(c.id).toBe(later.id);
      expect(client.subscriptions).toHaveLength(2);
      expect(client.subscriptions[1]!.from).toEqual({
        commit: BigInt(b.position),
        prepare: BigInt(b.position),
      });
      expect(quiet.warn).toHaveBeenCalledWith(expect.stringContaining('resubscribing after'));
    } finally {
      controller.abort();
      await iterator.return?.();
      await store.close();
    }
  });

  it("resumes from the server's filter checkpoint when it is past the last event delivered", async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const controller = new AbortController();
    const iterator = store.subscribeToAll(0, { signal: controller.signal })[Symbol.asyncIterator]();
    try {
      const pending = next(iterator);
      await new Promise((resolve) => setImmediate(resolve));
      // The server skipped system events and reports how far it has looked.
      const checkpoint = { commit: 5_000n, prepare: 0n };
      await client.checkpointReached!(client.subscriptions[0], checkpoint);
      client.subscriptions[0]!.destroy(new UnavailableError());
      await new Promise((resolve) => setTimeout(resolve, 30));

      expect(client.subscriptions[1]!.from).toEqual(checkpoint);
      const appended = event();
      await store.append('worker-2', [appended], 'no_stream');
      expect((await pending).id).toBe(appended.id);
    } finally {
      controller.abort();
      await iterator.return?.();
      await store.close();
    }
  });

  it('ends the subscription with an error that resubscribing cannot cure', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const iterator = store.subscribeToAll(0)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await new Promise((resolve) => setImmediate(resolve));

    client.subscriptions[0]!.destroy(new UnknownError(undefined, 'access denied'));

    await expect(pending).rejects.toBeInstanceOf(UnknownError);
    expect(client.subscriptions).toHaveLength(1);
    await store.close();
  });

  it('ends the iteration when its signal aborts while waiting, and when the store closes', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const controller = new AbortController();
    const aborted = store.subscribeToAll(0, { signal: controller.signal })[Symbol.asyncIterator]().next();
    const closed = store.subscribeToAll(0)[Symbol.asyncIterator]().next();
    await new Promise((resolve) => setImmediate(resolve));

    controller.abort();
    await expect(aborted).resolves.toEqual({ done: true, value: undefined });
    await store.close();
    await expect(closed).resolves.toEqual({ done: true, value: undefined });
  });

  it('skips events other writers put in the same database', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const mine = event();
    client.writeForeign('orders-1', 'OrderPlaced');
    await store.append('worker-1', [mine], 'no_stream');

    expect((await store.readAll(0, 10)).map((e) => e.id)).toEqual([mine.id]);
    expect(await store.headPosition()).toBe((await store.readStream('worker-1'))[0]!.position);
    await store.close();
  });

  it('reads events at their positions, one read each, leaving out what is not ours', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    await store.append('worker-1', [event(), event(), event()], 'no_stream');
    client.writeForeign('orders-1', 'OrderPlaced');
    const foreign = client.rows[client.rows.length - 1]!.commit;
    const [a, , c] = await store.readStream('worker-1');

    expect((await store.readAt([c!.position, a!.position, c!.position])).map((e) => e.id)).toEqual([
      a!.id,
      c!.id,
    ]);
    expect(await store.readAt([Number(foreign), 0])).toEqual([]);
    await store.close();
  });

  it('reads only the types asked for, paging past pages that hold none of them', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const others = Array.from({ length: 7 }, () => ({ ...event(), type: 'ConsentRecorded' }));
    const first = event();
    const second = event();
    await store.append('worker-1', [first, ...others.slice(0, 4), second, ...others.slice(4)], 'no_stream');
    const types = new Set(['WorkerRegistered']);

    expect((await store.readAll(0, 1, { types })).map((e) => e.id)).toEqual([first.id]);
    expect((await store.readAll(0, 2, { types })).map((e) => e.id)).toEqual([first.id, second.id]);
    expect((await store.readAll(0, 10, { types: new Set(['Nothing']) })).map((e) => e.id)).toEqual([]);
    expect(await store.readAll(0, 10)).toHaveLength(9);
    await store.close();
  });

  it('answers a retried append sent with another expected revision like the original', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const original = [event(), event()];
    const first = await store.append('worker-1', original, 'no_stream');
    await store.append('worker-1', [event()], first.nextExpectedRevision);

    await expect(store.append('worker-1', original, 'no_stream')).resolves.toEqual(first);
    await expect(store.append('worker-1', original, 0)).resolves.toEqual(first);
    // With ANY the server accepts replays of recent events in any order; the adapter does not.
    await expect(store.append('worker-1', [original[1]!, original[0]!], 'any')).rejects.toBeInstanceOf(
      DuplicateEventIdError,
    );
    await expect(store.append('worker-1', [original[0]!, event()], 'any')).rejects.toBeInstanceOf(
      DuplicateEventIdError,
    );
    await expect(store.append('worker-1', original, 'any')).resolves.toEqual(first);
    expect(client.rows).toHaveLength(3);
    await store.close();
  });

  it('finds the original position when the server deduplicates without giving one', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    const original = [event(), event()];
    const first = await store.append('worker-1', original, 'no_stream');
    await store.append('worker-1', [event()], 1);
    client.idempotentWithoutPosition = true;

    await expect(store.append('worker-1', original, 'no_stream')).resolves.toEqual(first);
    await store.close();
  });

  it('maps a genuine conflict to WrongExpectedRevisionError with the actual revision', async () => {
    const client = new FakeClient();
    const store = storeOn(client);
    await store.append('worker-1', [event(), event()], 'no_stream');

    const error = await store.append('worker-1', [event()], 0).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(WrongExpectedRevisionError);
    expect(error).toMatchObject({ streamId: 'worker-1', expected: 0, actual: 1 });
    await store.close();
  });

  it('reads a stream that does not exist as empty', async () => {
    const store = storeOn(new FakeClient());
    await expect(store.readStream('worker-none')).resolves.toEqual([]);
    await store.close();
  });

  it("tells a stream's revision from its last event, -1 when the stream does not exist", async () => {
    const store = storeOn(new FakeClient());
    await expect(store.streamRevision('worker-1')).resolves.toBe(-1);
    await store.append('worker-1', [event(), event(), event()], 'no_stream');
    await store.append('worker-2', [event()], 'no_stream');
    await expect(store.streamRevision('worker-1')).resolves.toBe(2);
    await store.close();
  });
});

describe('KurrentDbEventStore with the real client and no server listening', () => {
  const unreachable = () =>
    new KurrentDbEventStore(
      KurrentDBClient.connectionString('kurrentdb://127.0.0.1:1?tls=false'),
      { backoffMs: 10, maxBackoffMs: 40, attempts: 2 },
      quiet,
    );

  it('retries a read, then reports the server unavailable', async () => {
    const store = unreachable();
    try {
      await expect(store.readStream('worker-1')).rejects.toMatchObject({ type: 'unavailable' });
      expect(quiet.warn).toHaveBeenCalledWith(expect.stringContaining('read worker-1 failed'));
    } finally {
      await store.close();
    }
  });

  it('reports an append to an unreachable server as an error, never as success', async () => {
    const store = unreachable();
    try {
      await expect(store.append('worker-1', [event()], 'no_stream')).rejects.toMatchObject({ code: 14 });
    } finally {
      await store.close();
    }
  });

  it('keeps resubscribing with backoff while the server is unreachable, until aborted', async () => {
    const store = unreachable();
    const controller = new AbortController();
    const pending = store.subscribeToAll(0, { signal: controller.signal })[Symbol.asyncIterator]().next();
    try {
      await until(
        () => quiet.warn.mock.calls.filter(([line]) => String(line).includes('resubscribing')).length >= 2,
      );
      controller.abort();
      await expect(pending).resolves.toEqual({ done: true, value: undefined });
    } finally {
      controller.abort();
      await store.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
