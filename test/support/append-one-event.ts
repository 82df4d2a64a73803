import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';

/** Run as `node [options] -r ts-node/register/transpile-only append-one-event.ts FILE`: appends one event. */
async function main(file: string): Promise<void> {
  const store = SqliteEventStore.open(file);
  try {
    const metadata = { occurredAt: '2026-11-24T08:00:00.000Z', actor: { id: 'a', role: 'platform_admin' } };
    const ids = { commandId: 'c', correlationId: 'c', causationId: 'c' };
    const result = await store.append(
      'worker-1',
      [
        {
          id: 'e-1',
          type: 'WorkerRegistered',
          schemaVersion: 1,
          data: {},
          metadata: { ...metadata, ...ids } as never,
        },
      ],
      'no_stream',
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await store.close();
  }
}

main(process.argv[2]!).catch((error: unknown) => {
  process.stderr.write(String(error));
  process.exit(1);
});
