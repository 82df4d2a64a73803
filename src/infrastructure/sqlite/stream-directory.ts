import type Database from 'better-sqlite3';

/**
 * The streams of a bulk load into an event file, by id, in memory every thread of the load shares:
 * the file's own index of stream ids is built once at the end instead of being written as the load
 * goes (see SqliteEventStoreOptions.bulkLoad).
 *
 * Why: stream ids are random, so each new stream changed one random leaf of that index, and every
 * commit wrote each changed leaf again to the write-ahead log. Inserting the Shanghai set's 855,000
 * stream ids 13 to a transaction took 16–18 s with the index, 2.6 s without it and 1.5 s to build it
 * after (docs/performance.md, item 91).
 *
 * Only the writer thread adds, once a stream's first append has committed; the other threads look up
 * without locks. An entry is an id's 64-bit fingerprint and the stream's number (open addressing,
 * probed linearly, never removed): a look-up answers the numbers whose fingerprint matches, and the
 * caller checks each against the file, so two ids with one fingerprint are told apart. A look-up
 * made while an entry is being added may miss it, like a read that began just before its commit.
 *
 * When it is three-quarters full, or a number does not fit, the writer builds the file's index and
 * closes the directory; from then on everyone uses the index.
 */
export class StreamDirectory {
  private readonly words: Int32Array;
  private readonly mask: number;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.mask = (this.words.length - HEADER) / SLOT - 1;
  }

  /** A new, empty directory of at least `slots` slots (rounded up to a power of two). */
  static create(slots: number): StreamDirectory {
    let size = 16;
    while (size < slots) size *= 2;
    return new StreamDirectory(new SharedArrayBuffer((HEADER + size * SLOT) * 4));
  }

  /** The directory another thread created (its `buffer`). */
  static over(buffer: SharedArrayBuffer): StreamDirectory {
    return new StreamDirectory(buffer);
  }

  /** Closed: the file's index holds every stream, and this directory no longer grows. */
  get closed(): boolean {
    return Atomics.load(this.words, CLOSED) !== 0;
  }

  close(): void {
    Atomics.store(this.words, CLOSED, 1);
  }

  /**
   * The stream's number: the first whose fingerprint matches and that `isStream` accepts (the caller
   * checks the file); undefined if none does.
   */
  find(streamId: string, isStream: (key: number) => boolean): number | undefined {
    const [high, low] = fingerprint(streamId);
    const { words, mask } = this;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const at = HEADER + slot * SLOT;
      const slotHigh = Atomics.load(words, at);
      if (slotHigh === 0) return undefined;
      if (slotHigh === high && words[at + 1] === low) {
        const key = words[at + 2]!;
        if (isStream(key)) return key;
      }
    }
  }

  /**
   * Adds a stream whose first append has committed (the writer thread only). False, adding nothing,
   * when the directory is too full or the number too large: the writer then builds the file's index
   * and closes it.
   */
  add(streamId: string, key: number): boolean {
    const { words, mask } = this;
    const count = words[COUNT]!;
    if (count + 1 > ((mask + 1) * 3) / 4 || !Number.isSafeInteger(key) || key < 0 || key > MAX_KEY) {
      return false;
    }
    const [high, low] = fingerprint(streamId);
    let slot = low & mask;
    while (words[HEADER + slot * SLOT] !== 0) slot = (slot + 1) & mask;
    const at = HEADER + slot * SLOT;
    words[at + 2] = key;
    words[at + 1] = low;
    // Last, and atomically: a reader takes a slot with no high word for an empty one.
    Atomics.store(words, at, high);
    words[COUNT] = count + 1;
    return true;
  }
}

/**
 * Finds a stream's number through the directory, each candidate checked against the file's `streams`
 * table (a look-up by number), alike for the writer thread and the stores that share it.
 */
export function directoryLookup(
  db: Database.Database,
  directory: StreamDirectory,
): (streamId: string) => number | undefined {
  const isNumbered = db
    .prepare<[number, string], number>('SELECT 1 FROM streams WHERE key = ? AND stream_id = ?')
    .pluck();
  return (streamId) => directory.find(streamId, (key) => isNumbered.get(key, streamId) !== undefined);
}

/** Header words: whether it is closed, and how many entries it holds. */
const CLOSED = 0;
const COUNT = 1;
const HEADER = 2;
/** Words a slot takes: the fingerprint's high and low words, and the stream's number. */
const SLOT = 3;
const MAX_KEY = 0x7fff_ffff;

/** Two 32-bit FNV-1a hashes of the id from different offsets, mixed; the high one never 0 (an empty slot). */
function fingerprint(streamId: string): [high: number, low: number] {
  let high = 0x811c9dc5;
  let low = 0x050c5d1f;
  for (let i = 0; i < streamId.length; i++) {
    const code = streamId.charCodeAt(i);
    high = Math.imul(high ^ code, 0x01000193);
    low = Math.imul(low ^ code, 0x01000193) ^ (low >>> 15);
  }
  high = mix(high);
  return [high === 0 ? 1 : high, mix(low)];
}

/** MurmurHash3's finaliser: every bit of the result depends on every bit of the hash. */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}
