import { type MessagePort, parentPort } from 'node:worker_threads';
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
 * committing are committed together, in one transaction (each unit still rolled back alone if it
 * fails: GroupTransaction, in the order sent), and answered one by one, in order. An error while opening, or any other uncaught
 * error, ends the thread; the main thread then refuses further units.
 *
 * Its owner may connect other stores (other threads) over ports of their own ('connect'): their
 * groups join the same transactions, so one connection writes for all of them. Separate writers on
 * one file take SQLite's write lock in turn, and each commit of one empties the others' page caches.
 */
export function serveWriterThread<Unit, Value>(
  open: () => GroupWriter<Unit, Value>,
  errors: ErrorCodec,
): void {
  const owner = parentPort;
  if (!owner) throw new Error('a writer thread runs in a worker thread (see writer-thread.ts)');
  const writer = open();

  /** Groups to commit next, each with the port that answers it. */
  let waiting: { readonly port: MessagePort; readonly units: readonly Unit[] }[] = [];
  const clients = new Set<MessagePort>();
  /** Clients that asked to close: answered after the commit of what they sent before. */
  const leaving = new Set<MessagePort>();
  let closing = false;
  let scheduled = false;

  const commitWaiting = (): void => {
    scheduled = false;
    const groups = waiting;
    waiting = [];
    if (groups.length > 0) {
      const answers = commitTogether(
        writer,
        groups.map((group) => group.units),
        errors,
      );
      groups.forEach((group, i) => group.port.postMessage(answers[i]));
    }
    for (const client of leaving) {
      clients.delete(client);
      sayClosed(client);
    }
    leaving.clear();
    if (closing) {
      writer.close();
      // Without 'closed': to a client still connected this is its writer thread ending.
      for (const client of clients) client.close();
      sayClosed(owner);
    }
  };

  const serve = (port: MessagePort, isOwner: boolean): void => {
    port.postMessage({ type: 'ready' } satisfies FromWriterThread<Value>);
    port.on('message', (message: ToWriterThread<Unit>) => {
      if (message.type === 'connect') {
        if (isOwner) {
          clients.add(message.port);
          serve(message.port, false);
        }
        return;
      }
      if (message.type === 'close') {
        if (isOwner) closing = true;
        else leaving.add(port);
      } else waiting.push({ port, units: message.units });
      // After every message already received: they all go into the next transaction.
      if (!scheduled) {
        scheduled = true;
        setImmediate(commitWaiting);
      }
    });
  };
  serve(owner, true);
}

function sayClosed(port: MessagePort): void {
  port.postMessage({ type: 'closed' } satisfies FromWriterThread<never>);
  port.close();
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
