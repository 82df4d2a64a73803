/**
 * Per-worker data keys (DEKs), kept apart from the events they protect. Deleting a key is
 * crypto-shredding: every copy of the personal data it encrypted becomes unreadable at once,
 * while the events themselves are never changed (DESIGN §4 rule 6).
 *
 * Implementations: SQLite (`DATA_DIR/keys.db`, the embedded default) and MongoDB (a `data_keys`
 * collection). An external KMS fits the same shape: keep each DEK wrapped by a KMS key and unwrap
 * it in `lookup` (AWS KMS GenerateDataKey/Decrypt, Alibaba Cloud KMS, a PKCS#11 HSM…).
 */
export type DataKeyLookup =
  | { readonly state: 'active'; readonly key: Buffer }
  | { readonly state: 'destroyed'; readonly destroyedAt: string }
  /** Never created: for data that was encrypted, the key store was lost or is the wrong one. */
  | { readonly state: 'missing' };

export interface KeyStore {
  /**
   * The active key of `keyId`, created (32 random bytes, durably stored) if there is none yet.
   * Throws KeyDestroyedError when the key was destroyed: a shredded key is never re-created.
   */
  getOrCreate(keyId: string): Promise<Buffer>;
  /**
   * The same answer as `getOrCreate`, for a key expected not to exist yet (a worker being registered):
   * it stores a new key at once, without looking first, and answers the stored one, which is another
   * key only when one was there already (a retry). Cheaper than `getOrCreate` for a new key.
   */
  createIfAbsent(keyId: string): Promise<Buffer>;
  /** Looks up many keys at once (one round trip where the backend allows). */
  lookup(keyIds: readonly string[]): Promise<Map<string, DataKeyLookup>>;
  /**
   * Destroys the key irrecoverably and remembers that it was destroyed (a tombstone without key
   * material). Idempotent. Once it returns, no later `lookup` returns the key.
   */
  destroy(keyId: string, destroyedAt: string): Promise<void>;
  close(): Promise<void>;
}

export class KeyDestroyedError extends Error {
  constructor(readonly keyId: string) {
    super(`the data key ${keyId} was destroyed (the worker was erased); it is never re-created`);
    this.name = 'KeyDestroyedError';
  }
}

export const KEY_STORE = Symbol('KeyStore');
