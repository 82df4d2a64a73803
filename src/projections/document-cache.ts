import type { DocumentChange, ReadDocument } from '../application/ports/read-store';

/** A cache answer: the document, or null when it is known not to exist; undefined when unknown. */
export type Cached = ReadDocument | null | undefined;

type Generation = Map<string, Map<string, ReadDocument | null>>;

/**
 * The projection runner's memory of read-model documents across batches, so a document that every
 * step of a certificate's life updates is read from the store once, not once per batch.
 *
 * It holds what the runner itself committed and what it read, so it is only right while this runner
 * is the read models' only writer: the runner clears it whenever that may not hold (an error, a lease
 * taken again). Bounded, with two generations (a cheap approximation of least-recently-used): when
 * the young one is full it becomes the old one and the previous old one is dropped.
 *
 * After a reset the store is empty, and then a document the runner never wrote does not exist. An
 * existence filter (a Bloom filter over every id written since the reset) answers that without a
 * query: "not in the filter" means "does not exist"; "maybe" falls back to the store.
 */
export class DocumentCache {
  private young: Generation = new Map();
  private old: Generation = new Map();
  private youngSize = 0;
  private written: ExistenceFilter | null = null;
  /** Reads from the store told (`fill`) since `takeFills` was last called. */
  private fills = 0;

  constructor(private capacity = 50_000) {}

  /** Holds up to `capacity` documents from now on, if that is more than it does. */
  grow(capacity: number): void {
    this.capacity = Math.max(this.capacity, capacity);
  }

  /** How many documents it holds at most. */
  get limit(): number {
    return this.capacity;
  }

  /** How many reads from the store it was told of since the last call: what it could not answer. */
  takeFills(): number {
    const fills = this.fills;
    this.fills = 0;
    return fills;
  }

  /** Forgets everything, e.g. when another writer may have changed the store. */
  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngSize = 0;
    this.written = null;
  }

  /** Forgets everything and knows that the store is empty (right after a reset). */
  startEmpty(): void {
    this.clear();
    this.written = new ExistenceFilter();
  }

  get(collection: string, id: string): Cached {
    const young = this.young.get(collection)?.get(id);
    if (young !== undefined) return young;
    const old = this.old.get(collection);
    const doc = old?.get(id);
    if (doc !== undefined) {
      this.put(collection, id, doc);
      return doc;
    }
    if (this.written && !this.written.mightHave(collection, id)) return null;
    return undefined;
  }

  /** What a read from the store found (null: nothing). */
  fill(collection: string, id: string, doc: ReadDocument | null): void {
    this.fills += 1;
    this.put(collection, id, doc);
  }

  /** What the runner committed. */
  remember(changes: readonly DocumentChange[]): void {
    for (const { collection, id, doc, firstWrite } of changes) {
      this.put(collection, id, doc);
      // A change that went through `firstWrite` is in the filter already.
      if (doc !== null && firstWrite === undefined) this.written?.add(collection, id);
    }
    if (this.written?.full) this.written = null;
  }

  /**
   * For a change about to be committed (DocumentChange.firstWrite): true when no document with this
   * id was written since the store was known empty, false when one may have been (by the existence
   * filter, so false a little more often than it should be), undefined when that is not known. A
   * write (`writing`) counts as written from now on, so ask once per change, just before committing it.
   */
  firstWrite(collection: string, id: string, writing: boolean): boolean | undefined {
    const written = this.written;
    if (!written) return undefined;
    return writing ? written.add(collection, id) : !written.mightHave(collection, id);
  }

  private put(collection: string, id: string, doc: ReadDocument | null): void {
    let docs = this.young.get(collection);
    if (!docs) this.young.set(collection, (docs = new Map()));
    const size = docs.size;
    docs.set(id, doc);
    if (docs.size > size && ++this.youngSize >= this.capacity / 2) {
      this.old = this.young;
      this.young = new Map();
      this.youngSize = 0;
    }
  }
}

/**
 * A Bloom filter over (collection, id): no false negatives, about 1 % false positives up to
 * `capacity` entries; past that it reports itself full and is dropped.
 */
export class ExistenceFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private count = 0;

  constructor(private readonly capacity = 8_000_000) {
    // 9.6 bits and 7 probes per entry give about 1 % false positives.
    this.size = Math.ceil(capacity * 9.6);
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Adds the entry; true when it was certainly not in the filter before (a bit was still clear). */
  add(collection: string, id: string): boolean {
    const [h1, h2] = hashes(collection, id);
    let added = false;
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.size;
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((this.bits[word]! & mask) === 0) {
        this.bits[word]! |= mask;
        added = true;
      }
    }
    // An entry added again (or indistinguishable from earlier ones) does not fill the filter further.
    if (added) this.count += 1;
    return added;
  }

  mightHave(collection: string, id: string): boolean {
    const [h1, h2] = hashes(collection, id);
    for (let i = 0; i < PROBES; i++) {
      const bit = (h1 + i * h2) % this.size;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

const PROBES = 7;

/** Two independent 32-bit FNV-1a style hashes of collection and id (double hashing). */
function hashes(collection: string, id: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ collection.length;
  for (let i = 0; i < collection.length; i++) {
    const c = collection.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 2246822519);
  }
  a = Math.imul(a ^ 0xff, 16777619);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 2246822519);
  }
  b ^= b >>> 15;
  b = Math.imul(b, 2654435761);
  // The step between probes must not be 0 (odd, so never); both kept unsigned.
  return [a >>> 0, (b | 1) >>> 0];
}
