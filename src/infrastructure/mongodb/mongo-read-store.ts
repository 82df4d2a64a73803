import { Logger } from '@nestjs/common';
import {
  MongoClient,
  MongoServerError,
  type AnyBulkWriteOperation,
  type ClientSession,
  type Collection,
  type Db,
  type TransactionOptions,
} from 'mongodb';
import {
  LeaseLostError,
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
import {
  GENERATION_DOC_ID,
  LEASES_COLLECTION,
  META_COLLECTION,
  checkCollectionName,
  checkCount,
  checkGeneration,
  checkpointWrite,
  checkpointsCollection,
  databaseNameOf,
  documentWrite,
  fromStoredPosition,
  generationOf,
  indexSpecs,
  isDocumentIndexName,
  physicalName,
  toQuery,
  toSort,
  type StoredDocument,
} from './mongo-mapping';

interface MetaDocument {
  _id: string;
  /** The generation readers use. */
  active?: number;
  /** A rebuild in progress writes into this generation. */
  staging?: number;
}

interface CheckpointDocument {
  _id: string;
  position: unknown;
}

interface LeaseDocument {
  _id: string;
  holder: string;
  expiresAt: Date;
}

export interface MongoReadStoreOptions {
  /** Database to use; default: the one named in the URL, else `hsc_registry`. */
  readonly database?: string;
  /** How long a live store trusts its cached generation before reading it again (ms). */
  readonly generationCacheMs?: number;
  /** Passed to the driver (tests shorten server selection). */
  readonly serverSelectionTimeoutMS?: number;
}

/** Code of MongoDB's duplicate-key error. */
const DUPLICATE_KEY = 11000;
/** Code of "collection already exists". */
const NAMESPACE_EXISTS = 48;

const TRANSACTION: TransactionOptions = {
  readConcern: { level: 'snapshot' },
  writeConcern: { w: 'majority' },
  readPreference: 'primary',
};

/** The generation changed under a live store while it built a commit; the commit wrote nothing. */
export class GenerationSwitchedError extends Error {
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    super(`read models were switched from generation ${from} to ${to}; the batch is retried on the new one`);
    this.name = 'GenerationSwitchedError';
  }
}

/**
 * ReadStore (and LeaseStore) on MongoDB through the official driver. It needs a replica set (or a
 * sharded cluster): every commit writes its documents, its checkpoint and its lease check in one
 * multi-document transaction with majority write concern.
 *
 * Documents keep the position of the batch that wrote them and are written conditionally on it, and
 * checkpoints only move forward, so an old batch replayed changes nothing. Collections are versioned
 * by a generation: a rebuild fills the next generation beside the live one, then switches readers
 * over (`beginRebuild`, `switchTo`, `dropGeneration`).
 */
