import { MongoClient, MongoServerError, type Binary, type Collection, type Db } from 'mongodb';
import { KeyDestroyedError, type DataKeyLookup, type KeyStore } from '../../application/ports/key-store';
import { checkKeyId, newDataKey, unwrapDataKey, wrapDataKey } from '../crypto/data-key-wrapping';
import type { KeyEncryptionKeys } from '../crypto/key-encryption-keys';

interface KeyDocument {
  _id: string;
  /** The data key wrapped by the KEK `kekId`; null once destroyed. */
  wrapped: Binary | Buffer | null;
  kekId: string | null;
  createdAt: string;
  destroyedAt: string | null;
}

export const DATA_KEYS_COLLECTION = 'data_keys';

function bytes(value: Binary | Buffer): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer);
}

/**
 * The key store on MongoDB: one document per data key in `data_keys`, wrapped by the KEK (which stays
 * on the application hosts, never in the database), so a database administrator or a dump reads no
 * personal data. Keep it in its own database with its own credentials and backup retention: erasure
 * is final in backups once they age out, or at the next KEK rotation.
 *
 * Destroying sets the wrapped key to null (a tombstone keeps the key from being re-created). MongoDB
 * may keep the old bytes in its journal and oplog for a while; they are wrapped by the KEK.
 */
export class MongoKeyStore implements KeyStore {
  private constructor(
    private readonly client: MongoClient,
    private readonly keys: Collection<KeyDocument>,
    private readonly keks: KeyEncryptionKeys,
  ) {}

  static async connect(
    url: string,
    keks: KeyEncryptionKeys,
    options: { database?: string; serverSelectionTimeoutMS?: number } = {},
  ): Promise<MongoKeyStore> {
    const client = new MongoClient(url, {
      retryWrites: true,
      writeConcern: { w: 'majority', journal: true },
      readConcern: { level: 'majority' },
      ...(options.serverSelectionTimeoutMS !== undefined
        ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS }
        : {}),
    });
    try {
      await client.connect();
      const db: Db = client.db(options.database ?? 'hsc_keys');
      return new MongoKeyStore(client, db.collection<KeyDocument>(DATA_KEYS_COLLECTION), keks);
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async getOrCreate(keyId: string): Promise<Buffer> {
    checkKeyId(keyId);
    const existing = await this.keys.findOne({ _id: keyId });
    if (existing) return this.activeKey(existing);
    return this.store(keyId);
  }

  async createIfAbsent(keyId: string): Promise<Buffer> {
    checkKeyId(keyId);
    return this.store(keyId);
  }

  /** Inserts a new key unless one exists (the unique _id decides); answers the stored key. */
  private async store(keyId: string): Promise<Buffer> {
    const dek = newDataKey();
    try {
      await this.keys.insertOne({
        _id: keyId,
        wrapped: wrapDataKey(this.keks.current, keyId, dek),
        kekId: this.keks.current.id,
        createdAt: new Date().toISOString(),
        destroyedAt: null,
      });
      return dek;
    } catch (error) {
      // Another writer created it first: use theirs, so both encrypt under the same key.
      dek.fill(0);
      if (!(error instanceof MongoServerError && error.code === 11000)) throw error;
      const stored = await this.keys.findOne({ _id: keyId });
      if (!stored) throw error;
      return this.activeKey(stored);
    }
  }

  async lookup(keyIds: readonly string[]): Promise<Map<string, DataKeyLookup>> {
    keyIds.forEach(checkKeyId);
    const ids = [...new Set(keyIds)];
    const found = new Map<string, DataKeyLookup>(ids.map((id) => [id, { state: 'missing' }]));
    for await (const doc of this.keys.find({ _id: { $in: ids } })) {
      found.set(
        doc._id,
        doc.destroyedAt !== null || doc.wrapped === null
          ? { state: 'destroyed', destroyedAt: doc.destroyedAt ?? '' }
          : { state: 'active', key: this.activeKey(doc) },
      );
    }
    return found;
  }

  async destroy(keyId: string, destroyedAt: string): Promise<void> {
    checkKeyId(keyId);
    await this.keys.updateOne(
      { _id: keyId },
      [
        {
          $set: {
            wrapped: null,
            kekId: null,
            destroyedAt: { $ifNull: ['$destroyedAt', destroyedAt] },
            createdAt: { $ifNull: ['$createdAt', destroyedAt] },
          },
        },
      ],
      { upsert: true },
    );
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private activeKey(doc: KeyDocument): Buffer {
    if (doc.destroyedAt !== null || doc.wrapped === null) throw new KeyDestroyedError(doc._id);
    return unwrapDataKey(this.keks, doc._id, doc.kekId, bytes(doc.wrapped));
  }
}
