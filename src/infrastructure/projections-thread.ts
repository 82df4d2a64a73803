import { Logger } from '@nestjs/common';
import type { Worker } from 'node:worker_threads';
import type { EventStore } from '../application/ports/event-store';
import { processTokenOfThisProcess } from '../projections/lease-guard';
import {
  PositionWaiters,
  type CommitListener,
  type FollowedReadModels,
} from '../projections/read-models-progress';
import type { AppConfig } from './config/config';
import type {
  FromProjectionsThread,
  ProjectionsThreadData,
  ToProjectionsThread,
} from './projections-thread-protocol';
import { startModuleThread } from './sqlite/module-thread';

/**
 * The thread's young generation, in MB (V8's default here is 32): under the benchmark's command load
 * 16 MB ran as fast (3,323–3,490 against 3,322–3,550 commands/s, alternating) with the thread's heap
 * 69–85 MB instead of ~90, room the service's memory target (≤ 512 MB at Shanghai scale) needs.
 */
const YOUNG_GENERATION_MB = 16;

const MAX_RESTART_BACKOFF_MS = 5_000;
/** How long `stop` waits for the thread to finish its batch and close its stores. */
const STOP_TIMEOUT_MS = 30_000;

/**
 * The service's projections, run by a thread of their own (projections-thread.worker.ts): projecting,
 * encoding and committing read models costs the main thread nothing, so it is left to requests. This
 * is the main thread's view of them: how far they have got (`checkpoint`, `waitFor`), whether they
 * vouch for seeing every change, and what their commits changed (`listen`, for the public view
 * cache), all told by the thread as it goes. The thread is woken by this process's appends; if it
 * dies, the read models are no longer vouched for and it is started again, with backoff.
 */
export class ProjectionsThread implements FollowedReadModels {
  private readonly logger = new Logger(ProjectionsThread.name);
  private readonly waiters = new PositionWaiters();
  private readonly listeners = new Set<CommitListener>();
  private thread: Worker | null = null;
  /** A thread started and not yet ready. */
  private starting: Worker | null = null;
  private position = 0;
  private vouchedUntil = 0;
  /** The lease holder of the running thread: dead once the thread is. */
  private holder: string | undefined;
  private readonly deadHolders: string[] = [];
  private stopped = false;
  private backoffMs = 100;
  private restartTimer: NodeJS.Timeout | null = null;
  private stopAppends: (() => void) | null = null;
  private toldAppended = false;

  constructor(
    private readonly config: AppConfig,
    private readonly eventStore: Pick<EventStore, 'onAppended'>,
  ) {}

  get checkpoint(): number {
    return this.position;
  }

  get seesEveryChange(): boolean {
    return this.thread !== null && Date.now() < this.vouchedUntil;
  }

  listen(listener: CommitListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return this.waiters.waitFor(position, timeoutMs);
  }

  /** Resolves once the thread follows the log (its read models prepared); rejects if it cannot start. */
  async start(): Promise<void> {
    this.stopped = false;
    this.stopAppends ??= this.eventStore.onAppended?.(() => this.appended()) ?? null;
    await this.launch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    this.stopAppends?.();
    this.stopAppends = null;
    // One being started again after a crash has nothing to finish yet.
    await this.starting?.terminate();
    this.starting = null;
    const thread = this.thread;
    if (thread) {
      const ended = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        thread.once('exit', done);
        thread.on('message', (message: FromProjectionsThread) => {
          if (message.type === 'stopped') done();
        });
      });
      thread.postMessage({ type: 'stop' } satisfies ToProjectionsThread);
      await ended;
      await thread.terminate();
    }
    this.unvouch();
    this.waiters.abandon();
  }

  private launch(): Promise<void> {
    const data: ProjectionsThreadData = {
      config: this.config,
      processToken: processTokenOfThisProcess(),
      deadHolders: this.deadHolders,
    };
    const thread = startModuleThread(__dirname, 'projections-thread.worker', data, {
      maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    });
    this.starting = thread;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      thread.on('message', (message: FromProjectionsThread) => {
        if (message.type === 'ready') {
          ready = true;
          this.starting = null;
          this.thread = thread;
          this.holder = message.holder;
          this.backoffMs = 100;
          this.vouchedUntil = message.vouchesUntil;
          this.advance(message.checkpoint);
          resolve();
        } else if (message.type === 'failed' && !ready) {
          void thread.terminate();
          reject(
            Object.assign(new Error(`the projections thread could not start: ${message.message}`), {
              stack: message.stack,
            }),
          );
        } else if (ready) {
          this.receive(message);
        }
      });
      thread.on('error', (error) => {
        if (!ready) reject(error);
        else this.logger.error(`the projections thread failed: ${error.message}`, error.stack);
      });
      thread.on('exit', (code) => {
        if (!ready) {
          if (this.starting === thread) this.starting = null;
          reject(new Error(`the projections thread exited (code ${code}) before it was ready`));
          return;
        }
        if (this.thread === thread) this.died(code);
      });
    });
  }

  private receive(message: FromProjectionsThread): void {
    switch (message.type) {
      case 'committed': {
        const changes = message.changes.map(([collection, id]) => ({ collection, id }));
        for (const listener of this.listeners) listener.committed(changes);
        return;
      }
      case 'forgotten':
        for (const listener of this.listeners) listener.forgotten();
        return;
      case 'reached':
        this.vouchedUntil = message.vouchesUntil;
        this.advance(message.position);
        return;
      case 'vouch':
        this.vouchedUntil = message.until;
        return;
      default:
        return;
    }
  }

  private advance(position: number): void {
    this.position = position;
    this.waiters.reached(position);
    for (const listener of this.listeners) listener.reached?.(position);
  }

  /** Appends made together are told once. */
  private appended(): void {
    if (this.toldAppended) return;
    this.toldAppended = true;
    setImmediate(() => {
      this.toldAppended = false;
      this.thread?.postMessage({ type: 'appended' } satisfies ToProjectionsThread);
    });
  }

  /** What the thread told may not hold any more: nothing it vouched for is relied on. */
  private unvouch(): void {
    this.thread = null;
    this.vouchedUntil = 0;
    for (const listener of this.listeners) listener.forgotten();
  }

  private died(code: number): void {
    this.unvouch();
    if (this.stopped) return;
    if (this.holder) this.deadHolders.push(this.holder);
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_RESTART_BACKOFF_MS);
    this.logger.error(`the projections thread exited (code ${code}); starting it again in ${delay} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.launch().catch((error: unknown) => {
        if (this.stopped) return;
        this.logger.error(`the projections thread could not start again: ${String(error)}`);
        this.died(1);
      });
    }, delay);
  }
}
