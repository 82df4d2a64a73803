import { closeSync, fsyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Writes every file under `dir` to the disk (fsync), so that the kernel is not still writing back a
 * data set just copied while the measurements run. Copying the Shanghai set leaves ~1.8 GB dirty in
 * the page cache, which the kernel writes back ~30 s later: during the first rebuild round. Flushed
 * first, that round took 0.55–1.49 s less in four pairs of five (docs/performance.md, item 111). A
 * service or `npm run rebuild` reads files that were not just copied.
 */
export function flushToDisk(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const fd = openSync(join(entry.parentPath ?? entry.path, entry.name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
