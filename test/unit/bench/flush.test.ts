import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flushToDisk } from '../../../bench/flush';

describe('flushing a copied data set to the disk before the benchmark measures', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hsc-flush-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('goes through nested directories, past empty ones and links, and leaves every file as it was', () => {
    mkdirSync(join(dir, 'secrets', 'keks'), { recursive: true });
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'events.db'), 'log');
    writeFileSync(join(dir, 'secrets', 'keks', 'current.key'), 'key');
    symlinkSync(join(dir, 'events.db'), join(dir, 'link.db'));
    flushToDisk(dir);
    expect(readFileSync(join(dir, 'events.db'), 'utf8')).toBe('log');
    expect(readFileSync(join(dir, 'secrets', 'keks', 'current.key'), 'utf8')).toBe('key');
  });

  it('fails on a directory that does not exist, rather than measure an unflushed copy', () => {
    expect(() => flushToDisk(join(dir, 'missing'))).toThrow(/ENOENT/);
  });
});
