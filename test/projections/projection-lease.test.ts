import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventToAppend } from '../../src/application/ports/event-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import {
  adoptProcessToken,
  isDeadLocalHolder,
  LeaseGuard,
  newHolderId,
  OBSERVE_ONLY,
  parseHolderId,
  processTokenOfThisProcess,
  type ProjectionLease,
} from '../../src/projections/lease-guard';
import type { Projection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { eventToAppend } from '../support/events';

/**
 * Several projection runners on one read store, as several processes would be (each with its own
 * connections to the same SQLite files): only the lease holder applies, the others follow.
 */

const CHECKPOINT = 'counter-v1';

/** Counts Tick events in one document: any event applied twice shows as a count too high. */
const counter: Projection = {
  name: 'counter',
  collections: [{ name: 'counts', indexes: [] }],
  eventTypes: new Set(['Tick']),
  async apply(event, context) {
    const doc = await context.get<{ n: number }>('counts', 'all');
    context.put('counts', 'all', { n: (doc?.n ?? 0) + 1, last: event.position });
  },
};

const tick = (): EventToAppend =>
  eventToAppend('Tick', {}, { actor: { id: 'clock', role: 'platform_admin' } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

beforeAll(() => {
  Logger.overrideLogger(false);
});

let dir: string;
let writer: SqliteEventStore;
let reader: SqliteReadStore;
const opened: { close(): Promise<void> }[] = [];
const runners: ProjectionRunner[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'projection-lease-'));
  writer = SqliteEventStore.open(join(dir, 'events.db'));
  reader = SqliteReadStore.open(join(dir, 'read.db'));
  await reader.ensureCollections(counter.collections);
});

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop();
  for (const store of opened.splice(0)) await store.close();
  await writer.close();
  await reader.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A runner as a separate process would have it: its own connections, its own lease guard. */
function process(lease: (store: SqliteReadStore) => ProjectionLease): {
  runner: ProjectionRunner;
  lease: ProjectionLease;
  store: SqliteReadStore;
} {
  const events = SqliteEventStore.open(join(dir, 'events.db'));
  const store = SqliteReadStore.open(join(dir, 'read.db'));
  opened.push(events, store);
  const guard = lease(store);
  const runner = new ProjectionRunner(events, store, [counter], { checkpointName: CHECKPOINT, lease: guard });
  runners.push(runner);
  return { runner, lease: guard, store };
}

const guarded =
  (ttlMs = 1200) =>
  (store: SqliteReadStore) =>
    new LeaseGuard(store, { name: CHECKPOINT, ttlMs });

async function appendTicks(count: number): Promise<number> {
  let position = 0;
  for (let i = 0; i < count; i++)
    position = (await writer.append(`clock-${randomUUID()}`, [tick()], 'no_stream')).position;
  return position;
}

async function count(): Promise<number> {
  return (await reader.get<{ n: number }>('counts', 'all'))?.n ?? 0;
}

describe('projection runners sharing one read store', () => {
  it('lets only the lease holder apply; a standby follows its checkpoint for read-your-writes', async () => {
    const a = process(guarded());
    await a.runner.start();
    await until(() => (a.lease as LeaseGuard).isHeld);
    const b = process(guarded());
    await b.runner.start();

    const head = await appendTicks(30);

    await expect(a.runner.waitFor(head, 5000)).resolves.toBe(true);
    await expect(b.runner.waitFor(head, 5000)).resolves.toBe(true);
    expect(await count()).toBe(30);
    expect((b.lease as LeaseGuard).isHeld).toBe(false);
    // Only the holder vouches for seeing every change (what the public view cache relies on).
    expect(a.runner.seesEveryChange).toBe(true);
    expect(b.runner.seesEveryChange).toBe(false);
  });

  it('tells listeners of every commit, and to forget when the lease changes hands', async () => {
    const a = process(guarded());
    const seen: { committed: number; forgotten: number } = { committed: 0, forgotten: 0 };
    a.runner.listen({
      committed: (changes) => (seen.committed += changes.length),
      forgotten: () => seen.forgotten++,
    });
    await a.runner.start();
    await until(() => (a.lease as LeaseGuard).isHeld);
    await a.runner.waitFor(await appendTicks(5), 5000);
    expect(seen.committed).toBeGreaterThan(0);
    const forgottenWhileHolding = seen.forgotten;
    await a.runner.stop();
    expect(a.runner.seesEveryChange).toBe(false);
    // Another process applies meanwhile; taking the lease again, the first forgets what it knew.
    const b = process(guarded());
    await b.runner.start();
    await until(() => (b.lease as LeaseGuard).isHeld);
    await b.runner.waitFor(await appendTicks(5), 5000);
    await b.runner.stop();
    await a.runner.start();
    await until(() => a.runner.seesEveryChange);
    expect(seen.forgotten).toBeGreaterThan(forgottenWhileHolding);
  });

  it('hands over when the holder stops, without losing or doubling an event', async () => {
    const a = process(guarded());
    await a.runner.start();
    await until(() => (a.lease as LeaseGuard).isHeld);
    const b = process(guarded());
    await b.runner.start();
    await a.runner.waitFor(await appendTicks(10), 5000);

    await a.runner.stop();
    const head = await appendTicks(10);

    await expect(b.runner.waitFor(head, 5000)).resolves.toBe(true);
    expect((b.lease as LeaseGuard).isHeld).toBe(true);
    expect(await count()).toBe(20);
  });

  it('stops applying as soon as its lease is taken, and resumes when it gets it back', async () => {
    const a = process(guarded());
    await a.runner.start();
    await a.runner.waitFor(await appendTicks(5), 5000);
    const holder = (a.lease as LeaseGuard).claim.holder;
    const intruder = { name: CHECKPOINT, holder: 'intruder', ttlMs: 60_000 };

    await expect(reader.acquireLease(intruder, { replacing: holder })).resolves.toMatchObject({
      acquired: true,
    });
    const head = await appendTicks(5);
    await sleep(700);

    expect(await count()).toBe(5);
    expect(await reader.getCheckpoint(CHECKPOINT)).toBeLessThan(head);
    expect((a.lease as LeaseGuard).isHeld).toBe(false);

    await reader.releaseLease(intruder.name, intruder.holder);

    await expect(a.runner.waitFor(head, 5000)).resolves.toBe(true);
    expect(await count()).toBe(10);
  });

  it('never applies as an observer (PROJECTIONS=external), yet sees the checkpoint move', async () => {
    const observer = process(() => OBSERVE_ONLY);
    await observer.runner.start();
    const head = await appendTicks(3);
    await sleep(200);
    expect(await count()).toBe(0);
    expect(observer.runner.checkpoint).toBe(0);

    const worker = process(guarded());
    await worker.runner.start();

    await expect(observer.runner.waitFor(head, 5000)).resolves.toBe(true);
    expect(await count()).toBe(3);
  });
});

