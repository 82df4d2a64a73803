import type { DocumentChange, ReadDocument, ReadStore } from '../application/ports/read-store';
import { DocumentCache } from './document-cache';
import type { ProjectionContext } from './projection';

/**
 * Collects a batch's writes in memory so the whole batch, and its checkpoint, commit in one
 * transaction. Reads see the batch's own writes first, then the runner's cache of earlier batches,
 * and only then the store (filling the cache).
 */
export class BatchContext implements ProjectionContext {
  private readonly pending = new Map<string, Map<string, ReadDocument | null>>();

  constructor(
    private readonly store: ReadStore,
    private readonly cache: DocumentCache = new DocumentCache(0),
  ) {}

  get<T extends ReadDocument>(collection: string, id: string): Promise<T | null> {
    const docs = this.pending.get(collection);
    if (docs?.has(id)) return Promise.resolve((docs.get(id) ?? null) as T | null);
    const cached = this.cache.get(collection, id);
    if (cached !== undefined) return Promise.resolve(cached as T | null);
    return this.store.get<T>(collection, id).then((doc) => {
      this.cache.fill(collection, id, doc);
      return doc;
    });
  }

  put(collection: string, id: string, doc: ReadDocument): void {
    this.docs(collection).set(id, doc);
  }

  delete(collection: string, id: string): void {
    this.docs(collection).set(id, null);
  }

  changes(): DocumentChange[] {
    const changes: DocumentChange[] = [];
    for (const [collection, docs] of this.pending) {
      for (const [id, doc] of docs) changes.push({ collection, id, doc });
    }
    return changes;
  }

  get size(): number {
    let size = 0;
    for (const docs of this.pending.values()) size += docs.size;
    return size;
  }

  private docs(collection: string): Map<string, ReadDocument | null> {
    let docs = this.pending.get(collection);
    if (!docs) this.pending.set(collection, (docs = new Map()));
    return docs;
  }
}
