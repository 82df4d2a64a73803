import type Database from 'better-sqlite3';
import {
  type AppendResult,
  DuplicateEventIdError,
  WrongExpectedRevisionError,
} from '../../application/ports/event-store';
import type { AppendRequest, Appended, EncodedEvent } from './event-writer-protocol';
import { GroupTransaction, type UnitOutcome } from './group-commit';

interface PlacementRow {
  readonly stream_id: string;
  readonly revision: number;
  readonly position: number;
}

type InsertParams = [
  id: string,
  streamId: string,
  revision: number,
  type: string,
  schemaVersion: number,
  data: string,
  metadata: string,
];

function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/**
 * The event store's appends, on the write connection (in the writer thread, event-writer.worker.ts):
 * a group of appends is committed in one GroupTransaction, each append in its own savepoint with its
 * own expected-revision check, rolled back alone when it fails. Appends run in the group's order and
 * see the ones before them, so concurrency control is exactly as without grouping.
 */
export class EventAppender {
  private readonly selectPlacement: Database.Statement<[string], PlacementRow>;
  private readonly selectLastRevision: Database.Statement<[string], number | null>;
  private readonly insertEvent: Database.Statement<InsertParams>;
  private readonly transaction: GroupTransaction;

  /** The events table must exist (the store creates it before starting the writer). */
  constructor(db: Database.Database) {
    this.selectPlacement = db.prepare<[string], PlacementRow>(
      'SELECT stream_id, revision, position FROM events WHERE id = ?',
    );
    this.selectLastRevision = db
      .prepare<[string], number | null>('SELECT MAX(revision) FROM events WHERE stream_id = ?')
      .pluck();
    this.insertEvent = db.prepare<InsertParams>(
      `INSERT INTO events (id, stream_id, revision, type, schema_version, data, metadata)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.transaction = new GroupTransaction(db);
  }

  /**
   * Commits the group in one transaction and answers one outcome per append, in order. Throws (and
   * stores nothing) when the transaction itself fails.
   */
  appendGroup(requests: readonly AppendRequest[]): UnitOutcome<Appended>[] {
    return this.transaction.run(requests.map((request) => () => this.append(request)));
  }

  private append({ streamId, events, expected }: AppendRequest): Appended {
    const retried = this.selectPlacement.get(events[0][0]);
    if (retried) return { result: this.answerRetry(streamId, events, retried), written: false };

    const lastRevision = this.selectLastRevision.get(streamId) ?? -1;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && lastRevision === -1) ||
      (expected === 'stream_exists' && lastRevision >= 0) ||
      expected === lastRevision;
    if (!ok) throw new WrongExpectedRevisionError(streamId, expected, lastRevision);

    let revision = lastRevision;
    let position = 0;
    for (const [id, type, schemaVersion, data, metadata] of events) {
      revision += 1;
      try {
        const info = this.insertEvent.run(id, streamId, revision, type, schemaVersion, data, metadata);
        position = Number(info.lastInsertRowid);
      } catch (error) {
        // (stream_id, revision) cannot clash inside this transaction, so this is the event id.
        if (isUniqueViolation(error)) throw new DuplicateEventIdError(id);
        throw error;
      }
    }
    return { result: { nextExpectedRevision: revision, position }, written: true };
  }

  /** The first id is stored: only an exact replay of stored events is accepted. */
  private answerRetry(streamId: string, events: readonly EncodedEvent[], first: PlacementRow): AppendResult {
    let placement = first;
    for (let i = 0; i < events.length; i++) {
      if (i > 0) {
        const found = this.selectPlacement.get(events[i][0]);
        if (!found) throw new DuplicateEventIdError(events[0][0]);
        placement = found;
      }
      if (placement.stream_id !== streamId || placement.revision !== first.revision + i) {
        throw new DuplicateEventIdError(events[i][0]);
      }
    }
    return { nextExpectedRevision: placement.revision, position: placement.position };
  }
}
