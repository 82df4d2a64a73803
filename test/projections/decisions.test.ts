import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GetActorDecisionsHandler } from '../../src/application/audit/decision-queries';
import { EncryptingEventStore } from '../../src/infrastructure/crypto/encrypting-event-store';
import { loadKeyEncryptionKeys } from '../../src/infrastructure/crypto/key-encryption-keys';
import { AesGcmPersonalDataCipher } from '../../src/infrastructure/crypto/personal-data-cipher';
import { SqliteKeyStore } from '../../src/infrastructure/sqlite/sqlite-key-store';
import type { EventToAppend } from '../../src/application/ports/event-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import {
  DECISIONS,
  DECISIONS_PER_PAGE,
  type DecisionPageDoc,
  decisionsProjection,
} from '../../src/projections/decisions';
import { ProjectionRunner } from '../../src/projections/projection-runner';

let dir: string;
let events: SqliteEventStore;
let reads: SqliteReadStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'decisions-'));
  events = SqliteEventStore.open(join(dir, 'events.db'));
  reads = SqliteReadStore.open(join(dir, 'read.db'));
});

afterEach(async () => {
  await events.close();
  await reads.close();
  rmSync(dir, { recursive: true, force: true });
});

function registered(actorId: string, n: number): EventToAppend {
  return {
    id: `${actorId}-decision-${n}`,
    type: 'WorkerRegistered',
    schemaVersion: 1,
    data: {},
    metadata: {
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
      actor: { id: actorId, role: 'agency_operator', agencyId: 'agency-1' },
      commandId: `command-${actorId}-${n}`,
      correlationId: `correlation-${actorId}-${n}`,
      causationId: `command-${actorId}-${n}`,
    },
  };
}

const runner = (batchSize: number) =>
  new ProjectionRunner(events, reads, [decisionsProjection], { checkpointName: 'decisions-test', batchSize });

describe("one actor's decisions, kept in pages", () => {
  const many = DECISIONS_PER_PAGE * 2 + 40;

  beforeEach(async () => {
    // Two actors interleaved, the busy one over three pages; small batches so pages span batches.
    for (let n = 0; n < many; n++) {
      await events.append(`worker-busy-${n}`, [registered('operator-busy', n)], 'no_stream');
      if (n % 50 === 0)
        await events.append(`worker-quiet-${n}`, [registered('operator-quiet', n)], 'no_stream');
    }
    await runner(97).catchUp();
  });

  it('lists every decision once, in log order, with the same fields as before pages existed', async () => {
    const handler = new GetActorDecisionsHandler(reads, events);
    const all = await handler.execute({ actorId: 'operator-busy', limit: 1000, offset: 0 });
    expect(all.total).toBe(many);
    expect(all.items.map((item) => item.id)).toEqual(
      Array.from({ length: many }, (_, n) => `operator-busy-decision-${n}`),
    );
    const positions = all.items.map((item) => item.position);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(all.items[3]).toEqual({
      id: 'operator-busy-decision-3',
      actorId: 'operator-busy',
      actorRole: 'agency_operator',
      actorAgencyId: 'agency-1',
      type: 'WorkerRegistered',
      entity: 'worker',
      entityId: 'busy-3',
      occurredAt: '2026-01-01T00:00:03.000Z',
      position: expect.any(Number),
      correlationId: 'correlation-operator-busy-3',
    });
    const quiet = await handler.execute({ actorId: 'operator-quiet', limit: 100, offset: 0 });
    expect(quiet.total).toBe(Math.ceil(many / 50));
    expect(quiet.items.every((item) => item.actorId === 'operator-quiet')).toBe(true);
  });

  it('answers any page, across page boundaries and past the end', async () => {
    const handler = new GetActorDecisionsHandler(reads, events);
    const ids = (offset: number, limit: number) =>
      handler
        .execute({ actorId: 'operator-busy', limit, offset })
        .then((page) => page.items.map((item) => Number(item.id.split('-').pop())));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    expect(await ids(DECISIONS_PER_PAGE - 5, 10)).toEqual(
      range(DECISIONS_PER_PAGE - 5, DECISIONS_PER_PAGE + 5),
    );
    expect(await ids(DECISIONS_PER_PAGE * 2, 1000)).toEqual(range(DECISIONS_PER_PAGE * 2, many));
    expect(await ids(many - 1, 5)).toEqual([many - 1]);
    expect(await ids(many, 5)).toEqual([]);
    const nobody = await handler.execute({ actorId: 'nobody', limit: 10, offset: 0 });
    expect(nobody).toEqual({ actorId: 'nobody', total: 0, items: [] });
  });

  it("keeps only the events' positions, and lists each decision from the log itself", async () => {
    const [page] = await reads.find<DecisionPageDoc>(DECISIONS, { actorId: 'operator-quiet' });
    expect(Object.keys(page!).sort()).toEqual(['actorId', 'id', 'page', 'positions']);
    const quiet = await new GetActorDecisionsHandler(reads, events).execute({
      actorId: 'operator-quiet',
      limit: 100,
      offset: 0,
    });
    expect(page!.positions).toEqual(quiet.items.map((item) => item.position));
    expect(await events.readAt(page!.positions)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: quiet.items[0]!.id })]),
    );
  });

  it('refuses to answer a listing whose events the log no longer holds', async () => {
    const [page] = await reads.find<DecisionPageDoc>(DECISIONS, { actorId: 'operator-quiet' });
    const damaged = new Database(join(dir, 'events.db'));
    damaged.prepare('DELETE FROM events WHERE position = ?').run(page!.positions[1]);
    damaged.close();
    await expect(
      new GetActorDecisionsHandler(reads, events).execute({
        actorId: 'operator-quiet',
        limit: 100,
        offset: 0,
      }),
    ).rejects.toThrow("1 of operator-quiet's decisions are missing from the log");
  });

  it('writes a page document per actor and page, not a document per decision', async () => {
    // The busy actor's pages (the last one part-full) and the quiet actor's one.
    expect(await reads.count(DECISIONS, {})).toBe(Math.ceil(many / DECISIONS_PER_PAGE) + 1);
  });

  it('replaying events already applied changes nothing (guarded by position)', async () => {
    const before = await reads.find(DECISIONS, {});
    // The checkpoint moved back to where a page had just been filled (as after a crash between a
    // commit and its acknowledgement, on a store that keeps checkpoints apart): the events after it
    // are applied again on top of the pages.
    const handler = new GetActorDecisionsHandler(reads, events);
    const [filled] = (
      await handler.execute({ actorId: 'operator-busy', limit: 1, offset: DECISIONS_PER_PAGE - 1 })
    ).items;
    await reads.commit([], [{ projection: 'decisions-test', position: filled!.position }]);
    await runner(1000).catchUp();
    expect(await reads.find(DECISIONS, {})).toEqual(before);
    expect(
      (
        await new GetActorDecisionsHandler(reads, events).execute({
          actorId: 'operator-busy',
          limit: 1000,
          offset: 0,
        })
      ).total,
    ).toBe(many);
  });
});

