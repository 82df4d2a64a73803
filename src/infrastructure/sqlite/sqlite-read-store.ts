import type Database from 'better-sqlite3';
import {
  type AcquireOptions,
  type LeaseClaim,
  type LeaseState,
  type LeaseStore,
} from '../../application/ports/lease-store';
import type {
  Checkpoint,
  CollectionSpec,
  CommitOptions,
  DocumentChange,
  FilterValue,
  FindOptions,
  ReadDocument,
  ReadStore,
} from '../../application/ports/read-store';
import type { ReadModelsProgress } from '../../projections/read-models-progress';
import { BulkLoadWrites } from './bulk-load-writes';
import { openDatabase, syncFile } from './open-database';
import {
  CHECKPOINTS_TABLE,
  type CommitRequest,
  LEASES_TABLE,
  quoteIdent,
  ReadModelWrites,
} from './read-model-writes';

const NAME = /^[a-z][a-z0-9_]*$/i;

export interface SqliteReadStoreOptions {
  /** The clock leases are judged by (ms since the epoch); every process on the machine shares it. */
  readonly now?: () => number;
  /**
   * For filling a fresh file that nobody reads until it is complete (a rebuild swapped in at the
   * end): no journal, no fsync, and the indexes built once at `finishBulkLoad()` instead of kept up
   * on every insert. A crash leaves a file to throw away, never one that is used.
   */
  readonly bulkLoad?: boolean;
  /** Page cache of the connection, in KiB (default DEFAULT_CACHE_KIB). */
  readonly cacheKib?: number;
}

/**
 * Queries read documents of recent entities, and the public view of any certificate: keep those
 * pages in memory (public verification from the read models lost 5–15 % with a quarter of this).
 */
const DEFAULT_CACHE_KIB = 64 * 1024;

/**
 * Page cache while a bulk load builds its indexes, in KiB. SQLite's sorter sorts as many keys in memory
 * at once as the page cache would hold, then merges the sorted runs: in runs of ~1 MB each sort stays
 * in the CPU's caches, where one run of the whole table's keys (the bulk load's 64 MB) does not.
 * Building the first rebuild thread's nine indexes on the Shanghai set: ~1.0 s instead of ~1.2–1.3
 * (docs/performance.md, item 103).
 */
const INDEX_BUILD_CACHE_KIB = 1024;

/**
 * Helper threads SQLite's sorter may use while a bulk load builds its indexes (`PRAGMA threads`; none
 * otherwise). A rebuild's first thread builds its indexes last, when the other core has little left
 * to do. Alternating standalone rebuilds at Shanghai scale, four pairs: its ten indexes in
 * 557–638 ms with two, 638–723 ms without (docs/performance.md, item 122).
 */
const INDEX_BUILD_HELPER_THREADS = 2;

interface LeaseRow {
  readonly holder: string;
  readonly expires_at: number;
}

type Filter = Readonly<Record<string, FilterValue>>;
type SqlValue = string | number | null;

/** Validates a collection or field name; a bad name is a programming error, never user input. */
function checkName(kind: 'collection' | 'field', name: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new Error(`Invalid ${kind} name ${JSON.stringify(name)}: must match ${String(NAME)}`);
  }
  return name;
}

function checkCollectionName(name: string): string {
  checkName('collection', name);
  const lower = name.toLowerCase();
  if (lower === CHECKPOINTS_TABLE || lower.startsWith('sqlite_')) {
    throw new Error(`Invalid collection name ${JSON.stringify(name)}: reserved`);
  }
  return name;
}

/** Every index this store makes is named so, which tells its own indexes from any other. */
function indexName(collection: string, field: string): string {
  return `ix:${collection}:${field}`;
}

/** The unique index on `id` of a collection made by a bulk load (others have a primary key). */
function idIndexName(collection: string): string {
  return `pk:${collection}`;
}

/** The field expression; must be textually identical in queries and index definitions. */
function fieldExpr(field: string): string {
  return `json_extract(doc, '$.${checkName('field', field)}')`;
}

