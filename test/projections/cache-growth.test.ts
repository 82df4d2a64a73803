import { ProjectionRunner } from '../../src/projections/projection-runner';
import { steppingLog, stepsProjection } from '../support/stepping-log';

const ENTITIES = 1_000;
const STEPS = 4;
/**
 * An entity's steps lie 1,000 events apart, 20 rounds of 50: longer than a holding catch-up holds a
 * quiet document (16 rounds at most), so each is written, then needed again 20 rounds later.
 */
const BATCH = 50;
/** Far fewer than the entities in flight: the runner starts with a cache too small for this log. */
const CACHED = 100;

describe('a rebuild whose cache is too small for the log grows it', () => {
  const log = steppingLog(ENTITIES, STEPS);

  it('reads each document back at most once, not at every step, and builds the same read models', async () => {
    const reads = log.readModels();
    const readBack = jest.spyOn(reads, 'get');
    try {
      const runner = new ProjectionRunner(log.events(), reads, [stepsProjection], {
        checkpointName: 'steps',
        batchSize: BATCH,
        cachedDocuments: CACHED,
      });
      expect(await runner.catchUp(Infinity, { holdChangingDocuments: true })).toBe(ENTITIES * STEPS);
      // A cache that stayed at 100 documents reads every entity's document back at each of its
      // later steps (3,000 reads with the growth taken out). Growing from the first rounds that read
      // back more than one document in 20 events, it has dropped the documents of the first pass
      // but soon holds every entity: one read back each at most (950 when this was written).
      expect(readBack.mock.calls.length).toBeGreaterThan(0);
      expect(readBack.mock.calls.length).toBeLessThanOrEqual(ENTITIES);
      for (let entity = 0; entity < ENTITIES; entity += 37) {
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