describe('catching up to a given position (as each thread of a rebuild does)', () => {
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

  it('applies the events up to that position and no further, and answers where it stopped', async () => {
    for (let n = 0; n < 30; n++) {
      await events.append(`worker-${n}`, [registered('operator-1', n)], 'no_stream');
    }
    const upTo = 17;
    expect(await runner(5).catchUp(upTo)).toBe(upTo);
    expect(await reads.getCheckpoint('decisions-test')).toBe(upTo);
    const listed = await new GetActorDecisionsHandler(reads, events).execute({
      actorId: 'operator-1',
      limit: 100,
      offset: 0,
    });
    expect(listed.items.map((item) => item.position)).toEqual(range(1, upTo + 1));
    // Then on to the head: nothing skipped, nothing twice.
    expect(await runner(1000).catchUp()).toBe(30);
    const all = await new GetActorDecisionsHandler(reads, events).execute({
      actorId: 'operator-1',
      limit: 100,
      offset: 0,
    });
    expect(all.items.map((item) => item.position)).toEqual(range(1, 31));
  });

  it('reads only the types its projections react to, yet ends at the head when the last events are others', async () => {
    for (let n = 0; n < 10; n++) {
      await events.append(`worker-${n}`, [registered('operator-1', n)], 'no_stream');
    }
    const others = Array.from({ length: 5 }, (_, n) => ({
      ...registered('operator-1', 100 + n),
      type: 'KeyClaimed',
    }));
    await events.append('reservation-1', others, 'no_stream');
    const readAll = jest.spyOn(events, 'readAll');

    expect(await runner(1000).catchUp()).toBe(15);
    expect(await reads.getCheckpoint('decisions-test')).toBe(15);
    expect(readAll.mock.calls.map(([, , options]) => options?.types)).toEqual(
      readAll.mock.calls.map(() => decisionsProjection.eventTypes),
    );
    const listed = await new GetActorDecisionsHandler(reads, events).execute({
      actorId: 'operator-1',
      limit: 100,
      offset: 0,
    });
    expect(listed.items.map((item) => item.position)).toEqual(range(1, 11));
    // Caught up: a second catch-up neither reads past the head nor commits again.
    const commit = jest.spyOn(reads, 'commit');
    expect(await runner(1000).catchUp()).toBe(15);
    expect(commit).not.toHaveBeenCalled();
  });

  it('holding documents that still change (a rebuild): the same read models, fewer writes, the checkpoint at the end', async () => {
    // operator-steady decides all along; each operator-n only in its own stretch of the log.
    for (let n = 0; n < 60; n++) {
      await events.append(`worker-${n}`, [registered(`operator-${Math.floor(n / 10)}`, n)], 'no_stream');
      await events.append(`worker-steady-${n}`, [registered('operator-steady', n)], 'no_stream');
    }
    const list = async (actorId: string) =>
      (await new GetActorDecisionsHandler(reads, events).execute({ actorId, limit: 100, offset: 0 })).items;
    const actors = ['operator-steady', ...range(0, 6).map((n) => `operator-${n}`)];

    const plainWrites = jest.spyOn(reads, 'commit');
    expect(await runner(10).catchUp()).toBe(120);
    const written = (spy: typeof plainWrites) =>
      spy.mock.calls.reduce((sum, [changes]) => sum + changes.length, 0);
    const plain = await Promise.all(actors.map(list));
    const plainCount = written(plainWrites);
    plainWrites.mockRestore();

    // The same log into a fresh file, holding documents that still change.
    const heldReads = SqliteReadStore.open(join(dir, 'held.db'));
    try {
      const commit = jest.spyOn(heldReads, 'commit');
      const held = new ProjectionRunner(events, heldReads, [decisionsProjection], {
        checkpointName: 'decisions-test',
        batchSize: 10,
      });
      expect(await held.catchUp(Infinity, { holdChangingDocuments: true })).toBe(120);

      const checkpoints = commit.mock.calls.map(([, marks]) => marks.map((mark) => mark.position));
      expect(checkpoints.slice(0, -1).every((marks) => marks.length === 0)).toBe(true);
      expect(checkpoints[checkpoints.length - 1]).toEqual([120]);
      expect(written(commit)).toBeLessThan(plainCount);
      const heldHandler = new GetActorDecisionsHandler(heldReads, events);
      for (const [index, actorId] of actors.entries()) {
        expect((await heldHandler.execute({ actorId, limit: 100, offset: 0 })).items).toEqual(plain[index]);
      }
      expect(await heldReads.getCheckpoint('decisions-test')).toBe(120);
    } finally {
      await heldReads.close();
    }
  });

  it('reads in pieces but commits once per batch of events', async () => {
    for (let stream = 0; stream < 25; stream++) {
      const batch = Array.from({ length: 100 }, (_, i) => registered(`operator-${stream}`, i));
      await events.append(`worker-${stream}`, batch, 'no_stream');
    }
    const readAll = jest.spyOn(events, 'readAll');
    const commit = jest.spyOn(reads, 'commit');

    expect(await runner(2000).catchUp()).toBe(2500);

    expect(commit.mock.calls.map(([, checkpoints]) => checkpoints[0]!.position)).toEqual([2000, 2500]);
    expect(readAll.mock.calls.length).toBeGreaterThan(2);
    expect(Math.max(...readAll.mock.calls.map(([, limit]) => limit))).toBeLessThan(2000);
    const counted = await new GetActorDecisionsHandler(reads, events).execute({
      actorId: 'operator-24',
      limit: 200,
      offset: 0,
    });
    expect(counted.total).toBe(100);
  });
});

