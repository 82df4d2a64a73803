import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import {
  type AppendResult,
  DuplicateEventIdError,
  type EventToAppend,
  type ExpectedRevision,
  WrongExpectedRevisionError,
} from '../../src/application/ports/event-store';
import { EventAppender } from '../../src/infrastructure/sqlite/event-appender';
import {
  EventWriter,
  startWriterThread,
  type WriterThread,
} from '../../src/infrastructure/sqlite/event-writer';
import {
  type AppendOutcome,
  type AppendRequest,
  type Appended,
  eventEncoder,
  EVENT_STORE_ERRORS,
  type ToWriter,
} from '../../src/infrastructure/sqlite/event-writer-protocol';
import { withoutHeapFlags, withoutTsNodeHooks } from '../../src/infrastructure/sqlite/module-thread';
import { openDatabase } from '../../src/infrastructure/sqlite/open-database';
import type { UnitOutcome } from '../../src/infrastructure/sqlite/group-commit';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { eventToAppend } from '../support/events';
import { statementPrototype } from '../support/sqlite-statements';

let dir: string;
let file: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'event-writer-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  file = join(dir, `${randomUUID()}.sqlite`);
});

afterEach(() => {
  jest.restoreAllMocks();
});

const event = (type = 'Something'): EventToAppend => eventToAppend(type, { value: randomUUID() });

const request = (streamId: string, expected: ExpectedRevision = 'no_stream'): AppendRequest => [
  { streamId, events: [eventEncoder()(event())], expected },
];

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A full collection, with WeakRefs cleared. The collector's handle (`gc`) is taken from a fresh context
 * after switching it on, so the tests need no `--expose-gc`.
 */
async function collectGarbage(): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  // A WeakRef's target is kept until the end of the turn in which it was last dereferenced or made.
  await nextTurn();
  gc();
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}

/** The groups sent to writer threads from now on, as the number of appends in each. */
function watchGroups(): () => number[] {
  const postMessage = jest.spyOn(Worker.prototype, 'postMessage');
  return () =>
    postMessage.mock.calls
      .map(([message]) => message as ToWriter)
      .filter((message) => message.type === 'group')
      .map((message) => (message.type === 'group' ? message.units.length : 0));
}

/** Opens a store and keeps hold of its writer thread. */
function openWatchingThread(): { store: SqliteEventStore; thread: () => Worker } {
  let thread: Worker | undefined;
  jest
    .spyOn(EventWriter, 'start')
    .mockImplementation((data) => new EventWriter(() => (thread = startWriterThread(data))));
  const store = SqliteEventStore.open(file);
  return { store, thread: () => thread! };
}

/** From now on until the mocks are restored, every COMMIT fails as a full disk's would. */
function failCommits(): void {
  const prototype = statementPrototype();
  const run = prototype.run;
  jest.spyOn(prototype, 'run').mockImplementation(function (this: Database.Statement, ...params) {
    if (this.source === 'COMMIT') throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    return run.apply(this, params);
  });
}

describe('eventEncoder', () => {
  it("encodes the metadata object that a command's events share once, and each other object anew", () => {
    let encoded = 0;
    const shared = { ...event().metadata, toJSON: () => ({ commandId: `shared-${++encoded}` }) };
    const other = { ...event().metadata, toJSON: () => ({ commandId: `other-${++encoded}` }) };
    const encode = eventEncoder();
    const rows = [shared, shared, other, shared].map((metadata) => encode({ ...event(), metadata }));

    expect(rows.map((row) => row[4])).toEqual([
      '{"commandId":"shared-1"}',
      '{"commandId":"shared-1"}',
      '{"commandId":"other-2"}',
      '{"commandId":"shared-3"}',
    ]);
    expect(rows.map((row) => JSON.parse(row[3]) as unknown)).toEqual(
      rows.map(() => ({ value: expect.any(String) })),
    );
  });
});

