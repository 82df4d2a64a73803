import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { EventToAppend } from '../../src/application/ports/event-store';
import { loadConfig } from '../../src/infrastructure/config/config';
import { openKeyStore } from '../../src/infrastructure/privacy-stores';
import { ProjectionsThread } from '../../src/infrastructure/projections-thread';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { eventStoreFile, openReadStore } from '../../src/infrastructure/storage';
import { AGENCIES } from '../../src/projections/agencies';
import type { ChangedDocument } from '../../src/projections/read-models-progress';
import { niceValuesOfThreads, onLinux } from '../support/thread-nice';
import { eventToAppend } from '../support/events';

jest.setTimeout(60_000);

let dir: string;
let events: SqliteEventStore;
let projections: ProjectionsThread;

function agencyRegistered(n: number): EventToAppend {
  return eventToAppend(
    'AgencyRegistered',
    { agencyId: `agency-${n}`, name: `机构${n}`, creditCode: '91310000MA1FL0000X', district: '310101' },
    { id: `event-${n}`, commandId: `command-${n}`, actor: { id: 'admin', role: 'platform_admin' } },
  );
}

async function register(n: number): Promise<number> {
  return (await events.append(`agency-agency-${n}`, [agencyRegistered(n)], 'no_stream')).position;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'projections-thread-'));
  const config = loadConfig({ DATA_DIR: dir });
  // As the service does: the key store (and its KEK) exist before the thread opens them.
  await openKeyStore(config).close();
  events = SqliteEventStore.open(eventStoreFile(dir));
  projections = new ProjectionsThread(config, events);
});

afterEach(async () => {
  await projections.stop();
  await events.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ProjectionsThread: the projections on a thread of their own', () => {
  it('projects what this process appends, tells what each commit changed, and how far it got', async () => {
    const changed: ChangedDocument[] = [];
    const reached: number[] = [];
    projections.listen({
      committed: (changes) => changed.push(...changes),
      forgotten: () => undefined,
      reached: (position) => reached.push(position),
    });
    await projections.start();

    const position = await register(1);
    expect(await projections.waitFor(position, 5_000)).toBe(true);
    // It holds the projection lease (told with every position reached).
    expect(projections.seesEveryChange).toBe(true);
    expect(projections.checkpoint).toBeGreaterThanOrEqual(position);
    expect(changed).toContainEqual({ collection: AGENCIES, id: 'agency-1' });
    expect(reached.at(-1)).toBeGreaterThanOrEqual(position);

    const reads = openReadStore(dir);
    try {
      expect(await reads.get(AGENCIES, 'agency-1')).toMatchObject({ name: '机构1', district: '310101' });
    } finally {
      await reads.close();
    }
  });

  it('answers false to a wait it cannot meet in time, and vouches for nothing once stopped', async () => {
    await projections.start();
    expect(await projections.waitFor(1_000, 100)).toBe(false);
    await projections.stop();
    expect(projections.seesEveryChange).toBe(false);
  });

  it('when the thread dies, forgets what it told, starts it again and carries on without waiting out its lease', async () => {
    let forgotten = 0;
    projections.listen({ committed: () => undefined, forgotten: () => forgotten++ });
    await projections.start();
    const first = await register(1);
    expect(await projections.waitFor(first, 5_000)).toBe(true);

    // A crash of the thread (its Worker is private: reached here only to end it).
    const before = forgotten;
    await (projections as unknown as { thread: Worker }).thread.terminate();
    expect(projections.seesEveryChange).toBe(false);
    expect(forgotten).toBe(before + 1);

    const second = await register(2);
    // Well within the lease's 15 s: the new thread takes over from the dead one at once.
    expect(await projections.waitFor(second, 5_000)).toBe(true);
    expect(projections.seesEveryChange).toBe(true);
  });

  it('stops cleanly while a dead thread is being started again, and starts no other', async () => {
    await projections.start();
    const inner = projections as unknown as { thread: Worker; starting: Worker | null };
    await inner.thread.terminate();
    // Within the backoff, and again once the new thread is being started.
    await projections.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inner.starting).toBeNull();
    expect(projections.seesEveryChange).toBe(false);
    expect(await projections.waitFor(1, 50)).toBe(false);
  });

  onLinux(
    'runs BACKGROUND_NICE levels below the threads that answer requests, which keep their priority',
    async () => {
      const base = getPriority();
      const niced = Math.min(19, base + 10);
      expect(niceValuesOfThreads()).not.toContain(niced);
      await projections.start();
      // Only its own thread was lowered: the one calling it (here, the test's) was not.
      expect(getPriority()).toBe(base);
      expect(niceValuesOfThreads().filter((nice) => nice === niced)).toHaveLength(1);
      await projections.stop();

      // BACKGROUND_NICE=0: equal priority.
      const equal = new ProjectionsThread(loadConfig({ DATA_DIR: dir, BACKGROUND_NICE: '0' }), events);
      try {
        await equal.start();
        expect(niceValuesOfThreads().every((nice) => nice === base)).toBe(true);
      } finally {
        await equal.stop();
      }
    },
  );
});