function fieldIndexSql(collection: string, field: string): string {
  const index = quoteIdent(indexName(collection, field));
  return `CREATE INDEX IF NOT EXISTS ${index} ON ${quoteIdent(collection)} (${fieldExpr(field)})`;
}

/** JSON booleans come back from json_extract as 1/0, and better-sqlite3 cannot bind booleans. */
function toSqlValue(field: string, value: FilterValue): SqlValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value === null || typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw new Error(`Invalid filter value for field ${JSON.stringify(field)}: ${String(value)}`);
}

/** SQLite answers a journal mode it will not take with the mode it keeps: never silently accepted. */
function setJournalMode(db: Database.Database, mode: 'delete' | 'memory' | 'wal'): void {
  const now = db.pragma(`journal_mode = ${mode}`, { simple: true });
  if (now !== mode)
    throw new Error(`the read-model file refused journal_mode=${mode} (it stays ${String(now)})`);
}

function checkClaim(claim: LeaseClaim): LeaseClaim {
  const { name, holder, ttlMs } = claim;
  if (typeof name !== 'string' || name === '' || typeof holder !== 'string' || holder === '') {
    throw new Error(`Invalid lease claim ${JSON.stringify({ name, holder })}`);
  }
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new Error(`Invalid lease ttlMs ${String(ttlMs)} (must be a positive whole number of ms)`);
  }
  return claim;
}

function checkCount(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`Invalid ${name}: ${String(value)} (must be a non-negative integer)`);
  }
  return value;
}

/**
 * ReadStore on one SQLite file: every collection is a table `(id TEXT PRIMARY KEY, doc TEXT NOT NULL)`
 * holding the document as JSON, with one expression index per declared field.
 */
export class SqliteReadStore implements ReadStore, LeaseStore {
  private readonly statements = new Map<string, Database.Statement>();
  /** Lower-cased names of the collections known to exist (SQLite table names are case-insensitive). */
  private readonly collections = new Set<string>();
  /**
   * Each collection's table name, quoted, once it is known to exist (tables are never dropped): a
   * commit names a table for each of its changes, and made the quoted name again for each (~115 MB
   * of a rebuild's first thread's allocations, docs/performance.md, item 130).
   */
  private readonly tables = new Map<string, string>();
  private closed = false;
  /** While bulk loading: the writes, and the indexes held back (SQL to run at `finishBulkLoad()`). */
  private bulk: { readonly writes: BulkLoadWrites; readonly indexes: string[] } | null = null;

  /** See `followChanges`: while set and vouching, reads share one read transaction. */
  private changes: Pick<ReadModelsProgress, 'seesEveryChange'> | null = null;
  private inSnapshot = false;
  private readonly beginSnapshot: Database.Statement<[]>;
  private readonly endSnapshotStatement: Database.Statement<[]>;

  private readonly now: () => number;
  private readonly writes: ReadModelWrites;