export class MongoReadStore implements ReadStore, LeaseStore {
  private readonly logger = new Logger(MongoReadStore.name);
  /** Physical collections known to exist (ensured here or found in the database). */
  private readonly known = new Set<string>();
  private cachedGeneration: { value: number; until: number } | null = null;
  private closed = false;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly owner: boolean,
    /** Fixed for a staging view; undefined for the live store, which follows the meta document. */
    private readonly fixedGeneration: number | undefined,
    private readonly generationCacheMs: number,
  ) {}

  /** Connects and checks that the deployment can run transactions. */
  static async connect(url: string, options: MongoReadStoreOptions = {}): Promise<MongoReadStore> {
    const client = new MongoClient(url, {
      ignoreUndefined: true,
      retryWrites: true,
      writeConcern: { w: 'majority' },
      ...(options.serverSelectionTimeoutMS !== undefined
        ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS }
        : {}),
    });
    try {
      await client.connect();
      const db = client.db(options.database ?? databaseNameOf(url));
      const hello = await db.admin().command({ hello: 1 });
      if (typeof hello.setName !== 'string' && hello.msg !== 'isdbgrid') {
        throw new Error(
          'MongoDB at MONGODB_URL is a standalone server; the read store needs a replica set (or a sharded ' +
            'cluster) for transactions. Start mongod with --replSet and initiate it (see docs/production.md).',
        );
      }
      const store = new MongoReadStore(client, db, true, undefined, options.generationCacheMs ?? 1_000);
      await store.ensureInternalCollections();
      return store;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  async ensureCollections(specs: readonly CollectionSpec[]): Promise<void> {
    for (const spec of specs) {
      checkCollectionName(spec.name);
      indexSpecs(spec.indexes);
    }
    const generation = await this.generation();
    await this.createCollection(checkpointsCollection(generation));
    for (const spec of specs) {
      const name = physicalName(spec.name, generation);
      await this.createCollection(name);
      const wanted = indexSpecs(spec.indexes);
      // An index no longer declared is dropped: each one costs every write of the collection.
      const declared = new Set(wanted.map((index) => index.name));
      for (const index of await this.db.collection(name).listIndexes().toArray()) {
        const indexName = String(index.name);
        if (isDocumentIndexName(indexName) && !declared.has(indexName)) {
          await this.db.collection(name).dropIndex(indexName);
        }
      }
      if (wanted.length > 0) await this.db.collection(name).createIndexes(wanted);
    }
  }

  async get<T extends ReadDocument>(collection: string, id: string): Promise<T | null> {
    const found = await (await this.collection(collection)).findOne({ _id: id }, { projection: { d: 1 } });
    return found ? (found.d as T) : null;
  }

  async find<T extends ReadDocument>(
    collection: string,
    filter: Readonly<Record<string, FilterValue>>,
    options: FindOptions = {},
  ): Promise<T[]> {
    const target = await this.collection(collection);
    const query = toQuery(filter);
    const sort = toSort(options);
    const limit = checkCount('limit', options.limit);
    const offset = checkCount('offset', options.offset);
    // MongoDB reads a limit of 0 as "no limit".
    if (limit === 0) return [];
    let cursor = target.find(query, { projection: { d: 1 } }).sort(sort);
    if (offset !== undefined) cursor = cursor.skip(offset);
    if (limit !== undefined) cursor = cursor.limit(limit);
    const docs = await cursor.toArray();
    return docs.map((doc) => doc.d as T);
  }

  async count(collection: string, filter: Readonly<Record<string, FilterValue>>): Promise<number> {
    return (await this.collection(collection)).countDocuments(toQuery(filter));
  }

  async commit(
    changes: readonly DocumentChange[],
    checkpoints: readonly Checkpoint[],
    options: CommitOptions = {},
  ): Promise<void> {
    const generation = await this.generation();
    for (const { projection, position } of checkpoints) {
      if (typeof projection !== 'string' || !Number.isSafeInteger(position) || position < 0) {
        throw new Error(`Invalid checkpoint ${JSON.stringify({ projection, position })}`);
      }
    }
    const position = checkpoints.length > 0 ? Math.max(...checkpoints.map((c) => c.position)) : null;
    // Everything is resolved and validated before the transaction starts, so a bad change writes nothing.
    const writes = new Map<string, AnyBulkWriteOperation<StoredDocument>[]>();
    for (const change of changes) {
      const name = await this.physical(change.collection, generation);
      let ops = writes.get(name);
      if (!ops) writes.set(name, (ops = []));
      ops.push(documentWrite(change.id, change.doc, position));
    }
    const { lease } = options;
    await this.client.withSession((session) =>
      session.withTransaction(async () => {
        if (lease !== undefined && !(await this.renew(lease, session))) {
          throw new LeaseLostError(lease.name, lease.holder);
        }
        if (this.fixedGeneration === undefined) {
          const meta = await this.meta().findOne({ _id: GENERATION_DOC_ID }, { session });
          const active = meta?.active ?? 1;
          if (active !== generation) {
            this.cachedGeneration = null;
            throw new GenerationSwitchedError(generation, active);
          }
        }
        for (const [name, ops] of writes) {
          await this.db.collection<StoredDocument>(name).bulkWrite(ops, { session, ordered: true });
        }
        const target = this.db.collection<CheckpointDocument>(checkpointsCollection(generation));
        for (const checkpoint of checkpoints) {
          await target.updateOne({ _id: checkpoint.projection }, checkpointWrite(checkpoint.position), {
            session,
            upsert: true,
          });
        }
      }, TRANSACTION),
    );
  }

  async getCheckpoint(projection: string): Promise<number> {
    const generation = await this.generation();
    const found = await this.db
      .collection<CheckpointDocument>(checkpointsCollection(generation), {
        readConcern: { level: 'majority' },
      })
      .findOne({ _id: projection });
    return fromStoredPosition(found?.position);
  }

  /**
   * Empties the collections and forgets the checkpoints. The checkpoints go first, so a reset cut
   * short leaves checkpoint 0 behind and the next start resets again.
   */
  async reset(collections: readonly string[], projections: readonly string[]): Promise<void> {
    const generation = await this.generation();
    const names = [];
    for (const collection of collections) names.push(await this.physical(collection, generation));
    await this.db
      .collection<CheckpointDocument>(checkpointsCollection(generation))
      .deleteMany({ _id: { $in: [...projections] } });
    for (const name of names) await this.db.collection(name).deleteMany({});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.owner) await this.client.close();
  }

  async acquireLease(claim: LeaseClaim, options: AcquireOptions = {}): Promise<LeaseState> {
    const { name, holder, ttlMs } = checkClaim(claim);
    const takeable: unknown[] = [{ $eq: ['$holder', holder] }, { $lte: ['$expiresAt', '$$NOW'] }];
    if (options.replacing !== undefined) takeable.push({ $eq: ['$holder', options.replacing] });
    try {
      const taken = await this.leases().findOneAndUpdate(
        { _id: name, $expr: { $or: takeable } },
        [{ $set: { holder, expiresAt: { $add: ['$$NOW', ttlMs] } } }],
        { upsert: true, returnDocument: 'after' },
      );
      if (taken?.holder === holder) {
        // A new holder may follow a rebuild's switch: read the generation afresh.
        this.cachedGeneration = null;
        return { acquired: true, holder, expiresAt: taken.expiresAt.getTime() };
      }
    } catch (error) {
      // The lease exists and is held by someone else: the upsert's insert collided with it.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
    const current = await this.leases().findOne({ _id: name });
    return {
      acquired: false,
      holder: current?.holder ?? null,
      expiresAt: current?.expiresAt?.getTime() ?? 0,
    };
  }

  async renewLease(claim: LeaseClaim): Promise<boolean> {
    return this.renew(checkClaim(claim));
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.leases().deleteOne({ _id: name, holder });
  }

  /** The generation a store from `beginRebuild` writes into; undefined for the live store. */
  get stagingGeneration(): number | undefined {
    return this.fixedGeneration;
  }

  /** The generation readers use now. */
  async activeGeneration(): Promise<number> {
    const meta = await this.meta().findOne({ _id: GENERATION_DOC_ID });
    return meta?.active ?? 1;
  }

  /**
   * Starts a rebuild beside the live read models: a store writing into the next generation, which
   * readers do not see until `switchTo`. Leftovers of an abandoned rebuild of that generation go first.
   */
  async beginRebuild(): Promise<MongoReadStore> {
    const meta = await this.meta().findOne({ _id: GENERATION_DOC_ID });
    const next = Math.max(meta?.active ?? 1, meta?.staging ?? 0) + 1;
    await this.dropGeneration(next);
    await this.meta().updateOne({ _id: GENERATION_DOC_ID }, { $set: { staging: next } }, { upsert: true });
    const staging = new MongoReadStore(this.client, this.db, false, next, this.generationCacheMs);
    await staging.createCollection(checkpointsCollection(next));
    return staging;
  }

  /** Makes a rebuilt generation the one readers use, in one write; answers the generation it replaced. */
  async switchTo(staging: ReadStore): Promise<number> {
    const next = staging instanceof MongoReadStore ? staging.fixedGeneration : undefined;
    if (next === undefined) throw new Error('switchTo needs a store from beginRebuild()');
    const previous = await this.activeGeneration();
    await this.meta().updateOne(
      { _id: GENERATION_DOC_ID },
      { $set: { active: next }, $unset: { staging: '' } },
      { upsert: true },
    );
    this.cachedGeneration = null;
    return previous;
  }

  /** Drops every collection of a generation (never the live one). */
  async dropGeneration(generation: number): Promise<string[]> {
    checkGeneration(generation);
    if (generation === (await this.activeGeneration())) {
      throw new Error(`generation ${generation} is the live one; it is not dropped`);
    }
    const dropped: string[] = [];
    for (const { name } of await this.db.listCollections({}, { nameOnly: true }).toArray()) {
      if (generationOf(name) === generation) {
        await this.db.dropCollection(name);
        this.known.delete(name);
        dropped.push(name);
      }
    }
    return dropped;
  }

  private async ensureInternalCollections(): Promise<void> {
    await this.createCollection(META_COLLECTION);
    await this.createCollection(LEASES_COLLECTION);
    // Created up front: a transaction is not where collections should come into being.
    await this.createCollection(checkpointsCollection(await this.generation()));
  }

  private async createCollection(name: string): Promise<void> {
    if (this.known.has(name)) return;
    try {
      await this.db.createCollection(name);
    } catch (error) {
      if (!(error instanceof MongoServerError && error.code === NAMESPACE_EXISTS)) throw error;
    }
    this.known.add(name);
  }

  private async generation(): Promise<number> {
    if (this.closed) throw new Error('MongoReadStore is closed');
    if (this.fixedGeneration !== undefined) return this.fixedGeneration;
    const now = Date.now();
    if (this.cachedGeneration && this.cachedGeneration.until > now) return this.cachedGeneration.value;
    const value = await this.activeGeneration();
    if (this.cachedGeneration && this.cachedGeneration.value !== value) {
      this.logger.log(`read models now served from generation ${value}`);
    }
    this.cachedGeneration = { value, until: now + this.generationCacheMs };
    return value;
  }

  private async collection(collection: string): Promise<Collection<StoredDocument>> {
    return this.db.collection<StoredDocument>(await this.physical(collection, await this.generation()));
  }

  /** The physical name of a collection that was ensured (here, or by another process). */
  private async physical(collection: string, generation: number): Promise<string> {
    const name = physicalName(collection, generation);
    if (!this.known.has(name)) {
      const exists = await this.db.listCollections({ name }, { nameOnly: true }).hasNext();
      if (!exists) {
        throw new Error(
          `Read collection ${JSON.stringify(collection)} was never ensured (ensureCollections)`,
        );
      }
      this.known.add(name);
    }
    return name;
  }

  private meta(): Collection<MetaDocument> {
    return this.db.collection<MetaDocument>(META_COLLECTION);
  }

  private leases(): Collection<LeaseDocument> {
    return this.db.collection<LeaseDocument>(LEASES_COLLECTION);
  }

  /** Extends the holder's unexpired lease, judged by the server's clock; false when not held. */
  private async renew({ name, holder, ttlMs }: LeaseClaim, session?: ClientSession): Promise<boolean> {
    const renewed = await this.leases().updateOne(
      { _id: name, holder, $expr: { $gt: ['$expiresAt', '$$NOW'] } },
      [{ $set: { expiresAt: { $add: ['$$NOW', ttlMs] } } }],
      session ? { session } : {},
    );
    return renewed.matchedCount === 1;
  }
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
