import type Database from 'better-sqlite3';
import type { KeyRow } from './key-creation';

/** Rows read at once, in the order the keys were created (rowid). */
const CHUNK_ROWS = 1_000;
/**
 * Rows read ahead are kept until the scan is this many rows past them, and then dropped: a key
 * asked for later is looked up by its id instead. On the Shanghai set the log asks for its workers'
 * keys at most 639 rows behind the order they were made in (three lanes of the generator register
 * workers at once).
 */
const KEPT_BEHIND_ROWS = 4_000;
/** A look-up reads at most this many chunks ahead for the keys it did not find read already. */
const CHUNKS_PER_LOOKUP = 2;

type ScannedRow = [
  rowid: number,
  key_id: string,
  wrapped: Buffer | null,
  kek_id: string | null,
  destroyed_at: string | null,
];

/**
 * The rows of a key file read ahead in the order the keys were made, for a reader that asks for
 * nearly every key once in about that order: a rebuild, which opens each worker's registration in
 * the order of the log, where the worker's key was made as it registered. A sequential read of
 * chunks costs about half as much as finding each key through the index of ids (the Shanghai set's
 * 172,565 keys: ~0.24 s against ~0.43–0.46 s in pieces of the log's look-ups). A key not found among
 * the rows read ahead is looked up by its id as before: the answer is the same either way.
 *
 * What was read ahead is answered as it was when read, up to a few thousand keys before it is asked
 * for: a key another process destroys in between is still answered (this process's own `destroy`
 * drops it at once). A rebuild reads the log only up to the position where it started, so its
 * documents hold what the log held then; an erasure after that is projected when the service goes on
 * from there. Never for a reader that must see an erasure at once (the service's key store).
 */
export class KeyReadAhead {
  private readonly scan: Database.Statement<[number, number], ScannedRow>;
  /** Rows read ahead and not asked for yet, in rowid order. */
  private readonly ahead = new Map<string, KeyRow & { readonly rowid: number }>();
  private after = 0;

  constructor(db: Database.Database) {
    this.scan = db
      .prepare<[number, number], ScannedRow>(
        'SELECT rowid, key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE rowid > ? ORDER BY rowid LIMIT ?',
      )
      .raw();
  }

  /**
   * Puts into `rows` the rows of `wanted` read ahead (taken, so each is answered once), reading
   * further when some are not there yet; answers the ids it did not find.
   */
  take(wanted: readonly string[], rows: Map<string, KeyRow>): string[] {
    let missed = this.takeRead(wanted, rows);
    for (let chunk = 0; chunk < CHUNKS_PER_LOOKUP && missed.length > 0; chunk++) {
      // The file's last rows: keys made later are read by a later look-up.
      const whole = this.readChunk();
      missed = this.takeRead(missed, rows);
      if (!whole) break;
    }
    return missed;
  }

  /** The key was changed by this process (destroyed, rewrapped): its row read ahead is stale. */
  drop(keyId: string): void {
    this.ahead.delete(keyId);
  }

  /** Every row read ahead is stale (all keys rewrapped); reading starts again from the first. */
  reset(): void {
    this.ahead.clear();
    this.after = 0;
  }

  private takeRead(wanted: readonly string[], rows: Map<string, KeyRow>): string[] {
    const missed: string[] = [];
    for (const keyId of wanted) {
      const row = this.ahead.get(keyId);
      if (row === undefined) missed.push(keyId);
      else {
        this.ahead.delete(keyId);
        rows.set(keyId, row);
      }
    }
    return missed;
  }

  /** Reads the next chunk; false when it was not a whole one (the end of the file). */
  private readChunk(): boolean {
    const read = this.scan.all(this.after, CHUNK_ROWS);
    for (const [rowid, key_id, wrapped, kek_id, destroyed_at] of read) {
      this.ahead.set(key_id, { rowid, key_id, wrapped, kek_id, destroyed_at });
    }
    if (read.length > 0) this.after = read[read.length - 1]![0];
    // Rows long passed were asked for by id before the scan reached them, or are never asked for.
    for (const [keyId, row] of this.ahead) {
      if (row.rowid > this.after - KEPT_BEHIND_ROWS) break;
      this.ahead.delete(keyId);
    }
    return read.length === CHUNK_ROWS;
  }
}