  private constructor(
    private readonly db: Database.Database,
    options: SqliteReadStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.writes = new ReadModelWrites(db);
    // Read models are derived and rebuildable, and each batch commits with its checkpoint: a commit
    // lost to a power cut (never to a crash of the process) is rolled back whole and projected again.
    // So commits need not wait for the disk, which keeps the projection runner off the fsync path.
    db.pragma('synchronous = NORMAL');
    db.pragma(`cache_size = -${options.cacheKib ?? DEFAULT_CACHE_KIB}`);
    if (options.bulkLoad) {
      // No WAL while loading: each page is written once, into the file, instead of into the log and
      // again by every checkpoint. The rollback journal stays in memory (journal_mode=OFF, which
      // better-sqlite3's defensive mode refuses anyway, would leave a failed statement half-applied).
      setJournalMode(db, 'delete');
      setJournalMode(db, 'memory');
      db.pragma('synchronous = OFF');
      db.pragma('locking_mode = EXCLUSIVE');
      this.bulk = { writes: new BulkLoadWrites(db), indexes: [] };
    }
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(CHECKPOINTS_TABLE)} ` +
        '(projection TEXT PRIMARY KEY, position INTEGER NOT NULL)',
    );
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${quoteIdent(LEASES_TABLE)} ` +
        '(name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)',
    );
    this.beginSnapshot = db.prepare('BEGIN');
    this.endSnapshotStatement = db.prepare('COMMIT');
  }

  /**
   * Lets the reads of this connection (get, find, count) share one read transaction for as long as
   * the projections vouch that they are the file's only writer (`seesEveryChange`) and have told of
   * no commit since it began: each statement outside a transaction takes and drops WAL read locks
   * (two `fcntl` calls, and an `fstat`, ~20 µs in this virtual machine under load: a third of a
   * public verification from the read models). The transaction ends the moment the projections tell
   * of a commit, of the position reached, or that they can no longer vouch, and before anything
   * else this connection does; so a read sees every commit that it could see without it once the
   * projections have told of it (`?minPosition=` waits for that). Returns the function that stops.
   */
  followChanges(progress: Pick<ReadModelsProgress, 'seesEveryChange' | 'listen'>): () => void {
    this.changes = progress;
    const stopListening = progress.listen({
      committed: () => this.endSnapshot(),
      forgotten: () => this.endSnapshot(),
      reached: () => this.endSnapshot(),
    });
    return () => {
      stopListening();
      this.endSnapshot();
      this.changes = null;
    };
  }

  /** Before a read: joins the shared read transaction, or starts one, or ends it if it may be stale. */
  private readFromSnapshot(): void {
    const vouched = this.changes?.seesEveryChange === true && !this.bulk && !this.closed;
    if (this.inSnapshot) {
      if (!vouched) this.endSnapshot();
      return;
    }
    if (!vouched || this.db.inTransaction) return;
    this.beginSnapshot.run();
    this.inSnapshot = true;
  }

  /** Ends the shared read transaction, if one is open (it holds no writes: COMMIT only releases it). */
  private endSnapshot(): void {
    if (!this.inSnapshot) return;
    this.inSnapshot = false;
    if (this.db.inTransaction && !this.closed) this.endSnapshotStatement.run();
  }

  static open(file: string, options: SqliteReadStoreOptions = {}): SqliteReadStore {
    const db = openDatabase(file);
    try {
      return new SqliteReadStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async ensureCollections(specs: readonly CollectionSpec[]): Promise<void> {
    this.endSnapshot();
    for (const spec of specs) {
      checkCollectionName(spec.name);
      spec.indexes.forEach((field) => checkName('field', field));
    }
    const bulk = this.bulk;
    this.db.transaction(() => {
      for (const spec of specs) {
        if (bulk) {
          if (this.collections.has(spec.name.toLowerCase())) continue;
          // No key while loading (see BulkLoadWrites): the indexes, the unique one on id among them,
          // come at the end.
          bulk.indexes.push(...this.createBulkTable(spec));
        } else {
          const table = quoteIdent(spec.name);
          this.db.exec(`CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)`);
          this.dropUndeclaredIndexes(spec);
          for (const field of spec.indexes) this.db.exec(fieldIndexSql(spec.name, field));
        }
        this.collections.add(spec.name.toLowerCase());
      }
    })();
  }

  /** A bulk load's table for the collection; answers the SQL of its indexes, held back. */
  private createBulkTable(spec: CollectionSpec): string[] {
    if (this.tableExists(spec.name)) {
      throw new Error(`a bulk load fills a fresh file, but ${spec.name} already exists in it`);
    }
    const table = quoteIdent(spec.name);
    this.db.exec(`CREATE TABLE ${table} (id TEXT NOT NULL, doc TEXT NOT NULL)`);
    return [
      `CREATE UNIQUE INDEX ${quoteIdent(idIndexName(spec.name))} ON ${table} (id)`,
      ...spec.indexes.map((field) => fieldIndexSql(spec.name, field)),
    ];
  }

  /**
   * An index the collection no longer declares is dropped: every index costs each write of the
   * collection (an upsert of a document re-indexes each of its expression indexes), so only the
   * fields that queries use are kept indexed, also in files made by an earlier version.
   */
  private dropUndeclaredIndexes(spec: CollectionSpec): void {
    const declared = new Set(spec.indexes.map((field) => indexName(spec.name, field)));
    const existing = this.db
      .prepare<[string, string, string], string>(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE AND substr(name, 1, length(?)) = ?",
      )
      .pluck();
    const prefix = indexName(spec.name, '');
    for (const name of existing.all(spec.name, prefix, prefix)) {
      if (!declared.has(name)) this.db.exec(`DROP INDEX ${quoteIdent(name)}`);
    }
  }

  /** `get`'s statement per collection: the hottest read skips checking names and building SQL. */
  private readonly getStatements = new Map<string, Database.Statement>();

  async get<T extends ReadDocument>(collection: string, id: string): Promise<T | null> {
    this.readFromSnapshot();
    if (this.bulk) {
      const json = this.bulk.writes.get(this.table(collection), id);
      return json === undefined ? null : (JSON.parse(json) as T);
    }
    let statement = this.getStatements.get(collection);
    if (statement === undefined || this.closed) {
      statement = this.statement(`SELECT doc FROM ${this.table(collection)} WHERE id = ?`);
      this.getStatements.set(collection, statement);
    }
    const json = statement.get(id) as string | undefined;
    return json === undefined ? null : (JSON.parse(json) as T);
  }

  async find<T extends ReadDocument>(
    collection: string,
    filter: Filter,
    options: FindOptions = {},
  ): Promise<T[]> {
    this.readFromSnapshot();
    const table = this.table(collection);
    const { where, params } = this.where(filter);
    const direction = options.direction ?? 'asc';
    if (direction !== 'asc' && direction !== 'desc') {
      throw new Error(`Invalid sort direction ${JSON.stringify(direction)}`);
    }
    const dir = direction.toUpperCase();
    const orderBy =
      options.orderBy === undefined || options.orderBy === 'id'
        ? `id ${dir}`
        : `${fieldExpr(options.orderBy)} ${dir}, id ${dir}`;
    const limit = checkCount('limit', options.limit);
    const offset = checkCount('offset', options.offset);
    let sql = `SELECT doc FROM ${table}${where} ORDER BY ${orderBy}`;
    if (limit !== undefined || offset !== undefined) {
      sql += ' LIMIT ? OFFSET ?';
      params.push(limit ?? -1, offset ?? 0);
    }
    const rows = this.statement(sql).all(...params) as string[];
    return rows.map((json) => JSON.parse(json) as T);
  }

  async count(collection: string, filter: Filter): Promise<number> {
    this.readFromSnapshot();
    const table = this.table(collection);
    const { where, params } = this.where(filter);
    return this.statement(`SELECT count(*) FROM ${table}${where}`).get(...params) as number;
  }

  async commit(
    changes: readonly DocumentChange[],
    checkpoints: readonly Checkpoint[],
    options: CommitOptions = {},
  ): Promise<void> {
    this.endSnapshot();
    // Checked here, on either path: a bad collection or id throws before anything is written. Each
    // document is encoded as it is written (see encodeDocument); one that cannot be throws inside the
    // transaction, which is then rolled back (a bulk load's journal is in memory, but there is one).
    const request: CommitRequest = {
      changes: changes.map((change) => {
        const table = this.table(change.collection);
        if (typeof change.id !== 'string') {
          throw new Error(`Invalid document id in ${change.collection}: ${String(change.id)}`);
        }
        return [table, change.id, change.doc, change.firstWrite === true] as const;
      }),
      checkpoints: checkpoints.map(({ projection, position }) => {
        if (typeof projection !== 'string' || !Number.isSafeInteger(position)) {
          throw new Error(`Invalid checkpoint ${JSON.stringify({ projection, position })}`);
        }
        return { projection, position };
      }),
      ...(options.lease ? { lease: options.lease } : {}),
      now: this.now(),
    };
    if (this.closed) throw new Error('SqliteReadStore is closed');
    const bulk = this.bulk;
    const writes = bulk?.writes ?? this.writes;
    try {
      this.db.transaction(() => writes.apply(request))();
    } catch (error) {
      bulk?.writes.rolledBack(request);
      throw error;
    }
  }

  async getCheckpoint(projection: string): Promise<number> {
    this.endSnapshot();
    const position = this.statement(
      `SELECT position FROM ${quoteIdent(CHECKPOINTS_TABLE)} WHERE projection = ?`,
    ).get(projection) as number | undefined;
    return position ?? 0;
  }

  async reset(collections: readonly string[], projections: readonly string[]): Promise<void> {
    this.endSnapshot();
    const tables = collections.map((collection) => this.table(collection));
    this.db.transaction(() => {
      for (const table of tables) {
        this.statement(`DELETE FROM ${table}`).run();
        this.bulk?.writes.forget(table);
      }
      for (const projection of projections) {
        this.statement(`DELETE FROM ${quoteIdent(CHECKPOINTS_TABLE)} WHERE projection = ?`).run(projection);
      }
    })();
  }

  /**
   * While bulk loading: copies whole collections from another read-model file that nobody else has
   * open (the part of a rebuild that another thread projected and indexed, `indexBulkLoad`). They
   * must not exist here yet: each is made here with its indexes, and filled with SQLite's transfer
   * of whole records, index entries included, which it makes from an identical, indexed table into an
   * empty one (from a table without the same indexes, the copy is the same, only slower).
   */
  async copyCollectionsFrom(file: string, specs: readonly CollectionSpec[]): Promise<void> {
    this.endSnapshot();
    const bulk = this.bulk;
    if (!bulk) throw new Error('copyCollectionsFrom is part of a bulk load');
    specs.forEach((spec) => checkCollectionName(spec.name));
    this.db.prepare('ATTACH DATABASE ? AS part').run(file);
    try {
      this.db.transaction(() => {
        for (const spec of specs) {
          for (const sql of this.createBulkTable(spec)) this.db.exec(sql);
          this.collections.add(spec.name.toLowerCase());
          // `SELECT *` into the same columns: the form SQLite's transfer needs.
          const table = quoteIdent(spec.name);
          this.db.exec(`INSERT INTO main.${table} SELECT * FROM part.${table}`);
        }
      })();
    } finally {
      this.db.exec('DETACH DATABASE part');
    }
    for (const spec of specs) bulk.writes.track(quoteIdent(spec.name));
  }

  /**
   * While bulk loading: builds the indexes held back so far, now (a rebuild's part, whose thread has
   * finished projecting while the other still works, indexes itself before it is copied in).
   */
  async indexBulkLoad(): Promise<void> {
    this.endSnapshot();
    const bulk = this.bulk;
    if (!bulk) throw new Error('indexBulkLoad is part of a bulk load');
    this.buildIndexes(bulk.indexes.splice(0));
  }

  /** The indexes a bulk load held back, built in one transaction (see INDEX_BUILD_CACHE_KIB). */
  private buildIndexes(indexes: readonly string[]): void {
    if (indexes.length === 0) return;
    const cacheSize = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = -${INDEX_BUILD_CACHE_KIB}`);
    this.db.pragma(`threads = ${INDEX_BUILD_HELPER_THREADS}`);
    try {
      this.db.transaction(() => indexes.forEach((sql) => this.db.exec(sql)))();
    } finally {
      this.db.pragma('threads = 0');
      this.db.pragma(`cache_size = ${cacheSize}`);
    }
  }

  /** Ends a bulk load: builds the held-back indexes and makes the file a normal WAL database. */
  async finishBulkLoad(): Promise<void> {
    this.endSnapshot();
    const bulk = this.bulk;
    if (!bulk) return;
    this.bulk = null;
    bulk.writes.clear();
    this.db.pragma('synchronous = FULL');
    this.buildIndexes(bulk.indexes);
    this.db.pragma('locking_mode = NORMAL');
    setJournalMode(this.db, 'wal');
    // Everything written so far reaches the disk before the file is swapped in: the pages were written
    // without a sync, and the last commit may have written nothing (every index built earlier, by
    // `indexBulkLoad`), so its sync cannot be counted on to take them with it.
    syncFile(this.db.name);
  }

  async close(): Promise<void> {
    this.endSnapshot();
    if (this.closed) return;
    this.closed = true;
    this.statements.clear();
    this.writes.clear();
    this.bulk?.writes.clear();
    this.db.close();
  }

  async acquireLease(claim: LeaseClaim, options: AcquireOptions = {}): Promise<LeaseState> {
    this.endSnapshot();
    const { name, holder, ttlMs } = checkClaim(claim);
    const now = this.now();
    return this.db.transaction((): LeaseState => {
      const taken = this.statement(
        `INSERT INTO ${quoteIdent(LEASES_TABLE)} (name, holder, expires_at) VALUES (?, ?, ?) ` +
          'ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at ' +
          'WHERE holder = excluded.holder OR expires_at <= ? OR holder = ?',
      ).run(name, holder, now + ttlMs, now, options.replacing ?? null);
      if (taken.changes === 1) return { acquired: true, holder, expiresAt: now + ttlMs };
      const row = this.leaseRow(name);
      return { acquired: false, holder: row?.holder ?? null, expiresAt: row?.expires_at ?? 0 };
    })();
  }

  async renewLease(claim: LeaseClaim): Promise<boolean> {
    this.endSnapshot();
    const checked = checkClaim(claim);
    return this.db.transaction(() => this.writes.renewLease(checked, this.now()))();
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.endSnapshot();
    this.statement(`DELETE FROM ${quoteIdent(LEASES_TABLE)} WHERE name = ? AND holder = ?`).run(name, holder);
  }

  private leaseRow(name: string): LeaseRow | undefined {
    // Not through `statement`, whose readers return one column.
    return this.db
      .prepare<[string], LeaseRow>(
        `SELECT holder, expires_at FROM ${quoteIdent(LEASES_TABLE)} WHERE name = ?`,
      )
      .get(name);
  }

  /** The quoted table of a collection that was ensured (by this instance, or earlier on the same file). */
  private table(collection: string): string {
    const known = this.tables.get(collection);
    if (known !== undefined) return known;
    checkCollectionName(collection);
    const key = collection.toLowerCase();
    if (!this.collections.has(key)) {
      if (!this.tableExists(collection)) {
        throw new Error(
          `Read collection ${JSON.stringify(collection)} was never ensured (ensureCollections)`,
        );
      }
      this.collections.add(key);
    }
    const table = quoteIdent(collection);
    this.tables.set(collection, table);
    return table;
  }

  private tableExists(collection: string): boolean {
    return (
      this.statement("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE").get(
        collection,
      ) !== undefined
    );
  }

  private where(filter: Filter): { where: string; params: SqlValue[] } {
    const clauses: string[] = [];
    const params: SqlValue[] = [];
    for (const [field, value] of Object.entries(filter)) {
      if (value === null) {
        clauses.push(`${fieldExpr(field)} IS NULL`);
      } else {
        clauses.push(`${fieldExpr(field)} = ?`);
        params.push(toSqlValue(field, value));
      }
    }
    return { where: clauses.length === 0 ? '' : ` WHERE ${clauses.join(' AND ')}`, params };
  }

  /** Prepared statements cached by SQL text; readers return their single column (pluck). */
  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      if (this.closed) throw new Error('SqliteReadStore is closed');
      statement = this.db.prepare(sql);
      if (statement.reader) statement.pluck();
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
