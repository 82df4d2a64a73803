import type Database from 'better-sqlite3';
import { KeyDestroyedError, type DataKeyLookup, type KeyStore } from '../../application/ports/key-store';
import { checkKeyId, newDataKey, unwrapDataKey, wrapDataKey } from '../crypto/data-key-wrapping';
import type { KeyEncryptionKeys } from '../crypto/key-encryption-keys';
import { GroupCommit } from './group-commit';
import { openDatabase } from './open-database';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS data_keys (
    key_id       TEXT PRIMARY KEY,
    wrapped      BLOB,
    kek_id       TEXT,
    created_at   TEXT NOT NULL,
    destroyed_at TEXT,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
  )
`;

interface KeyRow {
  readonly key_id: string;
  readonly wrapped: Buffer | null;
  readonly kek_id: string | null;
  readonly destroyed_at: string | null;
}

/**
 * Data keys in their own SQLite file (`DATA_DIR/keys.db`), each wrapped (AES-256-GCM) by the current
 * key-encryption key. Destroying a key overwrites it: `secure_delete` zeroes the freed bytes and the
 * WAL is checkpointed and truncated, so the wrapped key does not linger in the file or its journal.
 * No cache: every lookup reads the file, so an erasure holds at once for every process using it.
 */
export class SqliteKeyStore implements KeyStore {
  private readonly select: Database.Statement<[string], KeyRow>;
  private readonly insert: Database.Statement<[string, Buffer, string, string]>;
  private readonly tombstone: Database.Statement<[string, string, string]>;
  private readonly getOrCreateInTransaction: (keyId: string) => Buffer;
  /** Keys created together (many new workers at once) share one transaction and one fsync. */
  private readonly creations: GroupCommit;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly keks: KeyEncryptionKeys,
  ) {
    db.pragma('secure_delete = ON');
    db.exec(SCHEMA);
    this.select = db.prepare('SELECT key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE key_id = ?');
    this.insert = db.prepare(
      'INSERT INTO data_keys (key_id, wrapped, kek_id, created_at) VALUES (?, ?, ?, ?)',
    );
    this.tombstone = db.prepare(
      `INSERT INTO data_keys (key_id, wrapped, kek_id, created_at, destroyed_at) VALUES (?, NULL, NULL, ?, ?)
       ON CONFLICT (key_id) DO UPDATE SET wrapped = NULL, kek_id = NULL,
         destroyed_at = COALESCE(data_keys.destroyed_at, excluded.destroyed_at)`,
    );
    this.getOrCreateInTransaction = (keyId: string) => {
      const row = this.select.get(keyId);
      if (row) return this.activeKey(row);
      const dek = newDataKey();
      this.insert.run(
        keyId,
        wrapDataKey(this.keks.current, keyId, dek),
        this.keks.current.id,
        new Date().toISOString(),
      );
      return dek;
    };
    this.creations = new GroupCommit(db);
  }

  static open(file: string, keks: KeyEncryptionKeys): SqliteKeyStore {
    const db = openDatabase(file);
    try {
      return new SqliteKeyStore(db, keks);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async getOrCreate(keyId: string): Promise<Buffer> {
    checkKeyId(keyId);
    // In a write transaction taken at once (BEGIN IMMEDIATE): two processes creating the same key
    // serialise, and both end with the stored one. Settles once the key is durable.
    return this.creations.run(() => this.getOrCreateInTransaction(keyId));
  }

  async lookup(keyIds: readonly string[]): Promise<Map<string, DataKeyLookup>> {
    const found = new Map<string, DataKeyLookup>();
    for (const keyId of keyIds) {
      if (found.has(keyId)) continue;
      checkKeyId(keyId);
      const row = this.select.get(keyId);
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
    this.db.close();
  }

  private activeKey(row: KeyRow): Buffer {
    if (row.destroyed_at !== null || row.wrapped === null) throw new KeyDestroyedError(row.key_id);
    return unwrapDataKey(this.keks, row.key_id, row.kek_id, row.wrapped);
  }
}
