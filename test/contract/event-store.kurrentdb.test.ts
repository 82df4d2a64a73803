import { KurrentDbEventStore } from '../../src/infrastructure/kurrentdb/kurrentdb-event-store';
import { describeEventStoreContract } from './event-store.contract';

/**
 * The event-store contract against a real KurrentDB (or EventStoreDB 22.6+) server, switched on by
 * KURRENTDB_URL: `npm run test:backends` with the compose file (docs/production.md).
 */
const url = process.env.KURRENTDB_URL;

if (url) {
  describeEventStoreContract('KurrentDB', {
    open: async () => KurrentDbEventStore.connect(url),
    reopen: async () => KurrentDbEventStore.connect(url),
    // KurrentDB deduplicates event ids within a stream only (see the harness option).
    globallyUniqueEventIds: false,
    appendsToSeveralStreams: false,
    // Its append answers the last position only.
    answersEachPosition: false,
  });
} else {
  process.stderr.write(
    'skipped: set KURRENTDB_URL to run the EventStore contract against KurrentDB (docs/production.md)\n',
  );
  describe('EventStore contract: KurrentDB', () => {
    it.skip('skipped: set KURRENTDB_URL to run', () => undefined);
  });
}