describe('EventAppender: what the writer thread runs, here in this thread', () => {
  let db: Database.Database;

  beforeEach(async () => {
    await SqliteEventStore.open(file).close(); // creates the events table
    db = openDatabase(file);
  });

  afterEach(() => {
    db.close();
  });

  it('commits a group in one transaction, answering each append in order', () => {
    const appender = new EventAppender(db);
    const run = jest.spyOn(statementPrototype(), 'run');
    const stream = `worker-${randomUUID()}`;

    const outcomes = appender.appendGroup([request(stream), request(stream, 0), request(stream, 0)]);

    const commits = run.mock.contexts.filter(
      (statement) => (statement as Database.Statement).source === 'COMMIT',
    );
    expect(commits).toHaveLength(1);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false]);
    expect(outcomes[1]).toEqual({
      ok: true,
      value: [{ result: { nextExpectedRevision: 1, position: 2, positions: [2] }, written: true }],
    });
    expect(outcomes[2]).toMatchObject({ ok: false, error: expect.any(WrongExpectedRevisionError) });
  });

  it("stores an append to several streams whole or not at all, beside the group's other appends", () => {
    const appender = new EventAppender(db);
    const [a, b, c] = [`a-${randomUUID()}`, `b-${randomUUID()}`, `c-${randomUUID()}`];

    const outcomes = appender.appendGroup([
      [...request(a), ...request(b)],
      [...request(c), ...request(a)], // a exists by now: the whole append fails, c included
      request(c),
    ]);

    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect(outcomes[0]).toMatchObject({ ok: true, value: [{ written: true }, { written: true }] });
    expect(outcomes[1]).toMatchObject({ ok: false, error: { streamId: a, expected: 'no_stream' } });
    const countOf = db.prepare<[string], number>('SELECT COUNT(*) FROM events WHERE stream_id = ?').pluck();
    expect([a, b, c].map((stream) => countOf.get(stream))).toEqual([1, 1, 1]);
  });

  it('throws and stores nothing when the COMMIT fails, and works afterwards', () => {
    const appender = new EventAppender(db);
    failCommits();

    expect(() => appender.appendGroup([request('a'), request('b')])).toThrow('disk I/O error');
    jest.restoreAllMocks();

    expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(0);
    expect(appender.appendGroup([request('a')])[0]).toMatchObject({ ok: true, value: [{ written: true }] });
  });
});

