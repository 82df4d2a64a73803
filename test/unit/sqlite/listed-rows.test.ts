import { idHash, ListedRows, type TableRows } from '../../../src/infrastructure/sqlite/bulk-load-writes';

/** A table's rows as a map from rowid to id, counting the ids read back. */
function tableOf(ids: Map<number, string>): TableRows & { readBack: number } {
  const table = {
    readBack: 0,
    idAt(rowid: number) {
      table.readBack += 1;
      return ids.get(rowid);
    },
    all: () => [...ids].map(([rowid, id]) => ({ rowid, id })),
  };
  return table;
}

describe('ListedRows', () => {
  it('finds a listed row by its id, once, and reads back only the rows whose hash matches', () => {
    const ids = new Map<number, string>();
    const listed = new ListedRows();
    for (let rowid = 1; rowid <= 5_000; rowid++) {
      ids.set(rowid, `w-${rowid}`);
      listed.add(`w-${rowid}`, rowid);
    }
    const table = tableOf(ids);
    expect(listed.take('w-4321', table)).toBe(4321);
    expect(table.readBack).toBe(1);
    // Taken off the list: a second look finds nothing (the map has it by then).
    expect(listed.take('w-4321', table)).toBeUndefined();
    expect(listed.take('never-listed', table)).toBeUndefined();
    expect(listed.size).toBe(4_999);
  });

  it('tells ids apart whose hashes are the same by the ids read back from their rows', () => {
    const ids = new Map<number, string>([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    // Every id the same hash: each look-up must confirm the id of each candidate row.
    const listed = new ListedRows(() => 7);
    for (const [rowid, id] of ids) listed.add(id, rowid);
    const table = tableOf(ids);
    expect(listed.take('a', table)).toBe(1);
    expect(listed.take('c', table)).toBe(3);
    expect(listed.take('a', table)).toBeUndefined();
    expect(listed.take('b', table)).toBe(2);
    expect(listed.take('d', table)).toBeUndefined();
    expect(listed.size).toBe(0);
  });

  it('grows past its first arrays without losing a row', () => {
    const listed = new ListedRows();
    const ids = new Map<number, string>();
    for (let rowid = 1; rowid <= 70_000; rowid++) {
      ids.set(rowid, `doc-${rowid}`);
      listed.add(`doc-${rowid}`, rowid);
    }
    const table = tableOf(ids);
    for (const rowid of [1, 1_024, 1_025, 65_536, 70_000])
      expect(listed.take(`doc-${rowid}`, table)).toBe(rowid);
  });

  it('hashes ids to 32-bit integers that differ for ids that differ in one character', () => {
    expect(Number.isInteger(idHash('w-1'))).toBe(true);
    expect(idHash('w-1')).toBe(idHash('w-1'));
    expect(idHash('w-1')).not.toBe(idHash('w-2'));
    expect(Math.abs(idHash('0fd67d36-2437-589c-8448-e8a3f891620a'))).toBeLessThan(2 ** 31);
  });
});
