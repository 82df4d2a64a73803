import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DocumentChange } from '../../src/application/ports/read-store';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import { documentProjection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';

/** Counts each entity's steps: one document per entity, changed by each of its events. */
const steps = documentProjection<{ id: string; steps: number }>({
  name: 'steps',
  collection: { name: 'steps', indexes: [] },
  eventTypes: ['Stepped'],
  idOf: (event) => event.streamId,
  evolve: (doc, event) => ({ id: event.streamId, steps: (doc?.steps ?? 0) + 1 }),
});

const ENTITIES = 2_000;
const STEPS = 5;
const BATCH = 500;

describe('a rebuild on a log whose entities step far apart holds their documents longer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'holding-'));
  let events: SqliteEventStore;

  beforeAll(async () => {
    events = SqliteEventStore.open(join(dir, 'events.db'));
    // Every entity takes a step in turn: an entity's steps lie 2,000 events (four batches) apart.
    for (let step = 0; step < STEPS; step++) {
      await events.appendToStreams(
        Array.from({ length: ENTITIES }, (_, entity) => ({
          streamId: `entity-${entity}`,
          expected: step === 0 ? ('no_stream' as const) : step - 1,
          events: [
            {
              id: `entity-${entity}-step-${step}`,
              type: 'Stepped',
              schemaVersion: 1,
              data: {},
              metadata: {
                occurredAt: '2026-01-01T00:00:00.000Z',
                actor: { id: 'someone', role: 'platform_admin' as const },
                commandId: `command-${entity}-${step}`,
                correlationId: `command-${entity}-${step}`,
                causationId: `command-${entity}-${step}`,
              },
            },
          ],
        })),
      );
    }
  });

  afterAll(async () => {
    await events.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes each document about once instead of once per step, and the same read models', async () => {
    const reads = SqliteReadStore.open(join(dir, 'read.db'), { bulkLoad: true });
    const commit = jest.spyOn(reads, 'commit');
    try {
      const runner = new ProjectionRunner(events, reads, [steps], {
        checkpointName: 'steps',
        batchSize: BATCH,
      });
      expect(await runner.catchUp(Infinity, { holdChangingDocuments: true })).toBe(ENTITIES * STEPS);
      const writes = commit.mock.calls.flatMap(([changes]) => changes as DocumentChange[]);
      // Held for two batches only, a document goes quiet between steps and is written at each (10,000
      // writes); held longer once that shows, about twice.
      expect(writes.length).toBeLessThan(ENTITIES * 3);
      const perEntity = new Map<string, number>();
      for (const { id } of writes) perEntity.set(id, (perEntity.get(id) ?? 0) + 1);
      expect(perEntity.size).toBe(ENTITIES);
      for (let entity = 0; entity < ENTITIES; entity += 97) {
        expect(await reads.get('steps', `entity-${entity}`)).toEqual({
          id: `entity-${entity}`,
          steps: STEPS,
        });
      }
      expect(await reads.getCheckpoint('steps')).toBe(ENTITIES * STEPS);
    } finally {
      await reads.close();
    }
  });
});
