import type Database from 'better-sqlite3';
import { LeaseLostError, type LeaseClaim } from '../../application/ports/lease-store';
import type { Checkpoint, ReadDocument } from '../../application/ports/read-store';

export const CHECKPOINTS_TABLE = 'checkpoints';
/** Starts with '_', which no collection name can, so it never clashes with one. */
export const LEASES_TABLE = '_leases';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * One read-model commit, checked by SqliteReadStore. Each document is encoded (`encodeDocument`) only
 * just before its row is written, inside the transaction: a document that cannot be encoded throws
 * there and rolls the commit back.
 */
export interface CommitRequest {
  /**
   * [quoted table, document id, the document or null to delete it, whether no document with this id
   * was written since the file was reset (DocumentChange.firstWrite)]
   */
  readonly changes: readonly (readonly [
    table: string,
    id: string,
    doc: ReadDocument | null,
    firstWrite: boolean,
  ])[];
  readonly checkpoints: readonly Checkpoint[];
  /** Renewed in the same transaction; if it is no longer held, nothing is written (LeaseLostError). */
  readonly lease?: LeaseClaim;
  /** The time the lease is judged by (ms since the epoch), read on the main thread. */
  readonly now: number;
}

/**
 * A document's JSON, made just before the statement that writes it. V8's JSON.stringify answers a
 * rope of pieces, which the binding of the statement flattens into one string: made one at a time, the
 * rope and its copy die at once. Made for a whole commit first (a rebuild's thread commits ~2,000
 * documents a round, and all it still holds at its end), they outlived young-generation collections
 * and were copied and promoted, and flattening a rope that has outlived them costs ~4 times as much
 * (docs/performance.md, item 114).
 */
export function encodeDocument(doc: ReadDocument): string {
  return JSON.stringify(doc);
}

/** One connection's prepared statements, by their SQL text. */
export class PreparedStatements {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Forgets them (before the connection closes). */
  clear(): void {
    this.statements.clear();
  }
}

/** Moves each checkpoint to its position (in the transaction that writes what it covers). */
export function writeCheckpoints(statements: PreparedStatements, checkpoints: readonly Checkpoint[]): void {
  for (const { projection, position } of checkpoints) {
    statements
      .get(
        `INSERT INTO ${quoteIdent(CHECKPOINTS_TABLE)} (projection, position) VALUES (?, ?) ` +
          'ON CONFLICT(projection) DO UPDATE SET position = excluded.position',
      )
      .run(projection, position);
  }
}

/** The writes of a read-model file, on its connection. */
export class ReadModelWrites {
  private readonly statements: PreparedStatements;

  constructor(db: Database.Database) {
    this.statements = new PreparedStatements(db);
  }

  /** Applies the commit; must run inside a transaction (it throws LeaseLostError to roll it back). */
  apply({ changes, checkpoints, lease, now }: CommitRequest): void {
    // Checked inside the write transaction, which SQLite runs alone: no other holder can commit
    // between this check and the writes below.
    if (lease !== undefined && !this.renewLease(lease, now)) {
      throw new LeaseLostError(lease.name, lease.holder);
    }
    for (const [table, id, doc] of changes) {
      if (doc === null) this.statements.get(`DELETE FROM ${table} WHERE id = ?`).run(id);
      else
        this.statements
          .get(
            `INSERT INTO ${table} (id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc`,
          )
          .run(id, encodeDocument(doc));
    }
    writeCheckpoints(this.statements, checkpoints);
  }

  /** Extends the holder's unexpired lease; false when it is not (or no longer) the holder. */
  renewLease({ name, holder, ttlMs }: LeaseClaim, now: number): boolean {
    const renewed = this.statements
      .get(
        `UPDATE ${quoteIdent(LEASES_TABLE)} SET expires_at = ? WHERE name = ? AND holder = ? AND expires_at > ?`,
      )
      .run(now + ttlMs, name, holder, now);
    return renewed.changes === 1;
  }

  /** Forgets the prepared statements (before the connection closes). */
  clear(): void {
    this.statements.clear();
  }
}
