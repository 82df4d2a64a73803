import type Database from 'better-sqlite3';
import { errorCodec } from './writer-thread-protocol';

/** Errors of the key store's writer thread: only SQLite's own. */
export const KEY_STORE_ERRORS = errorCodec({});

export const KEY_STORE_SCHEMA = `
  CREATE TABLE IF NOT EXISTS data_keys (
    key_id       TEXT PRIMARY KEY,
    wrapped      BLOB,
    kek_id       TEXT,
    created_at   TEXT NOT NULL,
    destroyed_at TEXT,
    CHECK ((wrapped IS NULL) = (destroyed_at IS NOT NULL))
  )
`;

export interface KeyRow {
  readonly key_id: string;
  /** A Buffer from this thread's connection; a Uint8Array once it has crossed from another thread. */
  readonly wrapped: Uint8Array | null;
  readonly kek_id: string | null;
  readonly destroyed_at: string | null;
}

/** A new data key, already wrapped (the KEKs never leave the main thread). */
export interface KeyCreation {
  readonly keyId: string;
  readonly wrapped: Uint8Array;
  readonly kekId: string;
  readonly createdAt: string;
}

/**
 * Stores a new data key unless one with its id exists, and answers the stored row: the new one, or
 * the one another process (or an earlier destroy) put there first. Runs inside a write transaction.
 */
export function keyCreator(db: Database.Database): (creation: KeyCreation) => KeyRow {
  const insert = db.prepare<[string, Uint8Array, string, string]>(
    'INSERT INTO data_keys (key_id, wrapped, kek_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key_id) DO NOTHING',
  );
  const select = db.prepare<[string], KeyRow>(
    'SELECT key_id, wrapped, kek_id, destroyed_at FROM data_keys WHERE key_id = ?',
  );
  return ({ keyId, wrapped, kekId, createdAt }) => {
    insert.run(keyId, wrapped, kekId, createdAt);
    return select.get(keyId)!;
  };
}
