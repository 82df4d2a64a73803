import type Database from 'better-sqlite3';
import { KeyDestroyedError, type DataKeyLookup, type KeyStore } from '../../application/ports/key-store';
import { checkKeyId, newDataKey, unwrapDataKey, wrapDataKey } from '../crypto/data-key-wrapping';
import type { KeyEncryptionKeys } from '../crypto/key-encryption-keys';
import { GroupCommit } from './group-commit';
import { KeyReadAhead } from './key-read-ahead';
import {
  KEY_STORE_ERRORS,
  KEY_STORE_SCHEMA,
  type KeyCreation,
  keyCreator,
  type KeyRow,
} from './key-creation';
import type { KeyStoreWriterData } from './key-store-writer.worker';
import { openDatabase } from './open-database';
import { startWriterModule, ThreadWriter } from './writer-thread';

export interface SqliteKeyStoreOptions {
  /**
   * For a service: new keys are stored by a writer thread with a connection of its own, so that their
   * durable commit (an fsync) never holds up the event loop that answers requests.
   */
  readonly createOnThread?: boolean;
  /**
   * Reads the file through a memory map of up to this many bytes (`PRAGMA mmap_size`), for a tool
   * that looks up every worker's key once, in random order (a rebuild): a look-up then makes no
   * system call for the pages it reads. On the kept Shanghai key file (37 MB), every key looked up in
   * pieces of 75: 0.69–0.73 s mapped, against 1.32–1.36 s through SQLite's default page cache.
   */
  readonly mapBytes?: number;
  /**
   * Reads rows ahead in the order the keys were made, for a rebuild's thread that opens nearly every
   * worker's registration in the order of the log (see KeyReadAhead: what it read ahead is answered
   * as it was then, so never for the service).
   */
  readonly readAhead?: boolean;
}

/**
 * Data keys in their own SQLite file (`DATA_DIR/keys.db`), each wrapped (AES-256-GCM) by the current
 * key-encryption key. Destroying a key overwrites it: `secure_delete` zeroes the freed bytes and the
 * WAL is checkpointed and truncated, so the wrapped key does not linger in the file or its journal.
 * No cache: every lookup reads the file, so an erasure holds at once for every process using it; but
 * for a rebuild's store that reads rows ahead (`readAhead`), which answers a key as it read it a
 * moment before (see KeyReadAhead).
 */
