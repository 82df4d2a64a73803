import type { MessagePort } from 'node:worker_threads';
import type {
  Checkpoint,
  CollectionSpec,
  CommitOptions,
  DocumentChange,
  FilterValue,
  FindOptions,
  ReadDocument,
  ReadStore,
} from '../application/ports/read-store';
import { encodeChanges, type EncodedChange, type SqliteReadStore } from './sqlite/sqlite-read-store';

/**
 * What a rebuild thread that hands collections off sends the thread that takes them, in order. No
 * write is answered: a failure to write fails the taking thread, and with it the rebuild.
 */
export type HandOffMessage =
  | { readonly type: 'ensure'; readonly specs: readonly CollectionSpec[] }
  | { readonly type: 'commit'; readonly changes: readonly EncodedChange[] }
  | { readonly type: 'reset'; readonly collections: readonly string[] }
  | { readonly type: 'get'; readonly id: number; readonly collection: string; readonly docId: string }
  /** Nothing more will come. */
  | { readonly type: 'end' };

/** The answer to a `get`: the document's JSON or null, or why it could not be read. */
export type HandOffAnswer =
  { readonly id: number; readonly json: string | null } | { readonly id: number; readonly failed: string };

/**
 * The read models of a rebuild thread (a bulk load) with some collections handed off to the other
 * rebuild thread's file: their documents are encoded here and sent there to be written, beside that
 * thread's own projecting; the rest are written here. The projections that fill the handed-off
 * collections still run here (they read the documents of the others), but the writing of their
 * documents (SQLite's inserts and commits) and their indexes move to the thread that has time left.
 * The other thread's file is copied in at the end, as it is for its own collections.
 *
 * A read of a handed-off document goes to the other thread, which answers after every write sent
 * before it (one port, in order), when its event loop next turns; the runner's cache of documents
 * makes such reads rare. A projection runner reads by id only: find and count on a handed-off
 * collection are refused.
 */
export class HandingOffReadStore implements ReadStore {
  private readonly handedOff: ReadonlySet<string>;
  private readonly reads = new Map<
    number,
    { resolve(json: string | null): void; reject(error: Error): void }
  >();
  private nextRead = 1;
  private ended = false;

  constructor(
    private readonly local: SqliteReadStore,
    private readonly port: MessagePort,
    collections: readonly string[],
  ) {
    this.handedOff = new Set(collections);
    port.on('message', (answer: HandOffAnswer) => {
      const read = this.reads.get(answer.id);
      if (!read) return;
      this.reads.delete(answer.id);
      if ('failed' in answer)
        read.reject(new Error(`reading a handed-off document failed: ${answer.failed}`));
      else read.resolve(answer.json);
    });
    // The other side closes it when it fails: a read waiting for an answer then fails too.
    port.on('close', () => {
      for (const read of this.reads.values())
        read.reject(new Error('the rebuild thread taking the collections went away'));
      this.reads.clear();
    });
    // Answers are awaited only while a read is pending; the port must not keep the thread alive.
    port.unref();
  }

  async ensureCollections(specs: readonly CollectionSpec[]): Promise<void> {
    const handed = specs.filter((spec) => this.handedOff.has(spec.name));
    if (handed.length > 0) this.send({ type: 'ensure', specs: handed });
    await this.local.ensureCollections(specs.filter((spec) => !this.handedOff.has(spec.name)));
  }

  async get<T extends ReadDocument>(collection: string, id: string): Promise<T | null> {
    if (!this.handedOff.has(collection)) return this.local.get<T>(collection, id);
    const readId = this.nextRead++;
    const json = await new Promise<string | null>((resolve, reject) => {
      this.reads.set(readId, { resolve, reject });
      this.port.ref();
      this.send({ type: 'get', id: readId, collection, docId: id });
    }).finally(() => {
      if (this.reads.size === 0) this.port.unref();
    });
    return json === null ? null : (JSON.parse(json) as T);
  }

  async find<T extends ReadDocument>(
    collection: string,
    filter: Readonly<Record<string, FilterValue>>,
    options?: FindOptions,
  ): Promise<T[]> {
    this.refuseHandedOff(collection, 'find');
    return this.local.find<T>(collection, filter, options);
  }

  async count(collection: string, filter: Readonly<Record<string, FilterValue>>): Promise<number> {
    this.refuseHandedOff(collection, 'count');
    return this.local.count(collection, filter);
  }

  /** The handed-off changes are sent (the checkpoints stay here), the others committed here. */
  async commit(
    changes: readonly DocumentChange[],
    checkpoints: readonly Checkpoint[],
    options?: CommitOptions,
  ): Promise<void> {
    const handed = changes.filter((change) => this.handedOff.has(change.collection));
    // Encoded before anything is written here: a bad change throws first.
    const encoded = handed.length > 0 ? encodeChanges(handed) : [];
    await this.local.commit(
      handed.length > 0 ? changes.filter((change) => !this.handedOff.has(change.collection)) : changes,
      checkpoints,
      options,
    );
    if (encoded.length > 0) this.send({ type: 'commit', changes: encoded });
  }

  getCheckpoint(projection: string): Promise<number> {
    return this.local.getCheckpoint(projection);
  }

  async reset(collections: readonly string[], projections: readonly string[]): Promise<void> {
    const handed = collections.filter((collection) => this.handedOff.has(collection));
    if (handed.length > 0) this.send({ type: 'reset', collections: handed });
    await this.local.reset(
      collections.filter((collection) => !this.handedOff.has(collection)),
      projections,
    );
  }

  /** Tells the other thread that nothing more will come; it then finishes its file. */
  end(): void {
    this.send({ type: 'end' });
    this.ended = true;
  }

  async close(): Promise<void> {
    this.port.close();
    await this.local.close();
  }

  private send(message: HandOffMessage): void {
    if (this.ended) throw new Error('the collections handed off were already ended');
    this.port.postMessage(message);
  }

  private refuseHandedOff(collection: string, call: string): void {
    if (this.handedOff.has(collection)) {
      throw new Error(`${call} on ${collection}, handed off to the other rebuild thread, is not offered`);
    }
  }
}

/**
 * The other side: writes what a HandingOffReadStore sends into `store`, in the order sent, whenever
 * this thread's event loop turns (a catch-up lets it turn between the pieces it reads), and answers
 * its reads. Resolves once told that nothing more will come and all of it is written; rejects with
 * the first failure (nothing after it is written).
 */
export function takeHandedOff(port: MessagePort, store: SqliteReadStore): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let failure: Error | null = null;
    let ended = false;
    const fail = (error: unknown) => {
      if (failure || ended) return;
      failure = error instanceof Error ? error : new Error(String(error));
      port.close();
      reject(failure);
    };
    let queue: Promise<void> = Promise.resolve();
    port.on('message', (message: HandOffMessage) => {
      queue = queue.then(async () => {
        if (failure) return;
        if (message.type === 'get') {
          try {
            const doc = await store.get(message.collection, message.docId);
            port.postMessage({ id: message.id, json: doc === null ? null : JSON.stringify(doc) });
          } catch (error) {
            port.postMessage({ id: message.id, failed: (error as Error).message });
            fail(error);
          }
          return;
        }
        try {
          if (message.type === 'ensure') await store.ensureCollections(message.specs);
          else if (message.type === 'commit') await store.commitEncoded(message.changes, []);
          else if (message.type === 'reset') await store.reset(message.collections, []);
          else {
            ended = true;
            port.close();
            resolve();
          }
        } catch (error) {
          fail(error);
        }
      });
    });
    port.on('close', () =>
      fail(new Error('the rebuild thread handing collections off went away before their end')),
    );
  });
}
