import { parentPort } from 'node:worker_threads';
import type { UnitOutcome } from './group-commit';
import type { ErrorCodec, FromWriterThread, ToWriterThread } from './writer-thread-protocol';

/** A writer thread's connection: commits each group in one transaction (see GroupTransaction). */
export interface GroupWriter<Unit, Value> {
  /** One outcome per unit, in order; throws (storing nothing) when the transaction itself fails. */
  writeGroup(units: readonly Unit[]): UnitOutcome<Value>[];
  close(): void;
}

/**
 * The body of a writer thread (started by writer-thread.ts): opens its connection, then commits each
 * group it is sent and answers once the COMMIT has completed. An error while opening, or any other
 * uncaught error, ends the thread; the main thread then refuses further units.
 */
export function serveWriterThread<Unit, Value>(
  open: () => GroupWriter<Unit, Value>,
  errors: ErrorCodec,
): void {
  const port = parentPort;
  if (!port) throw new Error('a writer thread runs in a worker thread (see writer-thread.ts)');
  const writer = open();
  port.postMessage({ type: 'ready' } satisfies FromWriterThread<Value>);

  port.on('message', (message: ToWriterThread<Unit>) => {
    if (message.type === 'close') {
      writer.close();
      port.postMessage({ type: 'closed' } satisfies FromWriterThread<Value>);
      port.close();
      return;
    }
    let answer: FromWriterThread<Value>;
    try {
      const outcomes = writer.writeGroup(message.units);
      answer = {
        type: 'committed',
        outcomes: outcomes.map((outcome) =>
          outcome.ok
            ? { ok: true, value: outcome.value }
            : { ok: false, error: errors.describe(outcome.error) },
        ),
      };
    } catch (error) {
      answer = { type: 'failed', error: errors.describe(error) };
    }
    port.postMessage(answer);
  });
}
