import { DocumentCache, ExistenceFilter } from '../../../src/projections/document-cache';

describe('DocumentCache', () => {
  it('knows nothing at first: every answer is "unknown"', () => {
    const cache = new DocumentCache(10);
    expect(cache.get('certificates', 'c-1')).toBeUndefined();
  });

  it('answers committed documents and deletions (null: known not to exist)', () => {
    const cache = new DocumentCache(10);
    readBackOne(cache, 'certificates');
    readBackOne(cache, 'queue');
    cache.remember([
      { collection: 'certificates', id: 'c-1', doc: { id: 'c-1', status: 'issued' } },
      { collection: 'queue', id: 'c-1', doc: null },
    ]);
    expect(cache.get('certificates', 'c-1')).toEqual({ id: 'c-1', status: 'issued' });
    expect(cache.get('queue', 'c-1')).toBeNull();
    expect(cache.get('queue', 'c-2')).toBeUndefined();
  });

  it('keeps the commits of a collection only once it has read a document of it back from the store', () => {
    const cache = new DocumentCache(10);
    cache.remember([{ collection: 'workers', id: 'w-1', doc: { v: 1 } }]);
    expect(cache.get('workers', 'w-1')).toBeUndefined();
    // A read that found nothing is no document read back.
    cache.fill('workers', 'w-2', null);
    cache.remember([{ collection: 'workers', id: 'w-3', doc: { v: 1 } }]);
    expect(cache.get('workers', 'w-3')).toBeUndefined();
    // But what it holds never outlives a commit: the answer "w-2 does not exist" gives way to it.
    cache.remember([{ collection: 'workers', id: 'w-2', doc: { v: 1 } }]);
    expect(cache.get('workers', 'w-2')).toEqual({ v: 1 });
    cache.remember([{ collection: 'workers', id: 'w-2', doc: null }]);
    expect(cache.get('workers', 'w-2')).toBeNull();
    // A document read back: from now on this collection's commits are kept, and no other's.
    cache.fill('workers', 'w-1', { v: 1 });
    cache.remember([
      { collection: 'workers', id: 'w-1', doc: { v: 2 } },
      { collection: 'workers', id: 'w-4', doc: { v: 1 } },
      { collection: 'roster', id: 'w-4', doc: { v: 1 } },
    ]);
    expect(cache.get('workers', 'w-1')).toEqual({ v: 2 });
    expect(cache.get('workers', 'w-4')).toEqual({ v: 1 });
    expect(cache.get('roster', 'w-4')).toBeUndefined();
  });

  it('keeps collections apart', () => {
    const cache = new DocumentCache(10);
    cache.fill('workers', 'x', { id: 'x', kind: 'worker' });
    expect(cache.get('certificates', 'x')).toBeUndefined();
  });

  it('answers the latest version of a document', () => {
    const cache = new DocumentCache(4);
    readBackOne(cache, 'c');
    cache.remember([{ collection: 'c', id: 'a', doc: { v: 1 } }]); // the young generation rolls over
    cache.remember([{ collection: 'c', id: 'a', doc: { v: 2 } }]);
    expect(cache.get('c', 'a')).toEqual({ v: 2 });
  });

  it('stays bounded, forgetting the least recently used documents first', () => {
    const cache = new DocumentCache(100);
    for (let i = 0; i < 1000; i++) {
      cache.fill('c', `doc-${i}`, { i });
      // doc-0 is used all the time and stays.
      expect(cache.get('c', 'doc-0')).toEqual({ i: 0 });
    }
    expect(cache.get('c', 'doc-999')).toEqual({ i: 999 });
    expect(cache.get('c', 'doc-1')).toBeUndefined();
    let known = 0;
    for (let i = 0; i < 1000; i++) if (cache.get('c', `doc-${i}`) !== undefined) known++;
    expect(known).toBeLessThanOrEqual(100);
  });

  it('after a reset knows that documents it never wrote do not exist', () => {
    const cache = new DocumentCache(4);
    cache.startEmpty();
    expect(cache.get('c', 'never')).toBeNull();
    for (let i = 0; i < 100; i++) cache.remember([{ collection: 'c', id: `doc-${i}`, doc: { i } }]);
    // Forgotten by the bounded cache, but written: the store has it, so the cache must not say "absent".
    expect(cache.get('c', 'doc-1')).toBeUndefined();
    expect(cache.get('c', 'never')).toBeNull();
  });

  it('tells of a change about to be committed whether its document was written since the store was empty', () => {
    const cache = new DocumentCache(4);
    // Before a reset it cannot know.
    expect(cache.firstWrite('c', 'a', true)).toBeUndefined();
    cache.startEmpty();
    for (let i = 0; i < 100; i++) {
      const firstWrite = cache.firstWrite('c', `doc-${i}`, true);
      expect(firstWrite).toBe(true);
      cache.remember([{ collection: 'c', id: `doc-${i}`, doc: { i }, firstWrite }]);
    }
    // Written long ago and forgotten by the bounded cache: still known as written.
    expect(cache.firstWrite('c', 'doc-1', true)).toBe(false);
    // Committed without being asked about (remember alone): known as written too.
    cache.remember([{ collection: 'c', id: 'told', doc: { v: 1 } }]);
    expect(cache.firstWrite('c', 'told', true)).toBe(false);
    // A delete writes nothing: asking about one leaves the document unwritten.
    expect(cache.firstWrite('c', 'gone', false)).toBe(true);
    expect(cache.firstWrite('c', 'gone', false)).toBe(true);
    // A write counts as written from the moment it is asked about.
    expect(cache.firstWrite('c', 'new', true)).toBe(true);
    expect(cache.firstWrite('c', 'new', true)).toBe(false);
    expect(cache.firstWrite('other', 'new', true)).toBe(true);
    cache.clear();
    expect(cache.firstWrite('c', 'doc-1', true)).toBeUndefined();
  });

  it('holds more once grown (never fewer), and counts the reads from the store it was told of', () => {
    const cache = new DocumentCache(10);
    for (let i = 0; i < 100; i++) cache.fill('c', `old-${i}`, { i });
    expect(cache.takeFills()).toBe(100);
    expect(cache.takeFills()).toBe(0);
    cache.grow(5);
    expect(cache.limit).toBe(10);
    cache.grow(1_000);
    expect(cache.limit).toBe(1_000);
    for (let i = 0; i < 400; i++) cache.remember([{ collection: 'c', id: `doc-${i}`, doc: { i } }]);
    let known = 0;
    for (let i = 0; i < 400; i++) if (cache.get('c', `doc-${i}`) !== undefined) known++;
    expect(known).toBe(400);
    expect(cache.takeFills()).toBe(0); // what it committed is no read from the store
  });

  it('forgets everything, including what it knew about the empty store, when cleared', () => {
    const cache = new DocumentCache(10);
    cache.startEmpty();
    readBackOne(cache, 'c');
    cache.remember([{ collection: 'c', id: 'a', doc: { v: 1 } }]);
    expect(cache.get('c', 'a')).toEqual({ v: 1 });
    cache.clear();
    expect(cache.get('c', 'a')).toBeUndefined();
    expect(cache.get('c', 'never')).toBeUndefined();
    // And which collections it read back: their commits are no longer kept.
    cache.remember([{ collection: 'c', id: 'b', doc: { v: 1 } }]);
    expect(cache.get('c', 'b')).toBeUndefined();
  });
});

