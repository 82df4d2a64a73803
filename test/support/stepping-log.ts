import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import { documentProjection } from '../../src/projections/projection';

/** Counts each entity's steps: one document per entity, changed by each of its events. */
export const stepsProjection = documentProjection<{ id: string; steps: number }>({
  name: 'steps',
  collection: { name: 'steps', indexes: [] },
  eventTypes: ['Stepped'],
  idOf: (event) => event.streamId,
  evolve: (doc, event) => ({ id: event.streamId, steps: (doc?.steps ?? 0) + 1 }),
});

/**
 * A log in which every entity (`entity-0`…) takes a step in turn, `steps` times: an entity's steps
 * lie `entities` events apart, as a person's steps lie far apart in a city's log.
 */
async function appendSteps(events: SqliteEventStore, entities: number, steps: number): Promise<void> {
  for (let step = 0; step < steps; step++) {
    await events.appendToStreams(
      Array.from({ length: entities }, (_, entity) => ({
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
}

/**
 * For the describe block it is called in: a stepping log on disk, written before its tests and
 * removed after them, and a fresh read-model file to rebuild into (`readModels`, closed by the caller).
 */
export function steppingLog(
  entities: number,
  steps: number,
): {
  events(): SqliteEventStore;
  readModels(): SqliteReadStore;
} {
  const dir = mkdtempSync(join(tmpdir(), 'stepping-'));
  let events: SqliteEventStore | undefined;
  let files = 0;
  beforeAll(async () => {
    events = SqliteEventStore.open(join(dir, 'events.db'));
    await appendSteps(events, entities, steps);
  });
  afterAll(async () => {
    await events?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    events: () => events!,
    readModels: () => SqliteReadStore.open(join(dir, `read-${++files}.db`), { bulkLoad: true }),
  };
}
