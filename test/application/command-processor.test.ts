import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandContext } from '../../src/application/command-context';
import { CommandProcessor } from '../../src/application/command-processor';
import type { Clock } from '../../src/application/ports/clock';
import type { Actor } from '../../src/domain/actor';
import type { Decider, DomainEvent } from '../../src/domain/decider';
import { conflict, DomainError } from '../../src/domain/errors';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { eventToAppend } from '../support/events';

/** A counter: `add` appends one event, `atLeast` refuses below a count and otherwise records nothing. */
type CounterCommand =
  { type: 'add'; by: number; personal?: string; times?: number } | { type: 'atLeast'; count: number };
type Added = DomainEvent<'Added', { by: number; personal?: { name: string } }>;

const counter: Decider<CounterCommand, Added, number> = {
  initialState: 0,
  decide(command, count) {
    if (command.type === 'atLeast') return count >= command.count ? [] : conflict(`only ${count}`);
    const data = command.personal
      ? { by: command.by, personal: { name: command.personal } }
      : { by: command.by };
    return Array.from({ length: command.times ?? 1 }, (): Added => ({ type: 'Added', data }));
  },
  evolve: (count, event) => count + event.data.by,
};

/** A key claimed once: the same owner again is a no-op, another owner is refused. */
const claim: Decider<{ owner: string }, DomainEvent<'Claimed', { owner: string }>, string | null> = {
  initialState: null,
  decide: (command, owner) =>
    owner === null
      ? [{ type: 'Claimed', data: { owner: command.owner } }]
      : owner === command.owner
        ? []
        : conflict(`taken by ${owner}`, { existingId: owner }),
  evolve: (_owner, event) => event.data.owner,
};

const actor: Actor = { id: 'op-1', role: 'platform_admin' };
let sequence = 0;
const context = (extra: Partial<CommandContext> = {}): CommandContext => ({
  actor,
  commandId: `command-${++sequence}`,
  correlationId: 'c',
  ...extra,
});
const clock: Clock = { now: () => new Date('2026-11-24T08:00:00.000Z') };

let dir: string;
let store: SqliteEventStore;
let processor: CommandProcessor;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'processor-'));
  store = SqliteEventStore.open(join(dir, 'events.db'));
  processor = new CommandProcessor(store, clock);
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const run = (command: CounterCommand, extra?: Partial<CommandContext>) =>
  processor.execute(counter, 'counter-1', () => command, context(extra));

/** Another process's write: straight to the store, unseen by this processor. */
const writeElsewhere = (by: number, expected: number) =>
  store.append(
    'counter-1',
    [
      {
        id: `elsewhere-${++sequence}`,
        type: 'Added',
        schemaVersion: 1,
        data: { by },
        metadata: {
          occurredAt: '2026-11-24T08:00:00.000Z',
          actor,
          commandId: `elsewhere-${sequence}`,
          correlationId: 'c',
          causationId: 'c',
        },
      },
    ],
    expected,
  );