describe("an actor's decisions over the encrypting event store", () => {
  it("lists registrations without opening anybody's personal data", async () => {
    const keys = SqliteKeyStore.open(join(dir, 'keys.db'), loadKeyEncryptionKeys(join(dir, 'kek')));
    try {
      const cipher = new AesGcmPersonalDataCipher(keys);
      const sealing = new EncryptingEventStore(events, cipher);
      for (let n = 0; n < 3; n++) {
        const event = registered('operator-1', n);
        await sealing.append(
          `worker-${n}`,
          [{ ...event, data: { workerId: `${n}`, personal: { name: `姓名${n}`, phone: '13912345678' } } }],
          'no_stream',
        );
      }
      await new ProjectionRunner(sealing, reads, [decisionsProjection], {
        checkpointName: 'decisions-test',
      }).catchUp();
      const open = jest.spyOn(cipher, 'open');

      const listed = await new GetActorDecisionsHandler(reads, sealing).execute({
        actorId: 'operator-1',
        limit: 10,
        offset: 0,
      });
      expect(listed.items.map((item) => [item.type, item.entityId])).toEqual([
        ['WorkerRegistered', '0'],
        ['WorkerRegistered', '1'],
        ['WorkerRegistered', '2'],
      ]);
      expect(open).not.toHaveBeenCalled();
    } finally {
      await keys.close();
    }
  });
});
