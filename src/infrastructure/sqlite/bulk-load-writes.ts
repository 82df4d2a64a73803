import type Database from 'better-sqlite3';
import {
  type CommitRequest,
  encodeDocument,
  PreparedStatements,
  writeCheckpoints,
} from './read-model-writes';

/**
 * How many first writes one statement inserts. The work of a statement's run (better-sqlite3's call
 * and result, the bindings' checks, SQLite's statement start and end) is shared by the group: 860,000
 * first writes committed in bulk took ~3.1 s at 64 rows to a statement, ~3.5 s at 16 and ~3.9 s one
 * by one (docs/performance.md, item 106).
 */
const INSERT_GROUP = 64;

/** A bulk table's statements, by rowid. */
interface TableWrites {
  readonly insert: Database.Statement<[string, string]>;
  /** INSERT_GROUP rows at once: ids and documents in turn. */
  readonly insertGroup: Database.Statement<string[]>;
  readonly update: Database.Statement<[string, number | bigint]>;
  readonly delete: Database.Statement<[number | bigint]>;
}

/**
 * How many ids a table's rowids look for in the list, one by one, before the list goes into the map.
 * A look-up through the whole list of a Shanghai-sized table (~170,000 rows) takes ~0.1 ms, putting
 * the list into the map (read back from the table) ~100 ms or more: the scans cost less up to several
 * hundred look-ups. A Shanghai rebuild looks up in each table 1–64 times, so no table needs the map
 * (it put ~1.2 million ids into maps before); a table looked up more often pays these scans and then
 * the map, little more than the map alone.
 */
const SCANS_BEFORE_MAP = 64;

/** How a bulk table's rows are read back, for TableRowids. */
export interface TableRows {
  /** The id of the row with this rowid; undefined when there is none. */
  idAt(rowid: number): string | undefined;
  /** Every row's rowid and id. */
  all(): Iterable<{ rowid: number; id: string }>;
}

/**
 * A 32-bit hash of a document id (FNV-1a): ListedRows keeps it instead of the id, and two ids with the
 * same hash cost only a row read back.
 */
export function idHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return hash | 0;
}

/**
 * Rows given to a bulk table as first writes, in the order they were inserted: each id's hash and the
 * row's rowid, in typed arrays that V8 keeps outside its heap. A rebuild's first thread lists ~840,000
 * rows; holding their ids in arrays kept each id string alive to the end, which made V8's
 * young-generation collections copy every one of them into the old generation and then track the
 * arrays' pointers to them (item 126: that thread promoted ~125 MB less without them). An id whose
 * hash matches is confirmed by reading the row's id back (`TableRows.idAt`).
 */
export class ListedRows {
  private hashes = new Int32Array(1024);
  private rowids = new Float64Array(1024);
  private count = 0;
  /** Listed rows taken off the list (their rowid set to NaN). */
  private taken = 0;

  constructor(private readonly hashOf: (id: string) => number = idHash) {}

  /** How many rows are still listed. */
  get size(): number {
    return this.count - this.taken;
  }

  add(id: string, rowid: number): void {
    if (this.count === this.hashes.length) {
      const hashes = new Int32Array(this.count * 2);
      hashes.set(this.hashes);
      this.hashes = hashes;
      const rowids = new Float64Array(this.count * 2);
      rowids.set(this.rowids);
      this.rowids = rowids;
    }
    this.hashes[this.count] = this.hashOf(id);
    this.rowids[this.count] = rowid;
    this.count += 1;
  }

  /**
   * The rowid of the listed row with this id, taken off the list; undefined when none is listed. From
   * the end: a document written again was most often first written not long before.
   */
  take(id: string, rows: TableRows): number | undefined {
    const hash = this.hashOf(id);
    for (let at = this.count - 1; at >= 0; at--) {
      if (this.hashes[at] !== hash) continue;
      const rowid = this.rowids[at]!;
      if (Number.isNaN(rowid) || rows.idAt(rowid) !== id) continue;
      this.rowids[at] = NaN;
      this.taken += 1;
      return rowid;
    }
    return undefined;
  }
}

