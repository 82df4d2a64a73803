import { close, fdatasync, openSync } from 'node:fs';

/** Stops the writing back: resolves once no sync is in flight and the file is no longer held open. */
export interface WriteBack {
  stop(): Promise<void>;
}

/**
 * Writes a file's pages back to the disk every `everyMs` while another thread fills it without syncs
 * (a rebuild's bulk load), so that the sync at its end finds little left to write. Linux keeps dirty
 * pages for up to 30 s, or until a tenth of memory is dirty: without this, the whole file (~690 MB of
 * read models at Shanghai scale) was written by the rebuild's last sync, 0.5–0.8 s at its very end.
 * The syncs run on libuv's thread pool; this thread only starts them, one at a time.
 *
 * The file need not exist yet (it is opened once it does). A failed sync is not an error: it only
 * leaves more for the sync at the end, which is the one that makes the file durable.
 */
export function writeBackWhileFilled(file: string, everyMs: number): WriteBack {
  let fd: number | null = null;
  let inFlight: Promise<void> | null = null;
  const tick = (): void => {
    if (inFlight) return;
    if (fd === null) {
      try {
        fd = openSync(file, 'r');
      } catch {
        return; // not made yet
      }
    }
    const descriptor = fd;
    inFlight = new Promise<void>((resolve) => fdatasync(descriptor, () => resolve())).then(() => {
      inFlight = null;
    });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      if (fd !== null) {
        const descriptor = fd;
        fd = null;
        await new Promise<void>((resolve) => close(descriptor, () => resolve()));
      }
    },
  };
}
