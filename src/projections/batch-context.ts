import type { DocumentChange, ReadDocument, ReadStore } from '../application/ports/read-store';
import { DocumentCache } from './document-cache';
import type { ProjectionContext } from './projection';

/**
 * How many of these changes (from `BatchContext`, which asks the cache) are to documents that may
 * have been written before; 0 when that is not known.
 */
export function countWrittenBefore(changes: readonly DocumentChange[]): number {
  let count = 0;
  for (const change of changes) if (change.firstWrite === false) count += 1;
  return count;
}

interface Pending {
  doc: ReadDocument | null;
  /** The round it was last written in (see `takeSettled`). */
  round: number;
}

/**
 * Collects a batch's writes in memory so the whole batch, and its checkpoint, commit in one
 * transaction. Reads see the batch's own writes first, then the runner's cache of earlier batches,
 * and only then the store (filling the cache).
 */
export class BatchContext implements ProjectionContext {
  private readonly pending = new Map<string, Map<string, Pending>>();
  private round = 0;

  constructor(
    private readonly store: ReadStore,
    private readonly cache: DocumentCache = new DocumentCache(0),
  ) {}

  get<T extends ReadDocument>(collection: string, id: string): Promise<T | null> {
    const known = this.known<T>(collection, id);
    if (known !== undefined) return Promise.resolve(known);
    return this.store.get<T>(collection, id).then((doc) => {
      this.cache.fill(collection, id, doc);
      return doc;
    });
  }

  known<T extends ReadDocument>(collection: string, id: string): T | null | undefined {
    const entry = this.pending.get(collection)?.get(id);
    if (entry !== undefined) return entry.doc as T | null;
    return this.cache.get(collection, id) as T | null | undefined;
  }

  put(collection: string, id: string, doc: ReadDocument): void {
    this.write(collection, id, doc);
  }

  delete(collection: string, id: string): void {
    this.write(collection, id, null);
  }

  /** The batch's changes, to commit now (each told what the cache knows of its earlier writes). */
  changes(): DocumentChange[] {
    const changes: DocumentChange[] = [];
    this.pending.forEach((docs, collection) =>
      docs.forEach(({ doc }, id) => changes.push(this.change(collection, id, doc))),
    );
    return changes;
  }

  get size(): number {
    let size = 0;
    for (const docs of this.pending.values()) size += docs.size;
    return size;
  }

  /** Starts a new round of writes (a context kept across several batches counts them). */
  nextRound(): void {
    this.round += 1;
  }

  /**
   * Removes and answers the changes not written again in the last `rounds` rounds: documents whose
   * entities have gone quiet, unlike those still changing, which stay here to be written once later.
   */
  takeSettled(rounds: number): DocumentChange[] {
    const settled: DocumentChange[] = [];
    const last = this.round - rounds;
    // `forEach`, not `for…of`: a Map's iterator makes an [id, entry] pair for each entry it visits,
    // and a rebuild's first thread visits every document it holds at each of its ~300 rounds
    // (~270 MB of its allocations, docs/performance.md, item 130). Deleting the entry being visited
    // is allowed.
    this.pending.forEach((docs, collection) =>
      docs.forEach((entry, id) => {
        if (entry.round > last) return;
        settled.push(this.change(collection, id, entry.doc));
        docs.delete(id);
      }),
    );
    return settled;
  }

  /**
   * A change to commit, with `firstWrite` from the cache: a store that knows no document with the id
   * was written may insert it without looking for one (a rebuild's bulk load).
   */
  private change(collection: string, id: string, doc: ReadDocument | null): DocumentChange {
    return { collection, id, doc, firstWrite: this.cache.firstWrite(collection, id, doc !== null) };
  }

  /**
   * A document written again keeps its entry (and its place in the batch's order): a rebuild's first
   * thread writes ~3.6 million times, ~2.5 million of them to a document the batch holds already.
   */
  private write(collection: string, id: string, doc: ReadDocument | null): void {
    const docs = this.docs(collection);
    const entry = docs.get(id);
    if (entry === undefined) docs.set(id, { doc, round: this.round });
    else {
      entry.doc = doc;
      entry.round = this.round;
    }
  }

  private docs(collection: string): Map<string, Pending> {
    let docs = this.pending.get(collection);
    if (!docs) this.pending.set(collection, (docs = new Map()));
    return docs;
  }
}