export class SqliteKeyStore implements KeyStore {
  private readonly select: Database.Statement<[string], KeyRow>;
  private readonly selectMany: Database.Statement<[string], KeyRow>;
  private readonly tombstone: Database.Statement<[string, string, string]>;
  /**
   * Keys created together (many new workers at once) share one transaction and one fsync: on this
   * connection's event loop, or on the writer thread with `createOnThread`.
   */
  private readonly creations: GroupCommit;
  private readonly create: (creation: KeyCreation) => KeyRow;
  private readonly writer: ThreadWriter<KeyCreation, KeyRow> | null;
  private readonly readAhead: KeyReadAhead | null;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly keks: KeyEncryptionKeys,
    file: string,
    options: SqliteKeyStoreOptions,
  ) {
    db.pragma('secure_delete = ON');
    if (options.mapBytes) db.pragma(`mmap_size = ${Math.floor(options.mapBytes)}`);
    db.exec(KEY_STORE_SCHEMA);
    this.select = db.prepare('SELECT key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE key_id = ?');
    // Many ids in one query (their JSON array): one read transaction, whose locking costs more here
    // than finding a key does, instead of one per key (a rebuild looks up every worker's key).
    this.selectMany = db.prepare(
      'SELECT key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE key_id IN (SELECT value FROM json_each(?))',
    );
    this.tombstone = db.prepare(
      `INSERT INTO data_keys (key_id, wrapped, kek_id, created_at, destroyed_at) VALUES (?, NULL, NULL, ?, ?)
       ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, kek_id = NULL,
         destroyed_at = COALESCE(data_keys.destroyed_at, excluded.destroyed_at)`,
    );
    this.create = keyCreator(db);
    this.readAhead = options.readAhead ? new KeyReadAhead(db) : null;
    this.creations = new GroupCommit(db);
    this.writer = options.createOnThread
      ? new ThreadWriter<KeyCreation, KeyRow>(
          () =>
            startWriterModule(__dirname, 'key-store-writer.worker', { file } satisfies KeyStoreWriterData),
          KEY_STORE_ERRORS,
          { thread: "the key store's writer thread", unit: 'key', units: 'new keys', file: 'the key file' },
        )
      : null;
  }

  static open(file: string, keks: KeyEncryptionKeys, options: SqliteKeyStoreOptions = {}): SqliteKeyStore {
    const db = openDatabase(file);
    try {
      return new SqliteKeyStore(db, keks, file, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async getOrCreate(keyId: string): Promise<Buffer> {
    checkKeyId(keyId);
    const existing = this.select.get(keyId);
    if (existing) return this.activeKey(existing);
    return this.store(keyId);
  }

  /**
   * No read first: on the main thread, a read of this file costs more than making the key does
   * (the key writer's commits empty this connection's page cache, so each read goes to the file).
   */
  async createIfAbsent(keyId: string): Promise<Buffer> {
    checkKeyId(keyId);
    return this.store(keyId);
  }

  /** Stores a new key unless one exists; answers the stored key. */
  private async store(keyId: string): Promise<Buffer> {
    const dek = newDataKey();
    const wrapped = wrapDataKey(this.keks.current, keyId, dek);
    const creation: KeyCreation = {
      keyId,
      wrapped,
      kekId: this.keks.current.id,
      createdAt: new Date().toISOString(),
    };
    // In a write transaction taken at once (BEGIN IMMEDIATE): two processes creating the same key
    // serialise, and both end with the stored one. Settles once the key is durable.
    const stored = await (this.writer?.submit(creation) ?? this.creations.run(() => this.create(creation)));
    // Ours (its random IV makes it unique), unless another caller stored one first or it was destroyed.
    if (stored.wrapped !== null && wrapped.equals(stored.wrapped)) return dek;
    dek.fill(0);
    return this.activeKey(stored);
  }

  async lookup(keyIds: readonly string[]): Promise<Map<string, DataKeyLookup>> {
    const wanted = [...new Set(keyIds)];
    wanted.forEach(checkKeyId);
    const rows = new Map<string, KeyRow>();
    const sought = this.readAhead?.take(wanted, rows) ?? wanted;
    if (sought.length === 1) {
      const row = this.select.get(sought[0]!);
      if (row) rows.set(row.key_id, row);
    } else if (sought.length > 1) {
      for (const row of this.selectMany.all(JSON.stringify(sought))) rows.set(row.key_id, row);
    }
    const found = new Map<string, DataKeyLookup>();
    for (const keyId of wanted) {
      const row = rows.get(keyId);
      if (!row) found.set(keyId, { state: 'missing' });
      else if (row.destroyed_at !== null)
        found.set(keyId, { state: 'destroyed', destroyedAt: row.destroyed_at });
      else found.set(keyId, { state: 'active', key: this.activeKey(row) });
    }
    return found;
  }

  async destroy(keyId: string, destroyedAt: string): Promise<void> {
    checkKeyId(keyId);
    this.tombstone.run(keyId, destroyedAt, destroyedAt);
    this.readAhead?.drop(keyId);
    // Move the zeroed page into the main file and empty the WAL, which still holds the old page.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /**
   * Rewraps every active data key under the current KEK, in one transaction, and answers the ids of
   * the KEKs no key uses any more (safe to retire). The data keys themselves do not change.
   */
  rewrapAll(): { rewrapped: number; unusedKekIds: string[] } {
    const rows = this.db
      .prepare('SELECT key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE wrapped IS NOT NULL')
      .all() as KeyRow[];
    const update = this.db.prepare('UPDATE data_keys SET wrapped = ?, kek_id = ? WHERE key_id = ?');
    let rewrapped = 0;
    this.db.transaction(() => {
      for (const row of rows) {
        if (row.kek_id === this.keks.current.id) continue;
        const dek = this.activeKey(row);
        update.run(wrapDataKey(this.keks.current, row.key_id, dek), this.keks.current.id, row.key_id);
        dek.fill(0);
        rewrapped += 1;
      }
    })();
    this.readAhead?.reset();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    const used = new Set(
      this.db
        .prepare('SELECT DISTINCT kek_id FROM data_keys WHERE kek_id IS NOT NULL')
        .pluck()
        .all() as string[],
    );
    return { rewrapped, unusedKekIds: [...this.keks.byId.keys()].filter((id) => !used.has(id)) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.creations.flush();
    this.closed = true;
    // Keys already submitted are stored first.
    await this.writer?.close();
    this.db.close();
  }

  private activeKey(row: KeyRow): Buffer {
    if (row.destroyed_at !== null || row.wrapped === null) throw new KeyDestroyedError(row.key_id);
    const { buffer, byteOffset, byteLength } = row.wrapped;
    return unwrapDataKey(this.keks, row.key_id, row.kek_id, Buffer.from(buffer, byteOffset, byteLength));
  }
}
