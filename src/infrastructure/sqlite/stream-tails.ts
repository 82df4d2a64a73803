import type Database from 'better-sqlite3';

/** How a file's index finds a stream: its number (`stream-keys`), or its id (`stream-ids`). */
export type StreamRef = number | bigint | string;

/** One stored event as an append checks it: its id, revision and position. */
export type IdRow = [id: string, revision: number, position: number];

/** What the event writer knows of a stream: how to find it, and its newest events, newest first. */
export interface StreamTail {
  readonly ref: StreamRef;
  /** The newest first: all of the stream's events if `complete`, else at least its newest. */
  readonly rows: readonly IdRow[];
  readonly complete: boolean;
}

/**
 * The streams the event writer appended to lately, as the file holds them, so that the next append
 * to one needs no read of the streams' index and of the stream's newest events.
 *
 * Trusted only while no other connection writes the file: `PRAGMA data_version` changes when another
 * connection commits, and is read at the start of every transaction, with the write lock held, so
 * no one else can write between that check and the commit. A tail set during a transaction is
 * noted with the one it replaced (`undo`), so that an append that fails, a transaction run again,
 * or one rolled back leaves the tails as the file is. Streams are forgotten in the order they were
 * first kept (no reordering on use: the appends of the data generator and of a command each follow
 * a stream for a few steps, then leave it).
 */
export class StreamTails {
  private readonly dataVersion: Database.Statement<[], number>;
  private version: number | undefined;
  private readonly tails = new Map<string, StreamTail>();
  /** The tails this transaction replaced, in order: the stream and its tail before (undefined: none). */
  private readonly undo: [streamId: string, before: StreamTail | undefined][] = [];

  constructor(
    db: Database.Database,
    private readonly capacity: number,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** After each BEGIN (a group's rerun included): forgets what another connection may have changed. */
  began(): void {
    this.undoTo(0);
    const version = this.dataVersion.get()!;
    if (version !== this.version) this.tails.clear();
    this.version = version;
  }

  get(streamId: string): StreamTail | undefined {
    return this.tails.get(streamId);
  }

  /** The stream as the transaction now leaves it. */
  set(streamId: string, tail: StreamTail): void {
    this.undo.push([streamId, this.tails.get(streamId)]);
    this.tails.set(streamId, tail);
  }

  /** Where an append starts: undoTo(mark) takes back what it set. */
  mark(): number {
    return this.undo.length;
  }

  undoTo(mark: number): void {
    while (this.undo.length > mark) {
      const [streamId, before] = this.undo.pop()!;
      if (before) this.tails.set(streamId, before);
      else this.tails.delete(streamId);
    }
  }

  /** The transaction committed: its tails are the file's now. */
  committed(): void {
    this.undo.length = 0;
    for (const streamId of this.tails.keys()) {
      if (this.tails.size <= this.capacity) break;
      this.tails.delete(streamId);
    }
  }

  /** The transaction was rolled back, or may have been: nothing is trusted. */
  failed(): void {
    this.undo.length = 0;
    this.tails.clear();
    this.version = undefined;
  }
}
