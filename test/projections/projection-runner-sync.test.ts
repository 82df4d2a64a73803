import type { EventToAppend, StoredEvent } from '../../src/application/ports/event-store';
import type { ReadDocument } from '../../src/application/ports/read-store';
import { BatchContext } from '../../src/projections/batch-context';
import { DocumentCache } from '../../src/projections/document-cache';
import { documentProjection, type Projection } from '../../src/projections/projection';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { storesOnDisk } from '../support/stores-on-disk';

interface CountDoc extends ReadDocument {
  id: string;
  count: number;
}

/** Answers at once whenever its document is known (documentProjection). */
const counts = documentProjection<CountDoc>({
  name: 'counts',
  collection: { name: 'counts', indexes: [] },
  eventTypes: ['Ticked'],
  idOf: (event) => event.streamId,
  evolve: (doc, event) => ({ id: event.streamId, count: (doc?.count ?? 0) + 1 }),
});

/** Always waits (an async function), and reads what `counts` wrote for the same event. */
const echoes: Projection = {
  name: 'echoes',
  collections: [{ name: 'echoes', indexes: [] }],
  eventTypes: new Set(['Ticked']),
  async apply(event, context) {
    const count = await context.get<CountDoc>('counts', event.streamId);
    const echo = await context.get<{ id: string; seen: number[] }>('echoes', event.streamId);
    context.put('echoes', event.streamId, {
      id: event.streamId,
      seen: [...(echo?.seen ?? []), count!.count],
    });
  },
};

const ticked = (stream: string, n: number): EventToAppend => ({
  id: `${stream}-tick-${n}`,
  type: 'Ticked',
  schemaVersion: 1,
  data: {},
  metadata: {
    occurredAt: '2026-12-03T10:00:00.000Z',
    actor: { id: 'platform-1', role: 'platform_admin' },
    commandId: `tick-${n}`,
    correlationId: `tick-${n}`,
    causationId: `tick-${n}`,
  },
});

const stores = storesOnDisk('runner-sync-');

describe('projections that answer at once beside ones that wait', () => {
  it('applies each event to every projection in order, across batches and across runners', async () => {
    for (let n = 0; n < 30; n++)
      await stores.events.append(`clock-${n % 3}`, [ticked(`clock-${n % 3}`, n)], 'any');
    const runner = () =>
      new ProjectionRunner(stores.events, stores.reads, [counts, echoes], {
        checkpointName: 'sync-test',
        batchSize: 7,
      });
    await runner().catchUp(15);
    // A new runner knows nothing yet: its first reads of each document go to the store.
    await runner().catchUp();

    for (const stream of ['clock-0', 'clock-1', 'clock-2']) {
      expect(await stores.reads.get('counts', stream)).toEqual({ id: stream, count: 10 });
      expect(await stores.reads.get('echoes', stream)).toEqual({
        id: stream,
        seen: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      });
    }
  });

  it('answers at once when the document is known, and with a promise when the store must be read', async () => {
    const event = { ...ticked('clock-0', 0), streamId: 'clock-0', revision: 0, position: 1 } as StoredEvent;
    const emptied = new DocumentCache(100);
    emptied.startEmpty();
    const known = new BatchContext(stores.reads, emptied);
    expect(counts.apply(event, known)).toBeUndefined();
    expect(known.known('counts', 'clock-0')).toEqual({ id: 'clock-0', count: 1 });

    await stores.reads.ensureCollections(counts.collections);
    await stores.reads.commit(
      [{ collection: 'counts', id: 'clock-0', doc: { id: 'clock-0', count: 4 } }],
      [],
    );
    const unknown = new BatchContext(stores.reads, new DocumentCache(100));
    const waiting = counts.apply(event, unknown);
    expect(waiting).toBeInstanceOf(Promise);
    await waiting;
    expect(unknown.known('counts', 'clock-0')).toEqual({ id: 'clock-0', count: 5 });
  });
});