/** As a read from the store that found a document: the cache keeps the collection's commits from now on. */
function readBackOne(cache: DocumentCache, collection: string): void {
  cache.fill(collection, 'read-back', { id: 'read-back' });
}

describe('ExistenceFilter', () => {
  it('never forgets an entry and rarely claims one it never saw', () => {
    const filter = new ExistenceFilter(20_000);
    for (let i = 0; i < 20_000; i++) filter.add('decisions', `event-${i}`);
    for (let i = 0; i < 20_000; i++) expect(filter.mightHave('decisions', `event-${i}`)).toBe(true);
    let falsePositives = 0;
    for (let i = 0; i < 20_000; i++) if (filter.mightHave('decisions', `other-${i}`)) falsePositives++;
    expect(falsePositives / 20_000).toBeLessThan(0.03);
    expect(filter.mightHave('certificates', 'event-1')).toBe(false);
  });

  it('keeps to about 1 % false positives when filled to its capacity', () => {
    // Each entry's probes share one block: a hash that spread them badly would show here.
    const filter = new ExistenceFilter(100_000);
    for (let i = 0; i < 100_000; i++) filter.add('workers', `worker-${i}`);
    let falsePositives = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mightHave('workers', `applicant-${i}`)) falsePositives++;
    expect(falsePositives / 100_000).toBeGreaterThan(0.002);
    expect(falsePositives / 100_000).toBeLessThan(0.015);
  });

  it('says when it holds as many entries as it was sized for, an entry added again counted once', () => {
    const filter = new ExistenceFilter(3);
    expect(filter.add('c', 'a')).toBe(true);
    expect(filter.add('c', 'b')).toBe(true);
    expect(filter.add('c', 'a')).toBe(false);
    expect(filter.full).toBe(false);
    expect(filter.add('c', 'c')).toBe(true);
    expect(filter.full).toBe(true);
  });
});