describe('EventAppender keeping the streams it committed to (StreamTails)', () => {
  let db: Database.Database;
  let stream: string;

  beforeEach(async () => {
    await SqliteEventStore.open(file).close();
    db = openDatabase(file);
    stream = `worker-${randomUUID()}`;
  });

  afterEach(() => {
    db.close();
  });

  /** The SQL of every statement the appender reads with (get/all) while `work` runs. */
  function readsDuring(work: () => void): string[] {
    const prototype = statementPrototype();
    const reads = [jest.spyOn(prototype, 'get'), jest.spyOn(prototype, 'all')];
    try {
      work();
      return reads.flatMap((read) =>
        read.mock.contexts.map((statement) => (statement as Database.Statement).source),
      );
    } finally {
      for (const read of reads) read.mockRestore();
    }
  }

  it('appends again to a stream it committed to without reading the stream from the file', () => {
    const appender = new EventAppender(db);
    appender.appendGroup([request(stream)]);

    let outcome: unknown;
    const reads = readsDuring(() => (outcome = appender.appendGroup([request(stream, 0)])[0]));

    expect(outcome).toMatchObject({
      ok: true,
      value: [{ result: { nextExpectedRevision: 1 }, written: true }],
    });
    expect(reads).toEqual(['PRAGMA data_version']);
    const revisions = db.prepare('SELECT revision FROM events WHERE stream_id = ? ORDER BY position').pluck();
    expect(revisions.all(stream)).toEqual([0, 1]);
  });

  it("sees another connection's appends to a stream it keeps, and checks revisions against them", () => {
    const appender = new EventAppender(db);
    const other = openDatabase(file);
    try {
      appender.appendGroup([request(stream)]);
      expect(new EventAppender(other).appendGroup([request(stream, 0)])[0]).toMatchObject({ ok: true });

      const [stale] = appender.appendGroup([request(stream, 0)]);
      const [current] = appender.appendGroup([request(stream, 1)]);

      expect(stale).toMatchObject({ ok: false, error: expect.any(WrongExpectedRevisionError) });
      expect(stale).toMatchObject({ error: { expected: 0, actual: 1 } });
      expect(current).toMatchObject({ ok: true, value: [{ result: { nextExpectedRevision: 2 } }] });
    } finally {
      other.close();
    }
  });

  it('recognises a retry of what it kept, and of an append older than the tail it keeps', () => {
    const appender = new EventAppender(db);
    const first = request(stream);
    const [original] = appender.appendGroup([first]);
    for (let revision = 0; revision < 20; revision++) appender.appendGroup([request(stream, revision)]);
    // 21 events: more than the writer keeps of a stream, fewer than an append reads.
    const [retriedEarly] = appender.appendGroup([first]);
    for (let revision = 20; revision < 70; revision++) appender.appendGroup([request(stream, revision)]);
    const latest = request(stream, 70);
    const [latestOriginal] = appender.appendGroup([latest]);

    const [retriedLatest, retriedFirst] = appender.appendGroup([latest, first]);

    const answered = (outcome: UnitOutcome<Appended> | undefined) =>
      outcome?.ok ? outcome.value[0] : undefined;
    expect(answered(retriedLatest)).toEqual({ ...answered(latestOriginal), written: false });
    expect(answered(retriedFirst)).toEqual({ ...answered(original), written: false });
    expect(answered(retriedEarly)).toEqual({ ...answered(original), written: false });
    expect(db.prepare('SELECT COUNT(*) FROM events').pluck().get()).toBe(72);
  });

  it('keeps nothing of an append that failed beside others that committed', () => {
    const appender = new EventAppender(db);
    const [existing, rolledBack, other] = ['existing', 'rolled-back', 'other'].map(
      (name) => `${name}-${randomUUID()}`,
    );
    appender.appendGroup([request(existing)]);

    // The part appended to `rolledBack` is undone when the part after it fails; `other` commits.
    const [failed, committed] = appender.appendGroup([
      [...request(rolledBack), ...request(existing)],
      request(other),
    ]);
    const [again] = appender.appendGroup([request(rolledBack)]);

    expect([failed!.ok, committed!.ok]).toEqual([false, true]);
    expect(again).toMatchObject({
      ok: true,
      value: [{ result: { nextExpectedRevision: 0 }, written: true }],
    });
  });

  it('keeps nothing of a transaction whose COMMIT failed', () => {
    const appender = new EventAppender(db);
    const existing = `existing-${randomUUID()}`;
    appender.appendGroup([request(existing)]);
    failCommits();
    expect(() => appender.appendGroup([request(stream), request(existing, 0)])).toThrow('disk I/O error');
    jest.restoreAllMocks();

    const outcomes = appender.appendGroup([request(stream), request(existing, 0)]);

    expect(outcomes.map((outcome) => outcome.ok && outcome.value[0]!.result.nextExpectedRevision)).toEqual([
      0, 1,
    ]);
  });
});

/**
 * Appends `unit`, keeping only a weak reference to it. Not async: a suspended async function (the
 * test) keeps every value it has held, so the unit is never in one.
 */
function appendWatched(writer: EventWriter, unit: AppendRequest) {
  return { appended: writer.append(unit), sentUnit: new WeakRef(unit) };
}

/** Stands in for the writer thread: records what it is sent and answers when the test says so. */
class StandInThread extends EventEmitter {
  readonly sent: ToWriter[] = [];
  referenced = false;

  postMessage(message: ToWriter): void {
    this.sent.push(message);
    if (message.type === 'close') setImmediate(() => this.emit('message', { type: 'closed' }));
  }

  ref(): void {
    this.referenced = true;
  }

  unref(): void {
    this.referenced = false;
  }

  async terminate(): Promise<number> {
    this.emit('exit', 0);
    return 0;
  }

  groups(): AppendRequest[][] {
    return this.sent.flatMap((message) => (message.type === 'group' ? [[...message.units]] : []));
  }

  /** Answers the group in flight. */
  answer(outcomes: AppendOutcome[]): void {
    this.emit('message', { type: 'committed', outcomes });
  }
}

const committed = (position: number): AppendOutcome => ({
  ok: true,
  value: [{ result: { nextExpectedRevision: 0, position }, written: true }],
});

