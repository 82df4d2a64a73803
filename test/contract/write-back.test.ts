import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeBackWhileFilled } from '../../src/infrastructure/sqlite/write-back';

// The module object itself (a namespace import's bindings cannot be spied on).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

describe('writing a file back to the disk while another thread fills it (a rebuild)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'write-back-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => jest.restoreAllMocks());

  async function until(condition: () => boolean): Promise<void> {
    for (let waited = 0; !condition(); waited += 5) {
      if (waited > 10_000) throw new Error('the condition never held');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  it('opens the file once it exists, syncs it again and again, and stops syncing and closes it when stopped', async () => {
    const file = join(dir, 'filled.sqlite');
    const opened = jest.spyOn(fs, 'openSync');
    const synced = jest.spyOn(fs, 'fdatasync');
    const writeBack = writeBackWhileFilled(file, 5);
    let descriptors: number[];
    try {
      // Not made yet: nothing to sync.
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(synced).not.toHaveBeenCalled();

      appendFileSync(file, 'pages written without a sync');
      await until(() => synced.mock.calls.length >= 3);
      descriptors = opened.mock.calls.flatMap(([path], i) =>
        path === file && opened.mock.results[i]!.type === 'return'
          ? [opened.mock.results[i]!.value as number]
          : [],
      );
      expect(descriptors).toHaveLength(1); // opened once it existed, then kept open
      expect(new Set(synced.mock.calls.map(([fd]) => fd))).toEqual(new Set(descriptors));
    } finally {
      await writeBack.stop();
    }
    const calls = synced.mock.calls.length;
    expect(() => fs.fstatSync(descriptors[0]!)).toThrow(/EBADF/);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(synced.mock.calls.length).toBe(calls);
  });

  it('stops cleanly when the file never appeared, and may be stopped twice', async () => {
    const synced = jest.spyOn(fs, 'fdatasync');
    const writeBack = writeBackWhileFilled(join(dir, 'never-made.sqlite'), 5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    await writeBack.stop();
    await writeBack.stop();
    expect(synced).not.toHaveBeenCalled();
  });
});
