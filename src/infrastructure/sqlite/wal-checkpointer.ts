import type { Worker } from 'node:worker_threads';
import { nestLogger } from '../../projections/nest-logger';
import { startModuleThread } from './module-thread';

/**
 * How often the checkpointer copies each log into its file: under a full command load about 1,000
 * pages of the event log every 200 ms, which is when its writer would copy them itself.
 */
const INTERVAL_MS = 200;

export interface WalCheckpointerData {
  readonly files: readonly string[];
  readonly intervalMs: number;
  /** Nice levels below the threads that answer requests (see lowerThisThreadsPriority). */
  readonly nice: number;
}

export type ToWalCheckpointer = { readonly type: 'close' };
export type FromWalCheckpointer =
  { readonly type: 'closed' } | { readonly type: 'failed'; readonly file: string; readonly message: string };

/**
 * Copies the write-ahead logs of busy SQLite files into the files from a thread of its own. Left to
 * SQLite, the connection that commits the 1,000th page of a log copies the whole log in the middle of
 * that commit: under load the event writer spent half its time there (a quarter for the projections
 * thread), writing and syncing pages while appends waited. This thread copies the logs beside them;
 * when a writer reaches its 1,000th page, little or nothing is left to copy, and the log starts over.
 *
 * (Copying less often, so that a page changed by many commits is copied once, spends less CPU, but
 * the log then starts over only when its writer checkpoints, and syncing the larger copies held up
 * the event writer's own syncs for up to 200 ms: measured, and left out.)
 */
export class WalCheckpointer {
  private readonly logger = nestLogger(WalCheckpointer.name);
  private closing: Promise<void> | null = null;
  private exited = false;

  private constructor(private readonly thread: Worker) {
    thread.on('exit', () => (this.exited = true));
    thread.on('message', (message: FromWalCheckpointer) => {
      if (message.type === 'failed') {
        this.logger.warn(`checkpoint of ${message.file} failed: ${message.message}`);
      }
    });
    thread.on('error', (error) => this.logger.warn(`the WAL checkpointer stopped: ${error.message}`));
    // Never what keeps a process alive.
    thread.unref();
  }

  static start(
    files: readonly string[],
    options: { intervalMs?: number; nice?: number } = {},
  ): WalCheckpointer {
    const data: WalCheckpointerData = {
      files,
      intervalMs: options.intervalMs ?? INTERVAL_MS,
      nice: options.nice ?? 0,
    };
    return new WalCheckpointer(
      startModuleThread(__dirname, 'wal-checkpointer.worker', data, { maxYoungGenerationSizeMb: 4 }),
    );
  }

  /** Closes its connections (the last one to close a file copies its whole log in) and ends the thread. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.exited) return resolve();
      this.thread.once('exit', () => resolve());
      this.thread.ref();
      this.thread.postMessage({ type: 'close' } satisfies ToWalCheckpointer);
    });
    return this.closing;
  }
}
