import { BSON, Long } from 'mongodb';
import {
  checkCollectionName,
  checkpointWrite,
  checkpointsCollection,
  databaseNameOf,
  documentWrite,
  fromStoredPosition,
  generationOf,
  indexSpecs,
  normalizeDocument,
  physicalName,
  toQuery,
  toSort,
  toStoredPosition,
} from '../../../src/infrastructure/mongodb/mongo-mapping';

describe('MongoDB collection names', () => {
  it('versions every collection and checkpoint set by generation', () => {
    expect(physicalName('certificates', 1)).toBe('certificates__v1');
    expect(physicalName('public_certificates', 12)).toBe('public_certificates__v12');
    expect(checkpointsCollection(3)).toBe('_checkpoints__v3');
    expect(generationOf('certificates__v12')).toBe(12);
    expect(generationOf('_checkpoints__v3')).toBe(3);
    expect(generationOf('_leases')).toBeNull();
  });

  it('refuses names that could clash with the versioning or are not plain identifiers', () => {
    for (const bad of ['', '_leases', 'a__v2', 'has space', 'dot.ted', '1st', 'x'.repeat(81)]) {
      expect(() => checkCollectionName(bad)).toThrow('Invalid collection name');
    }
    expect(() => physicalName('ok', 0)).toThrow('Invalid read-model generation');
  });
});

describe('MongoDB positions', () => {
  it('stores positions as 64-bit integers, which compare numerically', () => {
    const small = toStoredPosition(9);
    const big = toStoredPosition(10_000_000_000);
    expect(small).toBeInstanceOf(Long);
    expect(small.lessThan(big)).toBe(true);
    // As strings, "9" would sort after "10000000000": numbers must stay numbers in BSON.
    const bytes = BSON.serialize({ p: big });
    expect(BSON.deserialize(bytes, { promoteLongs: false }).p).toBeInstanceOf(Long);
    expect(toStoredPosition(Number.MAX_SAFE_INTEGER).toNumber()).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('reads positions back whatever numeric type the driver returns', () => {
    expect(fromStoredPosition(Long.fromNumber(42))).toBe(42);
    expect(fromStoredPosition(42)).toBe(42);
    expect(fromStoredPosition(42n)).toBe(42);
    expect(fromStoredPosition(undefined)).toBe(0);
    expect(fromStoredPosition(null)).toBe(0);
    expect(() => fromStoredPosition('42')).toThrow('Unexpected stored position');
  });

  it('refuses positions that are not whole non-negative numbers', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => toStoredPosition(bad)).toThrow('Invalid position');
    }
  });
});

describe('MongoDB documents', () => {
  it('keeps JSON semantics: undefined fields dropped, dates as ISO strings, nested values intact', () => {
    const doc = normalizeDocument({
      name: '张三丰',
      missing: undefined,
      at: new Date('2024-05-01T08:30:00.000Z'),
      nested: { list: [1, 'two', null, { deep: true }], empty: {} },
    });
    expect(doc).toEqual({
      name: '张三丰',
      at: '2024-05-01T08:30:00.000Z',
      nested: { list: [1, 'two', null, { deep: true }], empty: {} },
    });
    expect(Object.keys(doc)).not.toContain('missing');
  });

  it('writes a document conditionally on the batch position, so an older replay changes nothing', () => {
    const write = documentWrite('cert-1', { status: 'issued', note: '$not-an-expression' }, 120);
    expect(write).toEqual({
      updateOne: {
        filter: { _id: 'cert-1' },
        update: [
          {
            $replaceWith: {
              $cond: [
                { $lte: [{ $ifNull: ['$p', -1] }, { $literal: Long.fromNumber(120) }] },
                {
                  $literal: {
                    _id: 'cert-1',
                    d: { status: 'issued', note: '$not-an-expression' },
                    p: Long.fromNumber(120),
                  },
                },
                '$$ROOT',
              ],
            },
          },
        ],
        upsert: true,
      },
    });
  });

  it('writes a document as given when the commit carries no checkpoint, keeping its position', () => {
    expect(documentWrite('a', { v: 1 }, null)).toEqual({
      updateOne: { filter: { _id: 'a' }, update: { $set: { d: { v: 1 } } }, upsert: true },
    });
  });

  it('deletes conditionally on the position too', () => {
    expect(documentWrite('a', null, 7)).toEqual({
      deleteOne: {
        filter: { _id: 'a', $or: [{ p: { $exists: false } }, { p: { $lte: Long.fromNumber(7) } }] },
      },
    });
    expect(documentWrite('a', null, null)).toEqual({ deleteOne: { filter: { _id: 'a' } } });
  });

  it('moves checkpoints forward only', () => {
    expect(checkpointWrite(99)).toEqual([
      { $set: { position: { $max: ['$position', { $literal: Long.fromNumber(99) }] } } },
    ]);
  });
});

describe('MongoDB queries', () => {
  it('filters on the document fields, null matching a missing field as in the SQLite store', () => {
    expect(toQuery({})).toEqual({});
    expect(toQuery({ city: 'Beijing', age: 30, active: true, district: null })).toEqual({
      'd.city': 'Beijing',
      'd.age': 30,
      'd.active': true,
      'd.district': null,
    });
  });

  it('refuses field names and values that are not plain', () => {
    expect(() => toQuery({ 'a.b': 1 })).toThrow('Invalid field name');
    expect(() => toQuery({ $where: 1 })).toThrow('Invalid field name');
    expect(() => toQuery({ n: Number.NaN })).toThrow('Invalid filter value');
  });

  it('sorts by the field then the id, in the requested direction; by id by default', () => {
    expect(toSort({})).toEqual({ _id: 1 });
    expect(toSort({ direction: 'desc' })).toEqual({ _id: -1 });
    expect(toSort({ orderBy: 'id', direction: 'desc' })).toEqual({ _id: -1 });
    expect(Object.entries(toSort({ orderBy: 'age', direction: 'desc' }))).toEqual([
      ['d.age', -1],
      ['_id', -1],
    ]);
    expect(() => toSort({ direction: 'up' as 'asc' })).toThrow('Invalid sort direction');
  });

  it('names each index after its field, so creating it again at every start is a no-op', () => {
    expect(indexSpecs(['status', 'agencyId'])).toEqual([
      { key: { 'd.status': 1 }, name: 'd_status' },
      { key: { 'd.agencyId': 1 }, name: 'd_agencyId' },
    ]);
  });
});

describe('MongoDB connection strings', () => {
  it('takes the database from the path, else the default', () => {
    expect(databaseNameOf('mongodb://m1:27017,m2:27017,m3:27017/registry?replicaSet=rs0')).toBe('registry');
    expect(databaseNameOf('mongodb+srv://user:p%40ss@cluster.example.net/reg_prod')).toBe('reg_prod');
    expect(databaseNameOf('mongodb://localhost:27017/?replicaSet=rs0')).toBe('hsc_registry');
    expect(databaseNameOf('mongodb://localhost:27017')).toBe('hsc_registry');
  });
});