describe('LeaseGuard', () => {
  it('keeps the lease by renewing it, so nobody else can take it', async () => {
    const guard = new LeaseGuard(reader, { name: 'renewed', ttlMs: 600 });
    const signal = await guard.tryAcquire();
    expect(signal).not.toBeNull();

    await sleep(1500);

    await expect(
      reader.acquireLease({ name: 'renewed', holder: 'other', ttlMs: 600 }),
    ).resolves.toMatchObject({
      acquired: false,
    });
    expect(signal?.aborted).toBe(false);
    await guard.release();
    expect(signal?.aborted).toBe(true);
    await expect(
      reader.acquireLease({ name: 'renewed', holder: 'other', ttlMs: 600 }),
    ).resolves.toMatchObject({
      acquired: true,
    });
  });

  it('aborts its signal once a renewal finds the lease taken over', async () => {
    const guard = new LeaseGuard(reader, { name: 'taken', ttlMs: 600 });
    const signal = await guard.tryAcquire();

    await reader.acquireLease(
      { name: 'taken', holder: 'other', ttlMs: 60_000 },
      { replacing: guard.claim.holder },
    );
    await until(() => signal?.aborted === true, 2000);

    expect(guard.isHeld).toBe(false);
    await expect(guard.tryAcquire()).resolves.toBeNull();
  });

  it('stands by while another holder has the lease, retrying at most every retryMs', async () => {
    await reader.acquireLease({ name: 'busy', holder: 'other', ttlMs: 60_000 });
    const acquire = jest.spyOn(reader, 'acquireLease');
    const guard = new LeaseGuard(reader, { name: 'busy', ttlMs: 3000, retryMs: 1000 });

    await expect(guard.tryAcquire()).resolves.toBeNull();
    await expect(guard.tryAcquire()).resolves.toBeNull();

    expect(acquire).toHaveBeenCalledTimes(1);
  });

  it('takes the lease over at once from a holder known to be dead', async () => {
    await reader.acquireLease({ name: 'orphan', holder: 'ghost', ttlMs: 60_000 });
    const guard = new LeaseGuard(reader, { name: 'orphan', isDeadHolder: (holder) => holder === 'ghost' });

    await expect(guard.tryAcquire()).resolves.not.toBeNull();
    await guard.release();
  });

  it('gives up the lease when it cannot confirm it for two thirds of its ttl', async () => {
    const guard = new LeaseGuard(reader, { name: 'unreachable', ttlMs: 600 });
    const signal = await guard.tryAcquire();
    jest.spyOn(reader, 'renewLease').mockRejectedValue(new Error('database unreachable'));

    await until(() => signal?.aborted === true, 2000);
    expect(guard.isHeld).toBe(false);
  });
});

describe('lease holders', () => {
  const self = { host: 'node-a', pid: 4242 };

  it('are named host:pid:nonce', () => {
    const id = newHolderId('node-a', 17);
    expect(parseHolderId(id)).toEqual({
      host: 'node-a',
      pid: 17,
      nonce: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(parseHolderId('rebuild/x')).toBeNull();
    expect(parseHolderId(newHolderId())).toMatchObject({ host: hostname(), pid: global.process.pid });
  });

  it('are judged dead only on this machine, when their process is gone or was an earlier run of this pid', () => {
    const alive = (pid: number) => pid === 100;
    expect(isDeadLocalHolder('node-a:200:abcd', self, alive)).toBe(true);
    expect(isDeadLocalHolder('node-a:100:abcd', self, alive)).toBe(false);
    expect(isDeadLocalHolder('node-a:4242:abcd', self, alive)).toBe(true);
    expect(isDeadLocalHolder('node-b:200:abcd', self, alive)).toBe(false);
    expect(isDeadLocalHolder('not-a-holder-id', self, alive)).toBe(false);
  });

  it('are never judged dead when they belong to this process (two runners in one process)', () => {
    const mine = newHolderId('node-a', 4242);
    expect(isDeadLocalHolder(mine, self, () => false)).toBe(false);
  });

  it("of this process's other threads (which share its token) are alive; of an earlier run, dead", () => {
    const token = processTokenOfThisProcess();
    expect(isDeadLocalHolder(`node-a:4242:${token}0badf00d`, self, () => false)).toBe(false);
    const other = token === 'aaaaaaaa' ? 'bbbbbbbb' : 'aaaaaaaa';
    expect(isDeadLocalHolder(`node-a:4242:${other}0badf00d`, self, () => false)).toBe(true);
    expect(() => adoptProcessToken('not hex')).toThrow(/process token/);
  });
});
