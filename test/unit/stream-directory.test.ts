import { StreamDirectory } from '../../src/infrastructure/sqlite/stream-directory';

describe('StreamDirectory', () => {
  const always = (): boolean => true;

  it('finds the number of every stream added, and none for others', () => {
    const directory = StreamDirectory.create(4_096);
    const ids = Array.from({ length: 3_000 }, (_, i) => `worker-${i}`);
    ids.forEach((id, key) => expect(directory.add(id, key + 1)).toBe(true));

    ids.forEach((id, key) => expect(directory.find(id, always)).toBe(key + 1));
    expect(directory.find('worker-3000', always)).toBeUndefined();
    expect(directory.find('certificate-1', always)).toBeUndefined();
  });

  it('is shared: a view over its buffer (as another thread takes it) sees what was added', () => {
    const directory = StreamDirectory.create(64);
    const other = StreamDirectory.over(directory.buffer);
    directory.add('agency-1', 7);
    expect(other.find('agency-1', always)).toBe(7);
    expect(other.closed).toBe(false);
    directory.close();
    expect(other.closed).toBe(true);
  });

  it('answers the number the caller confirms when fingerprints match, and none if it confirms none', () => {
    const directory = StreamDirectory.create(64);
    // Two entries under one id stand for two ids whose fingerprints are equal.
    directory.add('worker-1', 3);
    directory.add('worker-1', 9);
    const asked: number[] = [];
    expect(directory.find('worker-1', (key) => (asked.push(key), key === 9))).toBe(9);
    expect(asked).toEqual([3, 9]);
    expect(directory.find('worker-1', () => false)).toBeUndefined();
  });

  it('takes no more once three-quarters full, nor a number beyond 2^31 - 1', () => {
    const directory = StreamDirectory.create(16);
    for (let i = 0; i < 12; i++) expect(directory.add(`s-${i}`, i)).toBe(true);
    expect(directory.add('s-12', 12)).toBe(false);
    expect(directory.find('s-12', always)).toBeUndefined();
    expect(directory.find('s-11', always)).toBe(11);

    const roomy = StreamDirectory.create(16);
    expect(roomy.add('big', 2 ** 31)).toBe(false);
    expect(roomy.add('largest', 2 ** 31 - 1)).toBe(true);
    expect(roomy.find('largest', always)).toBe(2 ** 31 - 1);
  });
});