describe('EventWriter with a stand-in thread', () => {
  let thread: StandInThread;
  let writer: EventWriter;

  beforeEach(() => {
    thread = new StandInThread();
    writer = new EventWriter(() => thread as unknown as WriterThread);
  });

  it("sends each turn's appends as one group without waiting for earlier answers, which settle them in order", async () => {
    const first = [writer.append(request('a')), writer.append(request('b'))];
    expect(thread.groups()).toHaveLength(0); // sent at the end of the turn, with whatever else arrives
    await nextTurn();
    expect(thread.groups().map((group) => group.map((append) => append[0]!.streamId))).toEqual([['a', 'b']]);

    const second = [writer.append(request('c'))];
    second.push(writer.append(request('d')));
    await nextTurn();
    // Sent while the first is still unanswered: the thread commits whatever has reached it.
    expect(thread.groups().map((group) => group.map((append) => append[0]!.streamId))).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);

    thread.answer([committed(1), committed(2)]);
    expect(await Promise.all(first)).toEqual([
      [{ result: { nextExpectedRevision: 0, position: 1 }, written: true }],
      [{ result: { nextExpectedRevision: 0, position: 2 }, written: true }],
    ]);
    thread.answer([committed(3), committed(4)]);
    expect((await Promise.all(second)).map((appended) => appended[0]!.result.position)).toEqual([3, 4]);
  });

  it('holds nothing of a group once sent but how to settle it, so what the appends carry can be collected', async () => {
    // As a real port does, the stand-in keeps a copy of what it is sent, not the objects themselves.
    const postMessage = thread.postMessage.bind(thread);
    thread.postMessage = (message) => postMessage(structuredClone(message));
    const { appended, sentUnit } = appendWatched(writer, request('a'));
    await nextTurn();
    expect(thread.groups().map((group) => group.map((append) => append[0]!.streamId))).toEqual([['a']]);

    // Still unanswered: only the answer's promise is held.
    await collectGarbage();
    expect(sentUnit.deref()).toBeUndefined();
    thread.answer([committed(1)]);
    expect((await appended)[0]!.result.position).toBe(1);
  });

  it('keeps the process alive only while it has appends to answer', async () => {
    expect(thread.referenced).toBe(false);
    const pending = writer.append(request('a'));
    expect(thread.referenced).toBe(true);
    await nextTurn();
    thread.answer([committed(1)]);
    await pending;
    expect(thread.referenced).toBe(false);
  });

  it('rejects each failed append with its own error, rebuilt with its class', async () => {
    const appends = [writer.append(request('a')), writer.append(request('b')), writer.append(request('c'))];
    await nextTurn();
    thread.answer([
      { ok: false, error: EVENT_STORE_ERRORS.describe(new WrongExpectedRevisionError('a', 'no_stream', 3)) },
      { ok: false, error: EVENT_STORE_ERRORS.describe(new DuplicateEventIdError('event-1')) },
      committed(7),
    ]);
    const [wrong, duplicate, stored] = await Promise.allSettled(appends);

    const wrongError = (wrong as PromiseRejectedResult).reason as WrongExpectedRevisionError;
    expect(wrongError).toBeInstanceOf(WrongExpectedRevisionError);
    expect(wrongError).toMatchObject({ streamId: 'a', expected: 'no_stream', actual: 3 });
    expect(wrongError.message).toBe('stream a is at revision 3, expected no_stream');
    const duplicateError = (duplicate as PromiseRejectedResult).reason as DuplicateEventIdError;
    expect(duplicateError).toBeInstanceOf(DuplicateEventIdError);
    expect(duplicateError.eventId).toBe('event-1');
    expect(stored).toMatchObject({ status: 'fulfilled', value: [{ result: { position: 7 } }] });
  });

  it('rejects the whole group with the error of a transaction that failed', async () => {
    const appends = [writer.append(request('a')), writer.append(request('b'))];
    await nextTurn();
    const failure = Object.assign(new Database.SqliteError('database or disk is full', 'SQLITE_FULL'), {});
    thread.emit('message', { type: 'failed', error: EVENT_STORE_ERRORS.describe(failure) });

    for (const outcome of await Promise.allSettled(appends)) {
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(Database.SqliteError);
      expect(reason).toMatchObject({ code: 'SQLITE_FULL', message: 'database or disk is full' });
    }
  });

  it('when the thread dies, rejects what is in flight and what waits, and refuses later appends', async () => {
    const inFlight = writer.append(request('a'));
    thread.emit('message', { type: 'ready' });
    await nextTurn();
    const waiting = writer.append(request('b'));
    thread.emit('error', new Error('out of memory'));
    thread.emit('exit', 1);

    expect((await rejection(inFlight)).message).toMatch(/writer thread failed \(out of memory\).*unknown/);
    expect((await rejection(waiting)).message).toMatch(
      /writer thread failed \(out of memory\).*nothing was stored/,
    );
    expect((await rejection(writer.append(request('c')))).message).toMatch(
      /writer thread failed \(out of memory\): appends are refused/,
    );
    await expect(writer.close()).resolves.toBeUndefined();
  });

  it('on close, sends what waits, and closes the thread once every group is answered', async () => {
    const inFlight = writer.append(request('a'));
    await nextTurn();
    const waiting = writer.append(request('b'));
    const closed = writer.close();
    await nextTurn();
    expect(thread.sent.map((message) => message.type)).toEqual(['group', 'group']);

    thread.answer([committed(1)]);
    await nextTurn();
    expect(thread.sent.map((message) => message.type)).toEqual(['group', 'group']);
    thread.answer([committed(2)]);
    await closed;

    expect(thread.sent.map((message) => message.type)).toEqual(['group', 'group', 'close']);
    await expect(inFlight).resolves.toMatchObject([{ result: { position: 1 } }]);
    await expect(waiting).resolves.toMatchObject([{ result: { position: 2 } }]);
    await expect(writer.append(request('c'))).rejects.toThrow('closed');
  });

  it('starts its thread with the first append only', async () => {
    const start = jest.fn(() => thread as unknown as WriterThread);
    const idle = new EventWriter(start);
    await idle.close();
    expect(start).not.toHaveBeenCalled();

    const used = new EventWriter(start);
    const pending = used.append(request('a'));
    used.append(request('b')).catch(() => undefined);
    expect(start).toHaveBeenCalledTimes(1);
    await nextTurn();
    thread.answer([committed(1), committed(2)]);
    await pending;
  });

  it('refuses appends clearly when its thread cannot be started', async () => {
    const broken = new EventWriter(() => {
      throw new Error('no more threads');
    });
    expect((await rejection(broken.append(request('a')))).message).toBe(
      "the event store's writer thread could not start (Error: no more threads): appends are refused (restart the process)",
    );
    await expect(broken.close()).resolves.toBeUndefined();
  });

  it('rebuilds other errors with their name, message and code', () => {
    const error = EVENT_STORE_ERRORS.rebuild(
      EVENT_STORE_ERRORS.describe(Object.assign(new TypeError('bad'), { code: 'E_BAD' })),
    );
    expect(error).toMatchObject({ name: 'TypeError', message: 'bad', code: 'E_BAD' });
  });
});

