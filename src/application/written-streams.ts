import type { LoadedStream } from './command-processor';
import type { Decider, DomainEvent } from '../domain/decider';
import type { StoredEvent } from './ports/event-store';

type Folder = Pick<Decider<unknown, DomainEvent, unknown>, 'evolve' | 'initialState'>;

interface Entry {
  readonly folder: object;
  readonly stream: LoadedStream<unknown>;
}

function carriesPersonalData(event: StoredEvent): boolean {
  return Object.prototype.hasOwnProperty.call(event.data, 'personal');
}

/** The event as kept: its personal data (`data.personal`) left out. */
function withoutPersonalData(event: StoredEvent): StoredEvent {
  if (!carriesPersonalData(event)) return event;
  const { personal: _personal, ...data } = event.data;
  const { id, type, schemaVersion, metadata, streamId, revision, position } = event;
  return { id, type, schemaVersion, data, metadata, streamId, revision, position };
}

/**
 * The streams that commands of this process read and wrote last, kept folded so that the next
 * command on one of them need not read and fold it again (a worker's consent and application, a
 * certificate's gates, a training record's credits: one command after another on the same stream).
 *
 * It is never trusted blindly: a command decided on a remembered stream appends with that stream's
 * revision, so a stream that something else has written since fails the append and is read again.
 * Whatever a command would answer without appending (an error, nothing to do, a stale If-Match) is
 * decided again on a fresh read (CommandProcessor).
 *
 * Personal data is never kept: it is left out of the events, and a stream that held some is folded
 * again from what is kept, so no name or ID number stays in clear in memory, beyond the reach of an
 * erasure. A command built from personal data reads the stream (ExecuteOptions.needsPersonalData).
 */
export class WrittenStreams {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  /** The stream as `folder` (the decider) left it, if remembered. */
  get<S>(folder: object, streamId: string): LoadedStream<S> | undefined {
    const entry = this.entries.get(streamId);
    if (entry === undefined || entry.folder !== folder) return undefined;
    // Least recently used goes first: a Map keeps insertion order.
    this.entries.delete(streamId);
    this.entries.set(streamId, entry);
    return entry.stream as LoadedStream<S>;
  }

  remember<S>(
    folder: Pick<Decider<unknown, never, S>, 'evolve' | 'initialState'>,
    stream: LoadedStream<S>,
  ): void {
    this.entries.delete(stream.streamId);
    if (this.capacity === 0) return;
    this.entries.set(stream.streamId, {
      folder,
      stream: withoutPersonal(folder as unknown as Folder, stream),
    });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Whether the stream is remembered with at least one event (a stream's events are never taken away). */
  holdsEvents(streamId: string): boolean {
    return (this.entries.get(streamId)?.stream.revision ?? -1) >= 0;
  }

  forget(streamId: string): void {
    this.entries.delete(streamId);
  }
}

function withoutPersonal(folder: Folder, stream: LoadedStream<unknown>): LoadedStream<unknown> {
  if (!stream.events.some(carriesPersonalData)) return stream;
  const events = stream.events.map(withoutPersonalData);
  let state = folder.initialState;
  for (const event of events) state = folder.evolve(state, event as unknown as DomainEvent);
  return { ...stream, state, events };
}