describe('the streams a processor wrote last, remembered folded', () => {
  it('decides the next command on a stream it wrote without reading the stream again', async () => {
    await run({ type: 'add', by: 1 });
    const reads = jest.spyOn(store, 'readStream');

    const second = await run({ type: 'add', by: 2 });
    const third = await run({ type: 'add', by: 3 });

    expect(reads).not.toHaveBeenCalled();
    expect([second.revision, third.revision]).toEqual([1, 2]);
    // What it remembered is what the store holds: a fresh processor folds the same count.
    const fresh = await new CommandProcessor(store, clock).load(counter, 'counter-1');
    expect(fresh.state).toBe(6);
    expect(fresh.revision).toBe(2);
  });

  it('remembers a stream given several events by one append, each at its own place, without reading it again', async () => {
    await run({ type: 'add', by: 1 });
    await writeElsewhere(10, 0);
    await run({ type: 'add', by: 2, times: 3 });
    const reads = jest.spyOn(store, 'readStream');

    const next = await run({ type: 'add', by: 5 });

    expect(reads).not.toHaveBeenCalled();
    expect(next.revision).toBe(5);
    // Exactly what the store holds, positions included.
    const remembered = await processor.load(counter, 'counter-1');
    const fresh = await new CommandProcessor(store, clock).load(counter, 'counter-1');
    expect(remembered).toEqual(fresh);
    expect(fresh.state).toBe(22);
    expect(fresh.events.map((event) => event.revision)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('notices a write made elsewhere at the append, reads again, and decides on the newest state', async () => {
    await run({ type: 'add', by: 1 });
    await writeElsewhere(10, 0);

    const outcome = await run({ type: 'add', by: 1 });

    expect(outcome.revision).toBe(2);
    const stream = await processor.load(counter, 'counter-1');
    expect(stream.events.map((event) => (event.data as { by: number }).by)).toEqual([1, 10, 1]);
  });

  it('never refuses from memory: a refusal, a no-op and a stale If-Match are decided again on a fresh read', async () => {
    await run({ type: 'add', by: 1 });
    await writeElsewhere(5, 0);

    // Remembered: 1, which would be refused; the store: 6.
    await expect(run({ type: 'atLeast', count: 6 })).resolves.toMatchObject({ revision: 1, events: [] });
    await run({ type: 'add', by: 1 });
    await writeElsewhere(1, 2);
    // Remembered: revision 2; the client saw revision 3, which is right.
    const pinned = await processor.execute(
      counter,
      'counter-1',
      () => ({ type: 'add', by: 1 }) as CounterCommand,
      context({ expectedRevision: 3 }),
      { checkExpectedRevision: true },
    );
    expect(pinned.revision).toBe(4);
    // And a refusal that holds on the newest state is still a refusal.
    await expect(run({ type: 'atLeast', count: 100 })).rejects.toBeInstanceOf(DomainError);
  });

  it('answers a retried command from memory as the first time, without appending again', async () => {
    const retried = context();
    const first = await processor.execute(
      counter,
      'counter-1',
      () => ({ type: 'add', by: 1 }) as CounterCommand,
      retried,
    );
    const again = await processor.execute(
      counter,
      'counter-1',
      () => ({ type: 'add', by: 1 }) as CounterCommand,
      retried,
    );

    expect(again).toMatchObject({ revision: first.revision, position: first.position, replayed: true });
    expect(await store.readStream('counter-1')).toHaveLength(1);
  });

  it('keeps a stream that holds personal data without it, and reads the stream for a command built from it', async () => {
    await run({ type: 'add', by: 1, personal: '张三' });
    const reads = jest.spyOn(store, 'readStream');
    const seen: string[] = [];
    const look = (options: { needsPersonalData?: boolean } = {}) =>
      processor.execute(
        counter,
        'counter-1',
        (_count, _metadata, stream) => {
          seen.push(JSON.stringify(stream.events));
          return { type: 'add', by: 1 } as CounterCommand;
        },
        context(),
        options,
      );

    await look();
    await look();
    await look({ needsPersonalData: true });

    // Remembered: the count and the events, never the name; only the command that needs it reads it.
    expect(reads).toHaveBeenCalledTimes(1);
    expect(seen[0]).not.toContain('张三');
    expect(seen[1]).not.toContain('张三');
    expect(seen[2]).toContain('张三');
    expect((await processor.load(counter, 'counter-1')).state).toBe(4);
  });
});

describe('whether a stream holds events', () => {
  it('asks the store only about streams it does not remember with events', async () => {
    await run({ type: 'add', by: 1 });
    const asked = jest.spyOn(store, 'streamRevision');

    expect(await processor.exists('counter-1')).toBe(true);
    expect(asked).not.toHaveBeenCalled();
    expect(await processor.exists('counter-2')).toBe(false);
    expect(asked).toHaveBeenCalledTimes(1);
  });

  it('finds a stream written elsewhere after it was asked about', async () => {
    const other = 'counter-3';
    expect(await processor.exists(other)).toBe(false);
    await store.append(other, [eventToAppend('Added', { by: 1 })], 'no_stream');

    expect(await processor.exists(other)).toBe(true);
  });
});

describe('loading a stream', () => {
  it('answers from memory while the store still has the remembered revision, and reads once it has moved', async () => {
    await run({ type: 'add', by: 1 });
    await run({ type: 'add', by: 2 });
    const reads = jest.spyOn(store, 'readStream');

    const remembered = await processor.load(counter, 'counter-1');
    await writeElsewhere(10, 1);
    const moved = await processor.load(counter, 'counter-1');
    const again = await processor.load(counter, 'counter-1');

    expect([remembered.state, remembered.revision]).toEqual([3, 1]);
    expect([moved.state, moved.revision]).toEqual([13, 2]);
    expect(again).toBe(moved);
    expect(reads).toHaveBeenCalledTimes(1);
  });
});

describe('streams expected to be new', () => {
  const claimAs = (owner: string, key = 'key-1', command = context()) =>
    processor.execute(claim, key, () => ({ owner }), command, { expectNew: true });

  it('are decided and appended without reading them first', async () => {
    const reads = jest.spyOn(store, 'readStream');

    const outcome = await claimAs('a');

    expect(reads).not.toHaveBeenCalled();
    expect(outcome).toMatchObject({ revision: 0, events: [{ type: 'Claimed', data: { owner: 'a' } }] });
    expect((await store.readStream('key-1')).map((event) => event.data)).toEqual([{ owner: 'a' }]);
  });

  it('are read, and the command decided on what they hold, when they exist after all', async () => {
    await claimAs('a');

    const refusal = await claimAs('b').catch((error: unknown) => error);
    // The same owner again is a no-op, decided on what the stream holds, not on the assumption.
    const again = await claimAs('a');

    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ message: 'taken by a', details: { existingId: 'a' } });
    expect(again).toMatchObject({ revision: 0, events: [] });
    expect(await store.readStream('key-1')).toHaveLength(1);
  });

  it('answer a retried command as the first time and store nothing twice', async () => {
    const retried = context();
    const first = await claimAs('a', 'key-2', retried);
    // Retried after a restart: nothing remembered, so the append itself finds the command's events.
    processor = new CommandProcessor(store, clock);
    const reads = jest.spyOn(store, 'readStream');

    const again = await claimAs('a', 'key-2', retried);

    expect(reads).not.toHaveBeenCalled();
    expect(again).toMatchObject({ revision: first.revision, position: first.position });
    expect(await store.readStream('key-2')).toHaveLength(1);
  });
});

describe('streams in a final state', () => {
  type Registered = DomainEvent<'Registered', { name: string }>;
  const registration: Decider<never, Registered, string | null> = {
    initialState: null,
    decide: () => [],
    evolve: (_name, event) => event.data.name,
    isFinal: (name) => name !== null,
  };
  const register = (streamId: string, name: string) =>
    store.append(
      streamId,
      [
        {
          id: `registered-${++sequence}`,
          type: 'Registered',
          schemaVersion: 1,
          data: { name },
          metadata: {
            occurredAt: '2026-11-24T08:00:00.000Z',
            actor,
            commandId: `registered-${sequence}`,
            correlationId: 'c',
            causationId: 'c',
          },
        },
      ],
      'no_stream',
    );

  it('are read once and then kept: nothing can change them', async () => {
    await register('agency-1', 'A');
    const reads = jest.spyOn(store, 'readStream');

    const first = await processor.load(registration, 'agency-1');
    const second = await processor.load(registration, 'agency-1');

    expect([first.state, second.state]).toEqual(['A', 'A']);
    expect(second.revision).toBe(0);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('are read again for as long as they are not final', async () => {
    const reads = jest.spyOn(store, 'readStream');

    expect((await processor.load(registration, 'agency-2')).state).toBeNull();
    await register('agency-2', 'B');
    expect((await processor.load(registration, 'agency-2')).state).toBe('B');
    expect((await processor.load(registration, 'agency-2')).state).toBe('B');

    expect(reads).toHaveBeenCalledTimes(2);
  });

  it('are read once for loads that come while the first read is under way, when it finds them final', async () => {
    await register('agency-3', 'C');
    const reads = jest.spyOn(store, 'readStream');

    const loads = await Promise.all(
      Array.from({ length: 5 }, () => processor.load(registration, 'agency-3')),
    );

    expect(loads.map((stream) => stream.state)).toEqual(['C', 'C', 'C', 'C', 'C']);
    expect(reads).toHaveBeenCalledTimes(1);
  });

  it('are read by each load that comes meanwhile when the first read finds them not final yet', async () => {
    const reads = jest.spyOn(store, 'readStream');

    const before = processor.load(registration, 'agency-4');
    const registering = register('agency-4', 'D');
    const after = processor.load(registration, 'agency-4');
    await registering;

    // The second read may be served before the registration commits, or after; never the first's answer.
    expect((await before).state).toBeNull();
    expect(reads).toHaveBeenCalledTimes(2);
    expect([null, 'D']).toContain((await after).state);
    expect((await processor.load(registration, 'agency-4')).state).toBe('D');
  });

  it('are read again by a load that was waiting on a read that failed', async () => {
    await register('agency-5', 'E');
    const reads = jest.spyOn(store, 'readStream').mockRejectedValueOnce(new Error('disk gone'));

    const [first, second] = await Promise.allSettled([
      processor.load(registration, 'agency-5'),
      processor.load(registration, 'agency-5'),
    ]);

    expect(first).toMatchObject({ status: 'rejected', reason: new Error('disk gone') });
    expect(second).toMatchObject({ status: 'fulfilled', value: { state: 'E', revision: 0 } });
    expect(reads).toHaveBeenCalledTimes(2);
  });
});

describe('two streams decided and appended together', () => {
  const claimAndCount = (key: string, owner: string, command: CounterCommand, ctx = context()) =>
    processor.executeTogether(
      { decider: claim, streamId: key, command: () => ({ owner }), options: { expectNew: true } },
      { decider: counter, streamId: 'counter-1', command: () => command },
      ctx,
    );
  const typesIn = async (streamId: string) => (await store.readStream(streamId)).map((event) => event.type);

  it('stores both in one append, answering each stream, in order', async () => {
    const appendToStreams = jest.spyOn(store, 'appendToStreams');
    const append = jest.spyOn(store, 'append');

    const [claimed, counted] = await claimAndCount('key-1', 'a', { type: 'add', by: 2 });

    expect(appendToStreams).toHaveBeenCalledTimes(1);
    expect(append).not.toHaveBeenCalled();
    expect(claimed).toMatchObject({ streamId: 'key-1', revision: 0, events: [{ type: 'Claimed' }] });
    expect(counted).toMatchObject({ streamId: 'counter-1', revision: 0, events: [{ type: 'Added' }] });
    expect(counted.position).toBe(claimed.position + 1);
    expect(await typesIn('key-1')).toEqual(['Claimed']);
    expect(await typesIn('counter-1')).toEqual(['Added']);
  });

  it("gives every event of the command one metadata object, stored and read back as each event's", async () => {
    const appendToStreams = jest.spyOn(store, 'appendToStreams');

    await claimAndCount('key-9', 'a', { type: 'add', by: 1, times: 2 }, context({ commandId: 'shared-1' }));

    const events = appendToStreams.mock.calls[0]![0].flatMap((part) => part.events);
    expect(events).toHaveLength(3);
    // One object: the store encodes it once per append, the stream memory copies it once.
    expect(new Set(events.map((event) => event.metadata)).size).toBe(1);
    const expected = {
      occurredAt: '2026-11-24T08:00:00.000Z',
      actor,
      commandId: 'shared-1',
      correlationId: 'c',
      causationId: 'shared-1',
    };
    for (const streamId of ['key-9', 'counter-1']) {
      for (const event of await store.readStream(streamId)) expect(event.metadata).toEqual(expected);
    }
    // The stream as remembered (loaded without a read) carries it too, one copy for its events.
    const read = jest.spyOn(store, 'readStream');
    const remembered = await processor.load(counter, 'counter-1');
    expect(read).not.toHaveBeenCalled();
    expect(remembered.events.map((event) => event.metadata)).toEqual([expected, expected]);
    expect(remembered.events[0]!.metadata).toBe(remembered.events[1]!.metadata);
  });

  it('stores neither when the second is refused', async () => {
    const refusal = await claimAndCount('key-2', 'a', { type: 'atLeast', count: 1 }).catch((e: unknown) => e);

    expect(refusal).toBeInstanceOf(DomainError);
    expect(await typesIn('key-2')).toEqual([]);
    expect(await typesIn('counter-1')).toEqual([]);
  });

  it('stores neither when one stream has moved on, then decides both again on fresh state', async () => {
    await run({ type: 'add', by: 1 });
    await writeElsewhere(10, 0); // the remembered counter is stale: the joint append fails whole
    const appendToStreams = jest.spyOn(store, 'appendToStreams');

    const [, counted] = await claimAndCount('key-3', 'a', { type: 'add', by: 1 });

    expect(appendToStreams).toHaveBeenCalledTimes(2);
    expect(counted.revision).toBe(2);
    expect(await typesIn('key-3')).toEqual(['Claimed']);
    expect((await processor.load(counter, 'counter-1')).state).toBe(12);
  });

  it('answers a retried command as the first time and stores nothing twice', async () => {
    const retried = context();
    const first = await claimAndCount('key-4', 'a', { type: 'add', by: 1 }, retried);
    processor = new CommandProcessor(store, clock);

    const again = await claimAndCount('key-4', 'a', { type: 'add', by: 1 }, retried);
    // And once more, both streams now remembered with the command's events: nothing to append at all.
    const appends = jest.spyOn(store, 'appendToStreams');
    const third = await claimAndCount('key-4', 'a', { type: 'add', by: 1 }, retried);

    expect(appends).not.toHaveBeenCalled();
    for (const answer of [again, third]) {
      expect(answer.map((outcome) => [outcome.revision, outcome.position])).toEqual(
        first.map((outcome) => [outcome.revision, outcome.position]),
      );
    }
    expect(await typesIn('key-4')).toEqual(['Claimed']);
    expect(await typesIn('counter-1')).toEqual(['Added']);
  });

  it('appends one stream after the other where the store cannot append them together', async () => {
    const oneAtATime = Object.assign(Object.create(store) as SqliteEventStore, {
      appendToStreams: undefined,
      append: (...args: Parameters<SqliteEventStore['append']>) => store.append(...args),
    });
    processor = new CommandProcessor(oneAtATime, clock);
    const append = jest.spyOn(store, 'append');

    const [claimed, counted] = await claimAndCount('key-5', 'a', { type: 'add', by: 1 });

    expect(append.mock.calls.map(([streamId]) => streamId)).toEqual(['key-5', 'counter-1']);
    expect(counted.position).toBeGreaterThan(claimed.position);
    expect(await typesIn('counter-1')).toEqual(['Added']);
  });
});