describe('withoutTsNodeHooks', () => {
  it('keeps the Node options but a preloaded ts-node hook', () => {
    expect(
      withoutTsNodeHooks([
        '--cpu-prof',
        '-r',
        'ts-node/register/transpile-only',
        '--require=ts-node/register',
        '--require',
        './tracing.js',
      ]),
    ).toEqual(['--cpu-prof', '--require', './tracing.js']);
  });
});

describe('withoutHeapFlags', () => {
  it("drops V8's heap sizes, which a thread refuses, and keeps everything else", () => {
    expect(
      withoutHeapFlags([
        '--max-old-space-size=384',
        '--cpu-prof',
        '--max-semi-space-size',
        '16',
        '--max_old_space_size=1024',
        '--enable-source-maps',
      ]),
    ).toEqual(['--cpu-prof', '--enable-source-maps']);
  });

  it.each([['--max-old-space-size=256'], ['--trace-gc', '--stack-trace-limit=50']])(
    'lets a process started with V8 options (%s) still write through its threads',
    (...v8Options) => {
      const child = spawnSync(
        process.execPath,
        [
          ...v8Options,
          '-r',
          'ts-node/register/transpile-only',
          join(__dirname, '../support/append-one-event.ts'),
          file,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(child.stderr).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
      expect(child.status).toBe(0);
      // --trace-gc writes its own lines to stdout too.
      const answer = child.stdout.split('\n').find((line) => line.startsWith('{'));
      expect(JSON.parse(answer!)).toEqual({ nextExpectedRevision: 0, position: 1, positions: [1] });
    },
  );
});

describe('SqliteEventStore on its writer thread', () => {
  it('answers an append only once it is committed: every connection reads it at once', async () => {
    const store = SqliteEventStore.open(file);
    const other = new Database(file, { readonly: true });
    try {
      const seen: { head: number; own: number; other: unknown }[] = [];
      for (let i = 0; i < 20; i++) {
        const streamId = `worker-${i}`;
        await store.append(streamId, [event()], 'no_stream').then(async (result: AppendResult) => {
          // Synchronously on resolution: nothing else ran in between.
          const head = store.headPosition();
          const own = store.readStream(streamId);
          const otherHead = other.prepare('SELECT MAX(position) FROM events').pluck().get();
          seen.push({ head: await head, own: (await own).length, other: otherHead });
          expect(result.position).toBe(i + 1);
        });
      }
      expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => ({ head: i + 1, own: 1, other: i + 1 })));
    } finally {
      other.close();
      await store.close();
    }
  });

  it('holds nothing of the encoded events while their commit is awaited (only the writer has them)', async () => {
    const store = SqliteEventStore.open(file);
    let answer!: (appended: Appended) => void;
    let sent: WeakRef<AppendRequest> | undefined;
    // Not a jest mock, which would keep every argument it is called with.
    const append = Object.getOwnPropertyDescriptor(EventWriter.prototype, 'append')!;
    EventWriter.prototype.append = (request) => {
      sent = new WeakRef(request);
      return new Promise<Appended>((resolve) => (answer = resolve));
    };
    try {
      const appending = store.append('worker-1', [event()], 'no_stream');
      await collectGarbage();
      expect(sent).toBeDefined();
      expect(sent!.deref()).toBeUndefined();
      answer([{ result: { nextExpectedRevision: 0, position: 1 }, written: true }]);
      expect(await appending).toEqual({ nextExpectedRevision: 0, position: 1 });
    } finally {
      Object.defineProperty(EventWriter.prototype, 'append', append);
      await store.close();
    }
  });

  it('commits the next group after the one in flight, with revisions checked against it', async () => {
    const store = SqliteEventStore.open(file);
    const groups = watchGroups();
    try {
      const streams = Array.from({ length: 10 }, () => `worker-${randomUUID()}`);
      const first = Promise.all(streams.map((streamId) => store.append(streamId, [event('A')], 'no_stream')));
      await nextTurn(); // the first group is now in flight
      const second = Promise.allSettled([
        ...streams.map((streamId) => store.append(streamId, [event('B')], 0)),
        store.append(streams[0]!, [event('C')], 'no_stream'),
      ]);

      const firstResults = await first;
      const secondOutcomes = await second;

      expect(groups()).toEqual([10, 11]);
      expect(firstResults.map((result) => result.position)).toEqual(streams.map((_, i) => i + 1));
      expect(secondOutcomes.slice(0, 10)).toEqual(
        streams.map((_, i) => ({
          status: 'fulfilled',
          value: { nextExpectedRevision: 1, position: 11 + i, positions: [11 + i] },
        })),
      );
      const refused = (secondOutcomes[10] as PromiseRejectedResult).reason;
      expect(refused).toBeInstanceOf(WrongExpectedRevisionError);
      expect(refused).toMatchObject({ streamId: streams[0], expected: 'no_stream', actual: 1 });
      expect((await store.readStream(streams[0]!)).map((e) => e.type)).toEqual(['A', 'B']);
    } finally {
      await store.close();
    }
  });

  it('keeps the classes and fields of its errors across the thread boundary', async () => {
    const store = SqliteEventStore.open(file);
    try {
      const taken = event();
      await store.append('s-1', [taken], 'no_stream');

      const wrong = await rejection(store.append('s-1', [event()], 5));
      expect(wrong).toBeInstanceOf(WrongExpectedRevisionError);
      expect(wrong).toMatchObject({
        name: 'WrongExpectedRevisionError',
        streamId: 's-1',
        expected: 5,
        actual: 0,
      });

      // An id the stream already holds, after a new one: not a retry.
      const duplicate = await rejection(store.append('s-1', [event(), taken], 'any'));
      expect(duplicate).toBeInstanceOf(DuplicateEventIdError);
      expect(duplicate).toMatchObject({ name: 'DuplicateEventIdError', eventId: taken.id });
    } finally {
      await store.close();
    }
  });

  it('on close, commits the group in flight and the one accumulating, then ends the thread', async () => {
    const { store, thread } = openWatchingThread();
    const inFlight = store.append('s-1', [event()], 'no_stream');
    await nextTurn();
    const accumulating = store.append('s-1', [event()], 0);
    const exited = new Promise<number>((resolve) => thread().once('exit', resolve));

    await store.close();

    await expect(inFlight).resolves.toEqual({ nextExpectedRevision: 0, position: 1, positions: [1] });
    await expect(accumulating).resolves.toEqual({ nextExpectedRevision: 1, position: 2, positions: [2] });
    await exited;
    await expect(store.append('s-1', [event()], 1)).rejects.toThrow('closed');
    const reopened = SqliteEventStore.open(file);
    try {
      expect((await reopened.readStream('s-1')).map((e) => e.position)).toEqual([1, 2]);
    } finally {
      await reopened.close();
    }
  });

  it('when its thread dies, rejects what is pending, refuses later appends, and still reads and closes', async () => {
    const { store, thread } = openWatchingThread();
    await store.append('s-1', [event()], 'no_stream');
    const inFlight = store.append('s-1', [event()], 0);
    await nextTurn();

    await thread().terminate();

    // Sent, so it may or may not have been committed before the thread ended (see the stand-in's
    // test for appends that were never sent).
    expect((await rejection(inFlight)).message).toMatch(/writer thread exited \(code 1\).*unknown/);
    expect((await rejection(store.append('s-3', [event()], 'no_stream'))).message).toMatch(
      /writer thread exited \(code 1\): appends are refused/,
    );
    expect(await store.readStream('s-3')).toEqual([]);
    expect((await store.readStream('s-1')).length).toBeGreaterThanOrEqual(1);
    await expect(store.close()).resolves.toBeUndefined();
  });

  it('in a bulk load, lets the log grow to 10,000 pages, and closing leaves every event in the file', async () => {
    /**
     * ~3,000 pages of appends (no checkpointer here): the log's size in pages before closing, what
     * closing leaves of it while another connection keeps the file open, and the events stored.
     */
    const load = async (options: { bulkLoad?: boolean }) => {
      const path = join(dir, `${randomUUID()}.sqlite`);
      const store = SqliteEventStore.open(path, options);
      const page = 'x'.repeat(3500);
      const reader = new Database(path, { readonly: true });
      try {
        let logPages: number;
        try {
          for (let group = 0; group < 60; group++) {
            await Promise.all(
              Array.from({ length: 50 }, (_, i) =>
                store.append(`s-${group}-${i}`, [eventToAppend('Big', { page })], 'no_stream'),
              ),
            );
          }
          logPages = statSync(`${path}-wal`).size / 4096;
          // Opened (lazily, by a read): the store's closing is not the file's last.
          reader.prepare('SELECT COUNT(*) FROM events').pluck().get();
        } finally {
          await store.close();
        }
        const logPagesLeft = statSync(`${path}-wal`).size / 4096;
        const events = reader.prepare('SELECT COUNT(*) FROM events').pluck().get() as number;
        return { logPages, logPagesLeft, events };
      } finally {
        reader.close();
      }
    };

    // SQLite's default: the writer copies the log at 1,000 pages and starts it over.
    const usual = await load({});
    expect(usual.logPages).toBeLessThan(1500);
    expect(usual.logPagesLeft).toBeGreaterThan(0);
    const bulk = await load({ bulkLoad: true });
    expect(bulk.logPages).toBeGreaterThan(2500);
    // Copied into the file and emptied (TRUNCATE) by the writer's closing.
    expect(bulk.logPagesLeft).toBe(0);
    expect([usual.events, bulk.events]).toEqual([3000, 3000]);
  });

  it('refuses appends clearly when the thread cannot open the file', async () => {
    const blocker = join(dir, `${randomUUID()}.file`);
    writeFileSync(blocker, ''); // a file where the event file's directory should be
    const writer = EventWriter.start({ file: join(blocker, 'events.db'), cacheKib: 1024 });

    const error = await rejection(writer.append(request('s-1')));
    expect(error.message).toMatch(
      /writer thread failed \(EEXIST.*\) before opening the event file.*nothing was stored/,
    );
    expect((await rejection(writer.append(request('s-1')))).message).toMatch(/appends are refused/);
    await writer.close();
  });
});

