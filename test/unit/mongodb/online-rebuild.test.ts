import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventToAppend } from '../../../src/application/ports/event-store';
import type { AcquireOptions, LeaseClaim } from '../../../src/application/ports/lease-store';
import type { ReadStore } from '../../../src/application/ports/read-store';
import {
  type GenerationalReadStore,
  rebuildOnline,
} from '../../../src/infrastructure/mongodb/online-rebuild';
import { CHECKPOINT_NAME } from '../../../src/infrastructure/read-models';
import { SqliteEventStore } from '../../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../../src/infrastructure/sqlite/sqlite-read-store';
import { eventToAppend } from '../../support/events';

/**
 * The order of the online rebuild's steps, with SQLite standing in for MongoDB's generations: the
 * whole log first, then the lease, the tail, the switch, the lease back, the old generation last.
 * (MongoReadStore's own generation handling runs in the MongoDB contract suite's environment.)
 */

const registered = (n: number): EventToAppend =>
  eventToAppend(
    'AgencyRegistered',
    { agencyId: `agency-${n}`, name: `家政公司${n}`, creditCode: `91310104MA00000${n}X`, district: '310104' },
    { commandId: `c-${n}`, actor: { id: 'admin', role: 'platform_admin' } },
  );

class Generations implements GenerationalReadStore {
  readonly steps: string[] = [];
  active = 1;
  staging: (SqliteReadStore & { stagingGeneration: number }) | null = null;

  constructor(
    private readonly dir: string,
    readonly leases: SqliteReadStore,
    private readonly events: SqliteEventStore,
  ) {}

  async activeGeneration(): Promise<number> {
    return this.active;
  }

  async beginRebuild() {
    this.steps.push('begin');
    const store = SqliteReadStore.open(join(this.dir, `read-v${this.active + 1}.db`));
    // Record how far the log is when the rebuild starts reading it.
    const commit = store.commit.bind(store);
    store.commit = async (changes, checkpoints, options) => {
      this.steps.push(`commit ${checkpoints[0]?.position ?? ''}`);
      return commit(changes, checkpoints, options);
    };
    this.staging = Object.assign(store, { stagingGeneration: this.active + 1 });
    return this.staging;
  }

  async switchTo(staging: ReadStore): Promise<number> {
    expect(staging).toBe(this.staging);
    this.steps.push(
      `switch at ${await staging.getCheckpoint(CHECKPOINT_NAME)} of ${await this.events.headPosition()}`,
    );
    const replaced = this.active;
    this.active = this.staging!.stagingGeneration;
    return replaced;
  }

  async dropGeneration(generation: number): Promise<string[]> {
    this.steps.push(`drop ${generation}`);
    return [`agencies__v${generation}`];
  }

  async acquireLease(claim: LeaseClaim, options?: AcquireOptions) {
    const state = await this.leases.acquireLease(claim, options);
    this.steps.push(
      `acquire ${options?.replacing ? `replacing ${options.replacing}` : ''}`.trim() + ` → ${state.acquired}`,
    );
    return state;
  }

  async renewLease(claim: LeaseClaim) {
    return this.leases.renewLease(claim);
  }

  async releaseLease(name: string, holder: string) {
    this.steps.push('release');
    return this.leases.releaseLease(name, holder);
  }
}

let dir: string;
let events: SqliteEventStore;
let leases: SqliteReadStore;

beforeAll(() => Logger.overrideLogger(false));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'online-rebuild-'));
  events = SqliteEventStore.open(join(dir, 'events.db'));
  leases = SqliteReadStore.open(join(dir, 'read-v1.db'));
});

afterEach(async () => {
  await events.close();
  await leases.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rebuildOnline', () => {
  it('replays everything, takes the lease over from the live runner, finishes, switches, hands back, then drops', async () => {
    for (let n = 1; n <= 5; n++) await events.append(`agency-${n}`, [registered(n)], 'no_stream');
    const head = await events.headPosition();
    await leases.acquireLease({ name: CHECKPOINT_NAME, holder: 'live-runner', ttlMs: 60_000 });
    const store = new Generations(dir, leases, events);

    const report = await rebuildOnline(events, store, { graceMs: 0, leaseTtlMs: 3_000 });

    expect(store.steps).toEqual([
      'begin',
      `commit ${head}`,
      'acquire → false',
      'acquire replacing live-runner → true',
      `switch at ${head} of ${head}`,
      'release',
      'drop 1',
    ]);
    expect(report).toMatchObject({ generation: 2, replaced: 1, position: head, dropped: ['agencies__v1'] });
    // The lease is free again: the live runner takes it back and resumes on generation 2.
    await expect(
      leases.acquireLease({ name: CHECKPOINT_NAME, holder: 'live-runner', ttlMs: 60_000 }),
    ).resolves.toMatchObject({ acquired: true });
    await expect(store.staging!.count('agencies', {})).resolves.toBe(5);
    await store.staging!.close();
  });

  it('applies, while holding the lease, the events written during the replay', async () => {
    for (let n = 1; n <= 3; n++) await events.append(`agency-${n}`, [registered(n)], 'no_stream');
    const store = new Generations(dir, leases, events);
    const acquire = store.acquireLease.bind(store);
    // Events arrive after the replay, just before the rebuild takes the lease.
    store.acquireLease = async (claim, options) => {
      if (!options) await events.append('agency-9', [registered(9)], 'no_stream');
      return acquire(claim, options);
    };

    const report = await rebuildOnline(events, store, { graceMs: 0 });

    expect(report.position).toBe(await events.headPosition());
    await expect(store.staging!.count('agencies', {})).resolves.toBe(4);
    expect(store.steps.indexOf('acquire → true')).toBeLessThan(
      store.steps.findIndex((s) => s.startsWith('switch')),
    );
    await store.staging!.close();
  });
});