/**
 * A bulk table's rowids, by document id. Rows inserted as first writes (`firstWrite`: no document with
 * the id was written before) are only listed (ListedRows): most of a rebuild's documents are written
 * once and never looked up again, and keeping each in a map cost a rebuild's first thread ~1 µs per
 * insert (a hash look-up and an insert into a map of ~840,000 ids, which SQLite's work between them
 * keeps out of the CPU's caches). An id is looked for in the list while the table has been looked up
 * in only a few times (a write that is not a first write, a delete, or a read), and taken out of it
 * into the map when found; after that, the map learns every row of the table and the list is let go.
 * Each id is in one or the other, never both.
 */
class TableRowids {
  private readonly byId = new Map<string, number | bigint>();
  private listed: ListedRows | null = new ListedRows();
  private scans = 0;

  constructor(private readonly rows: TableRows) {}

  /** A row whose id no other row of the table has: listed, not looked up. */
  list(id: string, rowid: number | bigint): void {
    if (this.listed) this.listed.add(id, Number(rowid));
    else this.byId.set(id, rowid);
  }

  get(id: string): number | bigint | undefined {
    const rowid = this.byId.get(id);
    if (rowid !== undefined || this.listed === null || this.listed.size === 0) return rowid;
    if (this.scans >= SCANS_BEFORE_MAP) {
      this.learnAll();
      return this.byId.get(id);
    }
    this.scans += 1;
    const listed = this.listed.take(id, this.rows);
    if (listed !== undefined) this.byId.set(id, listed);
    return listed;
  }

  /** Only for an id that `get` did not find. */
  set(id: string, rowid: number | bigint): void {
    this.byId.set(id, rowid);
  }

  /** Only for an id that `get` found. */
  delete(id: string): void {
    this.byId.delete(id);
  }

  /** Every row of the table into the map, and no more list. */
  private learnAll(): void {
    for (const { rowid, id } of this.rows.all()) this.byId.set(id, rowid);
    this.listed = null;
  }
}

/**
 * The writes of a bulk load (a rebuild filling a fresh file that nobody reads before it is complete).
 * Its tables have no index on `id` while it loads: a document's row is found by its rowid, which this
 * class remembers, so a commit appends new rows at the tables' ends and rewrites only the pages of
 * rows it changes. With a unique index kept up on random ids, every commit rewrote most of that
 * index's pages (each batch inserts into nearly all of them); built once at the end from sorted keys,
 * it costs a fraction of that.
 */
export class BulkLoadWrites {
  /** Per quoted table: its statements. */
  private readonly tableWrites = new Map<string, TableWrites>();
  /** Per quoted table: each document's rowid. */
  private readonly rowids = new Map<string, TableRowids>();
  /** Tables holding rows not learnt yet (copied in from another file): learnt when first used. */
  private readonly untracked = new Set<string>();
  private readonly statements: PreparedStatements;

  constructor(db: Database.Database) {
    this.statements = new PreparedStatements(db);
  }

  /** Applies the commit; must run inside a transaction. */
  apply({ changes, checkpoints }: CommitRequest): void {
    // Indexed, and each table's statements found once: a rebuild's first thread inserts ~840,000
    // rows, and made its statement's SQL text again for each one.
    let table = '';
    let rows!: TableRowids;
    let writes!: TableWrites;
    for (let index = 0; index < changes.length; index++) {
      const change = changes[index]!;
      if (change[0] !== table) {
        table = change[0];
        rows = this.rowsOf(table);
        writes = this.writesOf(table);
      }
      const id = change[1];
      const doc = change[2];
      if (change[3]) {
        // No row has this id: nothing to look up, and nothing to delete.
        if (doc === null) continue;
        const end = firstInsertsFrom(changes, index, table);
        this.insertFirstWrites(changes, index, end, rows, writes);
        index = end - 1;
        continue;
      }
      const rowid = rows.get(id);
      if (doc === null) {
        if (rowid === undefined) continue;
        writes.delete.run(rowid);
        rows.delete(id);
      } else if (rowid === undefined) {
        rows.set(id, writes.insert.run(id, encodeDocument(doc)).lastInsertRowid);
      } else {
        writes.update.run(encodeDocument(doc), rowid);
      }
    }
    writeCheckpoints(this.statements, checkpoints);
  }

