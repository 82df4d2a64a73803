import os from 'node:os';
import { warmFreeMemory } from '../../../bench/warm-memory';

describe('warming free memory before a rebuild round', () => {
  afterEach(() => jest.restoreAllMocks());

  it('writes every page of what it takes: the child holds it all in resident memory', () => {
    const warmed = warmFreeMemory(96);
    expect(warmed.megabytes).toBe(96);
    expect(warmed.residentMegabytes).toBeGreaterThanOrEqual(96);
    expect(warmed.seconds).toBeGreaterThan(0);
  });

  it('never takes more than half of the memory free at the time', () => {
    jest.spyOn(os, 'freemem').mockReturnValue(80 * 1024 * 1024);
    const warmed = warmFreeMemory(3_072);
    expect(warmed.megabytes).toBe(40);
    expect(warmed.residentMegabytes).toBeGreaterThanOrEqual(40);
  });
});
