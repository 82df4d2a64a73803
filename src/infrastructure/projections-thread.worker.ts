import { parentPort, workerData } from 'node:worker_threads';
import type { EventStore } from '../application/ports/event-store';
import type { ReadStore } from '../application/ports/read-store';
import { adoptProcessToken, isDeadLocalHolder } from '../projections/lease-guard';
import { lowerThisThreadsPriority } from './background-priority';
import { EncryptingEventStore } from './crypto/encrypting-event-store';
import { AesGcmPersonalDataCipher } from './crypto/personal-data-cipher';
import { openConfiguredKeyStore } from './privacy-stores';
import type {
  FromProjectionsThread,
  ProjectionsThreadData,
  ToProjectionsThread,
} from './projections-thread-protocol';
import { createProjectionRunner, projectionLease } from './read-models';
import { SqliteEventStore } from './sqlite/sqlite-event-store';
import { openConfiguredEventStore, openConfiguredReadStore } from './storage';

/** How often the thread tells the main thread until when it vouches for seeing every change. */
const VOUCH_EVERY_MS = 200;

/**
 * The projections thread (started by projections-thread.ts): the projection runner with stores of
 * its own (the log read through the key store, as the service's projections always read it; the
 * read models committed on its own connection, off the event loop that answers requests), telling
 * the main thread how far it has got and which documents its commits changed.
 */
async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('projections-thread.worker runs in a worker thread (see projections-thread.ts)');
  const data = workerData as ProjectionsThreadData;
  const post = (message: FromProjectionsThread) => port.postMessage(message);
  adoptProcessToken(data.processToken);
  const { config } = data;
  lowerThisThreadsPriority(config.backgroundNice);

  const keyStore = await openConfiguredKeyStore(config);
  const log = await openConfiguredEventStore(config);
  const eventStore: EventStore = new EncryptingEventStore(log, new AesGcmPersonalDataCipher(keyStore), [
    keyStore,
  ]);
  const readStore: ReadStore = await openConfiguredReadStore(config, 'projections');
  const deadHolders = new Set(data.deadHolders);
  const lease = projectionLease(config, readStore, {
    isDeadHolder: (holder) => deadHolders.has(holder) || isDeadLocalHolder(holder),
  });
  const runner = createProjectionRunner(eventStore, readStore, lease);
  /** Until when the main thread was last told this thread vouches for every change, and how far it got. */
  let vouched = 0;
  let told = -1;
  runner.listen({
    committed: (changes) => {
      if (changes.length > 0) {
        post({
          type: 'committed',
          changes: changes.map((change) => [change.collection, change.id] as const),
        });
      }
    },
    forgotten: () => post({ type: 'forgotten' }),
    reached: (position) => {
      // Standing by, the runner re-reads the holder's checkpoint every 50 ms: only news is told.
      const until = runner.vouchesUntil();
      if (position === told && until === vouched) return;
      told = position;
      vouched = until;
      post({ type: 'reached', position, vouchesUntil: until });
    },
  });

  const vouch = () => {
    const until = runner.vouchesUntil();
    if (until !== vouched) post({ type: 'vouch', until: (vouched = until) });
  };
  let timer: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | null = null;
  port.on('message', (message: ToProjectionsThread) => {
    if (message.type === 'appended') {
      if (log instanceof SqliteEventStore) log.noticeAppends();
    } else if (message.type === 'stop') {
      stopping ??= (async () => {
        clearInterval(timer);
        await runner.stop();
        await eventStore.close();
        await readStore.close();
        post({ type: 'stopped' });
        port.close();
      })();
    }
  });

  await runner.start();
  vouched = runner.vouchesUntil();
  post({ type: 'ready', checkpoint: runner.checkpoint, vouchesUntil: vouched, holder: lease?.claim?.holder });
  if (!stopping) timer = setInterval(vouch, VOUCH_EVERY_MS);
}

main().catch((error: unknown) => {
  const failure = error instanceof Error ? error : new Error(String(error));
  parentPort?.postMessage({
    type: 'failed',
    message: failure.message,
    ...(failure.stack ? { stack: failure.stack } : {}),
  } satisfies FromProjectionsThread);
});