  /**
   * First writes `from` up to `end` (a run of one table's, see firstInsertsFrom): a full group in
   * one statement, otherwise one by one. A group's rows take the rowids after the table's last, one
   * after another in the order of the values (SQLite gives a row without a rowid the largest one
   * plus 1), so the last row's rowid tells every row's.
   */
  private insertFirstWrites(
    changes: CommitRequest['changes'],
    from: number,
    end: number,
    rows: TableRowids,
    writes: TableWrites,
  ): void {
    if (end - from < INSERT_GROUP) {
      for (let at = from; at < end; at++) {
        const change = changes[at]!;
        rows.list(change[1], writes.insert.run(change[1], encodeDocument(change[2]!)).lastInsertRowid);
      }
      return;
    }
    const values = new Array<string>(INSERT_GROUP * 2);
    for (let k = 0; k < INSERT_GROUP; k++) {
      const change = changes[from + k]!;
      values[2 * k] = change[1];
      values[2 * k + 1] = encodeDocument(change[2]!);
    }
    const last = writes.insertGroup.run(...values).lastInsertRowid;
    for (let k = 0; k < INSERT_GROUP; k++) {
      const before = INSERT_GROUP - 1 - k;
      rows.list(changes[from + k]![1], typeof last === 'bigint' ? last - BigInt(before) : last - before);
    }
  }

  /** The document's JSON, or undefined when the table holds none with this id. */
  get(table: string, id: string): string | undefined {
    const rowid = this.rowsOf(table).get(id);
    if (rowid === undefined) return undefined;
    return this.statements.get(`SELECT doc FROM ${table} WHERE rowid = ?`).pluck().get(rowid) as string;
  }

  /**
   * The transaction that applied `request` was rolled back (a document that could not be encoded, a
   * failed statement): the rowids it learnt for rows that are no longer there, or forgot for rows that
   * are there again, are learnt anew from each table it touched.
   */
  rolledBack({ changes }: CommitRequest): void {
    for (const table of new Set(changes.map(([table]) => table))) this.track(table);
  }

  /** Rows were put into the table by other means (copied in from another file). */
  track(table: string): void {
    this.rowids.delete(table);
    this.untracked.add(table);
  }

  /** The table was emptied. */
  forget(table: string): void {
    this.rowids.delete(table);
    this.untracked.delete(table);
  }

  /** Forgets everything (the load is over, or the connection closes). */
  clear(): void {
    this.rowids.clear();
    this.untracked.clear();
    this.tableWrites.clear();
    this.statements.clear();
  }

  private writesOf(table: string): TableWrites {
    let writes = this.tableWrites.get(table);
    if (!writes) {
      writes = {
        insert: this.statements.get(`INSERT INTO ${table} (id, doc) VALUES (?, ?)`),
        insertGroup: this.statements.get(
          `INSERT INTO ${table} (id, doc) VALUES ${Array(INSERT_GROUP).fill('(?, ?)').join(', ')}`,
        ),
        update: this.statements.get(`UPDATE ${table} SET doc = ? WHERE rowid = ?`),
        delete: this.statements.get(`DELETE FROM ${table} WHERE rowid = ?`),
      };
      this.tableWrites.set(table, writes);
    }
    return writes;
  }

  private rowsOf(table: string): TableRowids {
    let rows = this.rowids.get(table);
    if (!rows) {
      const idAt = this.statements.get(`SELECT id FROM ${table} WHERE rowid = ?`).pluck();
      const all = this.statements.get(`SELECT rowid, id FROM ${table}`);
      rows = new TableRowids({
        idAt: (rowid) => idAt.get(rowid) as string | undefined,
        all: () => all.iterate() as Iterable<{ rowid: number; id: string }>,
      });
      this.rowids.set(table, rows);
      if (this.untracked.delete(table)) {
        for (const { rowid, id } of all.iterate() as Iterable<{ rowid: number; id: string }>) {
          rows.list(id, rowid);
        }
      }
    }
    return rows;
  }
}

/**
 * Where the run of first writes that starts at `from` ends (exclusive): changes to the same table
 * that insert a document no row has, INSERT_GROUP at most.
 */
function firstInsertsFrom(changes: CommitRequest['changes'], from: number, table: string): number {
  let end = from + 1;
  while (end < changes.length && end - from < INSERT_GROUP) {
    const change = changes[end]!;
    if (change[0] !== table || !change[3] || change[2] === null) break;
    end += 1;
  }
  return end;
}