describe('SqliteEventStore appending through another store’s writer thread (shareWriter)', () => {
  /** Writer threads started from now on (only a store that owns one starts it). */
  function countThreads(): () => number {
    const start = jest.spyOn(EventWriter, 'start');
    return () => start.mock.calls.length;
  }

  /** A store, and another appending through its writer; both closed afterwards, the owner last. */
  async function sharing(
    test: (owner: SqliteEventStore, client: SqliteEventStore) => Promise<void>,
  ): Promise<void> {
    const owner = SqliteEventStore.open(file);
    const client = SqliteEventStore.open(file, { writer: owner.shareWriter() });
    try {
      await test(owner, client);
    } finally {
      await client.close();
      await owner.close();
    }
  }

  it("commits both stores' appends on the owner's one thread, each checked against the other's", async () => {
    const threads = countThreads();
    await sharing(async (owner, client) => {
      // Sent in the same turn: one transaction takes them in the order they reach the thread.
      const [mine, theirs] = await Promise.all([
        owner.append('s-owner', [event('A')], 'no_stream'),
        client.append('s-client', [event('B')], 'no_stream'),
      ]);
      expect([mine.position, theirs.position].sort()).toEqual([1, 2]);
      await client.append('s-owner', [event('C')], 0);

      const stale = await rejection(owner.append('s-owner', [event('D')], 0));
      expect(stale).toBeInstanceOf(WrongExpectedRevisionError);
      expect(stale).toMatchObject({ streamId: 's-owner', expected: 0, actual: 1 });
      const taken = await rejection(client.append('s-client', [event('E')], 'no_stream'));
      expect(taken).toBeInstanceOf(WrongExpectedRevisionError);

      expect((await owner.readStream('s-owner')).map((e) => e.type)).toEqual(['A', 'C']);
      expect((await client.readStream('s-client')).map((e) => e.type)).toEqual(['B']);
      expect(threads()).toBe(1);
    });
  });

  it("retries through the port are recognised as the owner's own would be", async () => {
    await sharing(async (owner, client) => {
      const once = [event('A'), event('B')];
      const first = await client.append('s-1', once, 'no_stream');
      await expect(owner.append('s-1', once, 'no_stream')).resolves.toEqual(first);
      expect(await owner.readStream('s-1')).toHaveLength(2);
    });
  });

  it('a client closing commits what it sent, ends its port only, and refuses its later appends', async () => {
    const owner = SqliteEventStore.open(file);
    const client = SqliteEventStore.open(file, { writer: owner.shareWriter() });
    try {
      const inFlight = client.append('s-1', [event()], 'no_stream');
      await nextTurn();
      const accumulating = client.append('s-1', [event()], 0);

      await client.close();

      await expect(inFlight).resolves.toMatchObject({ nextExpectedRevision: 0 });
      await expect(accumulating).resolves.toMatchObject({ nextExpectedRevision: 1 });
      await expect(client.append('s-1', [event()], 1)).rejects.toThrow('closed');
      await expect(owner.append('s-1', [event()], 1)).resolves.toMatchObject({ position: 3 });
    } finally {
      await owner.close();
    }
  });

  it("the owner closing ends the thread: the client's later appends are refused, nothing stored", async () => {
    const owner = SqliteEventStore.open(file);
    const client = SqliteEventStore.open(file, { writer: owner.shareWriter() });
    await client.append('s-1', [event()], 'no_stream');

    await owner.close();

    const refused = await rejection(client.append('s-2', [event()], 'no_stream'));
    expect(refused.message).toMatch(/writer thread exited.*appends are refused/);
    expect(await client.readStream('s-2')).toEqual([]);
    expect(await client.readStream('s-1')).toHaveLength(1);
    await expect(client.close()).resolves.toBeUndefined();
  });

  it('refuses to share a writer that is closed', async () => {
    const owner = SqliteEventStore.open(file);
    await owner.close();
    expect(() => owner.shareWriter()).toThrow(/closed/);
  });
});
