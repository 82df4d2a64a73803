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
 *
 * It keeps what the runner commits only for the collections it has had to read a document of from
 * the store: one that was written, let go, and needed again. A rebuild holds each document until its
 * entity has gone quiet, so most collections' documents are never needed after they are written
 * (on the Shanghai set only the agencies and training providers are); keeping them for nothing made
 * V8 copy every one of them into the old generation (docs/performance.md, item 125).
 */
export class DocumentCache {
  private young: Generation = new Map();
  private old: Generation = new Map();
  private youngSize = 0;
  private written: ExistenceFilter | null = null;
  /** Reads from the store told (`fill`) since `takeFills` was last called. */
  private fills = 0;
  /** The collections a read from the store (`fill`) has found a document of: those it keeps commits of. */
  private readonly readBack = new Set<string>();

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
    this.readBack.clear();
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
    if (doc !== null) this.readBack.add(collection);
    this.put(collection, id, doc);
  }

  /**
   * What the runner committed: kept for the collections it has read a document of back from the store
   * (see the class), and wherever it holds an earlier answer, which must not outlive the change.
   */
  remember(changes: readonly DocumentChange[]): void {
    for (const { collection, id, doc, firstWrite } of changes) {
      if (this.readBack.has(collection) || this.holds(collection, id)) this.put(collection, id, doc);
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

  private holds(collection: string, id: string): boolean {
    return this.young.get(collection)?.has(id) === true || this.old.get(collection)?.has(id) === true;
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
 *
 * Blocked: an entry's probes all fall in one 64-byte block that its hash picks, so adding one
 * touches one or two CPU cache lines (as the array's start falls against them) instead of seven
 * places. A rebuild adds each of its ~1.2 million documents once, at its first write, and asks
 * about each before it.
 */
export class ExistenceFilter {
  private readonly bits: Uint32Array;
  private readonly blocks: number;
  private count = 0;

  constructor(private readonly capacity = 8_000_000) {
    // 10 bits and 7 probes per entry give about 1 % false positives in 512-bit blocks (a blocked
    // filter needs a little more room than a plain one for the same rate).
    this.blocks = Math.max(1, Math.ceil((capacity * 10) / BLOCK_BITS));
    this.bits = new Uint32Array(this.blocks * BLOCK_WORDS);
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  /** Adds the entry; true when it was certainly not in the filter before (a bit was still clear). */
  add(collection: string, id: string): boolean {
    let probe = hash(collection, id);
    const block = (probe % this.blocks) * BLOCK_WORDS;
    let added = false;
    for (let i = 0; i < PROBES; i++) {
      probe = nextProbe(probe);
      const word = block + (probe >>> 28);
      const mask = 1 << ((probe >>> 23) & 31);
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
    let probe = hash(collection, id);
    const block = (probe % this.blocks) * BLOCK_WORDS;
    for (let i = 0; i < PROBES; i++) {
      probe = nextProbe(probe);
      if ((this.bits[block + (probe >>> 28)]! & (1 << ((probe >>> 23) & 31))) === 0) return false;
    }
    return true;
  }
}

const PROBES = 7;
const BLOCK_BITS = 512;
const BLOCK_WORDS = BLOCK_BITS / 32;

/**
 * A 32-bit hash of collection and id: FNV-1a, then MurmurHash3's finalizer so that every bit depends
 * on every character. One hash serves the block and the probes: two ids it cannot tell apart are
 * rare even at the filter's capacity (~7,500 pairs in 8 million), and cost a false positive each.
 */
function hash(collection: string, id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < collection.length; i++) h = Math.imul(h ^ collection.charCodeAt(i), 16777619);
  h = Math.imul(h ^ 0xff, 16777619);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The next probe of an entry's block: a step of a full-period linear congruential generator, whose
 * top 9 bits (word and bit within the block) vary with every bit of the hash.
 */
function nextProbe(probe: number): number {
  return (Math.imul(probe, 0x2c1b3c6d) + 0x297a2d39) >>> 0;
}
