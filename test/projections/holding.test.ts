import type { DocumentChange } from '../../src/application/ports/read-store';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { steppingLog, stepsProjection } from '../support/stepping-log';

const ENTITIES = 2_000;
const STEPS = 5;
const BATCH = 500;

describe('a rebuild on a log whose entities step far apart holds their documents longer', () => {
  // Every entity takes a step in turn: an entity's steps lie 2,000 events (four batches) apart.
  const log = steppingLog(ENTITIES, STEPS);

  it('writes each document about once instead of once per step, and the same read models', async () => {
    const reads = log.readModels();
    const commit = jest.spyOn(reads, 'commit');
    try {
      const runner = new ProjectionRunner(log.events(), reads, [stepsProjection], {
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
