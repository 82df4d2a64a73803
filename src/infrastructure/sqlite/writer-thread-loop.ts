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
 * The body of a writer thread (started by writer-thread.ts): opens its connection, then commits the
 * groups it is sent and answers each once the COMMIT has completed. Groups that arrived while it was
 * committing are committed together, in one transaction (each unit still in its own savepoint, in the
 * order sent), and answered one by one, in order. An error while opening, or any other uncaught
 * error, ends the thread; the main thread then refuses further units.
 */
export function serveWriterThread<Unit, Value>(
  open: () => GroupWriter<Unit, Value>,
  errors: ErrorCodec,
): void {
  const port = parentPort;
  if (!port) throw new Error('a writer thread runs in a worker thread (see writer-thread.ts)');
  const writer = open();
  port.postMessage({ type: 'ready' } satisfies FromWriterThread<Value>);

  let waiting: (readonly Unit[])[] = [];
  let closing = false;
  let scheduled = false;

  const commitWaiting = (): void => {
    scheduled = false;
    const groups = waiting;
    waiting = [];
    if (groups.length > 0) {
      for (const answer of commitTogether(writer, groups, errors)) port.postMessage(answer);
    }
    if (closing) {
      writer.close();
      port.postMessage({ type: 'closed' } satisfies FromWriterThread<Value>);
      port.close();
    }
  };

  port.on('message', (message: ToWriterThread<Unit>) => {
    if (message.type === 'close') closing = true;
    else waiting.push(message.units);
    // After every message already received: they all go into the next transaction.
    if (!scheduled) {
      scheduled = true;
      setImmediate(commitWaiting);
    }
  });
}

/** One transaction for several groups; one answer per group, in order. */
function commitTogether<Unit, Value>(
  writer: GroupWriter<Unit, Value>,
  groups: readonly (readonly Unit[])[],
  errors: ErrorCodec,
): FromWriterThread<Value>[] {
  let outcomes: UnitOutcome<Value>[];
  try {
    outcomes = writer.writeGroup(groups.flat());
  } catch (error) {
    const failed: FromWriterThread<Value> = { type: 'failed', error: errors.describe(error) };
    return groups.map(() => failed);
  }
  let next = 0;
  return groups.map((group) => ({
    type: 'committed',
    outcomes: outcomes
      .slice(next, (next += group.length))
      .map((outcome) =>
        outcome.ok
          ? { ok: true, value: outcome.value }
          : { ok: false, error: errors.describe(outcome.error) },
      ),
  }));
}
