import type { LoadedStream } from './command-processor';

interface Entry {
  readonly folder: object;
  readonly stream: LoadedStream<unknown>;
}

function carriesPersonalData(event: { readonly data: Readonly<Record<string, unknown>> }): boolean {
  return Object.prototype.hasOwnProperty.call(event.data, 'personal');
}

/**
 * The streams that commands of this process read and wrote last, kept folded so that the next
 * command on one of them need not read and fold it again (a certificate's gates, a training
 * record's credits: one command after another on the same stream).
 *
 * It is never trusted blindly: a command decided on a remembered stream appends with that stream's
 * revision, so a stream that something else has written since fails the append and is read again.
 * Whatever a command would answer without appending (an error, nothing to do, a stale If-Match) is
 * decided again on a fresh read (CommandProcessor). Streams holding personal data are never kept:
 * their state would keep names and ID numbers in clear in memory, beyond the reach of an erasure.
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

  /** Whether a stream with these events would be kept (never one holding personal data). */
  wouldKeep(events: readonly { readonly data: Readonly<Record<string, unknown>> }[]): boolean {
    return this.capacity > 0 && !events.some(carriesPersonalData);
  }

  remember(folder: object, stream: LoadedStream<unknown>): void {
    this.entries.delete(stream.streamId);
    if (!this.wouldKeep(stream.events)) return;
    this.entries.set(stream.streamId, { folder, stream });
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  forget(streamId: string): void {
    this.entries.delete(streamId);
  }
}
