import type { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { LeaseClaim, LeaseStore } from '../application/ports/lease-store';
import { nestLogger } from './nest-logger';

/**
 * What the projection runner asks of a lease: it applies batches only while `tryAcquire` has given it
 * a signal that has not aborted, and passes `claim` to every commit so the read store refuses a batch
 * from a holder that has lost the lease in the meantime (fencing).
 */
export interface ProjectionLease {
  /**
   * Takes the lease, or confirms this process still holds it. Resolves to a signal that aborts when
   * the lease is lost, or null while another process holds it (the caller stands by and asks again).
   */
  tryAcquire(): Promise<AbortSignal | null>;
  /** Fences each commit; undefined for a lease that never applies anything. */
  readonly claim: LeaseClaim | undefined;
  /** Tells the lease that a fenced commit was refused: it is no longer held. */
  lost(): void;
  /** Gives the lease up, so another process can take over at once. */
  release(): Promise<void>;
  /**
   * Until when (ms since the epoch) no other process can be applying batches, at the least: the lease
   * is held and was confirmed recently enough that it cannot have expired before then (it is only
   * ever taken over once expired). 0 when not held; absent: never sure.
   */
  surelyHeldUntil?(): number;
}

/** For a process that serves reads only: it never applies, it just follows the checkpoint. */
export const OBSERVE_ONLY: ProjectionLease = {
  claim: undefined,
  tryAcquire: async () => null,
  lost: () => undefined,
  release: async () => undefined,
};

export const DEFAULT_LEASE_TTL_MS = 15_000;

/** Holder ids created in this thread and still in use: never taken for dead. */
const liveHolders = new Set<string>();

/**
 * Begins the nonce of every holder id of this process, in all its threads (each thread has its own
 * copy of this module: a thread started by the process adopts the main thread's, see
 * `adoptProcessToken`), so that a holder with this pid but another token is an earlier run's.
 */
let processToken = randomBytes(4).toString('hex');

/** The token a thread of this process is given, to adopt as its own. */
export function processTokenOfThisProcess(): string {
  return processToken;
}

/** In a thread: holders of this process's other threads are alive, as the thread's own are. */
export function adoptProcessToken(token: string): void {
  if (!/^[0-9a-f]{8}$/.test(token)) throw new Error(`not a process token: ${token}`);
  processToken = token;
}

/** `host:pid:nonce`: unique per guard, and telling which machine, process and run hold a lease. */
export function newHolderId(host = hostname(), pid = process.pid): string {
  const id = `${host}:${pid}:${processToken}${randomBytes(4).toString('hex')}`;
  liveHolders.add(id);
  return id;
}

export function parseHolderId(holder: string): { host: string; pid: number; nonce: string } | null {
  const match = /^(.+):(\d+):([0-9a-f]+)$/.exec(holder);
  if (!match) return null;
  return { host: match[1]!, pid: Number(match[2]), nonce: match[3]! };
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `holder` ran on this machine and is certainly gone, so its lease need not be waited out:
 * its process no longer exists, or it had this very process id (a restarted container is pid 1 again)
 * without being one of this process's own holders (of any of its threads). A holder on another
 * machine is never judged.
 */
export function isDeadLocalHolder(
  holder: string,
  self: { host: string; pid: number } = { host: hostname(), pid: process.pid },
  isAlive: (pid: number) => boolean = processIsAlive,
): boolean {
  const parsed = parseHolderId(holder);
  if (parsed === null || parsed.host !== self.host || liveHolders.has(holder)) return false;
  if (parsed.pid === self.pid) return !parsed.nonce.startsWith(processToken);
  return !isAlive(parsed.pid);
}

export interface LeaseGuardOptions {
  /** The lease's name: the projection checkpoint it protects. */
  readonly name: string;
  readonly ttlMs?: number;
  readonly holder?: string;
  /** How often a standing-by process tries to take over; default a third of the ttl. */
  readonly retryMs?: number;
  readonly isDeadHolder?: (holder: string) => boolean;
  /** Where it reports taking, holding and losing the lease; default Nest's logger. */
  readonly logger?: Pick<Logger, 'log' | 'warn'>;
}

/**
 * Holds one lease in a LeaseStore for the projection runner: takes it when free (or when its holder
 * is known dead), renews it every third of its ttl, and reports its loss through an abort signal.
 */
export class LeaseGuard implements ProjectionLease {
  readonly claim: LeaseClaim;
  private readonly logger: Pick<Logger, 'log' | 'warn'>;
  private readonly retryMs: number;
  private readonly isDeadHolder: (holder: string) => boolean;
  private held: AbortController | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  /** Local time of the last confirmation that the lease is held. */
  private confirmedAt = 0;
  private nextAttemptAt = 0;
  private reportedHolder: string | null = null;

  constructor(
    private readonly store: LeaseStore,
    options: LeaseGuardOptions,
  ) {
    const ttlMs = options.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.claim = { name: options.name, holder: options.holder ?? newHolderId(), ttlMs };
    this.retryMs = options.retryMs ?? Math.max(1, Math.floor(ttlMs / 3));
    this.isDeadHolder = options.isDeadHolder ?? ((holder) => isDeadLocalHolder(holder));
    this.logger = options.logger ?? nestLogger('ProjectionLease');
  }

  get isHeld(): boolean {
    return this.held !== null;
  }

  /** Who held the lease when this guard last tried to take it (itself, once it holds it). */
  get lastHolder(): string | null {
    return this.reportedHolder;
  }

  surelyHeldUntil(): number {
    // Half the ttl: the stored expiry is at least a ttl after the renewal that set confirmedAt.
    return this.held === null ? 0 : this.confirmedAt + this.claim.ttlMs / 2;
  }

  async tryAcquire(): Promise<AbortSignal | null> {
    if (this.held) {
      if (await this.renew()) return this.held?.signal ?? null;
    }
    const now = Date.now();
    if (now < this.nextAttemptAt) return null;
    this.nextAttemptAt = now + this.retryMs;

    let state = await this.store.acquireLease(this.claim);
    if (!state.acquired && state.holder !== null && this.isDeadHolder(state.holder)) {
      this.logger.warn(
        `taking lease ${this.claim.name} over from ${state.holder}, which is no longer running`,
      );
      state = await this.store.acquireLease(this.claim, { replacing: state.holder });
    }
    if (!state.acquired) {
      if (state.holder !== this.reportedHolder) {
        this.logger.log(
          `standing by: lease ${this.claim.name} is held by ${state.holder ?? 'nobody'}; ` +
            `retrying every ${this.retryMs} ms`,
        );
        this.reportedHolder = state.holder;
      }
      return null;
    }
    this.reportedHolder = this.claim.holder;
    this.confirmedAt = Date.now();
    this.held = new AbortController();
    this.renewTimer = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.claim.ttlMs / 3)));
    this.renewTimer.unref();
    this.logger.log(`holding lease ${this.claim.name} as ${this.claim.holder}`);
    return this.held.signal;
  }

  lost(): void {
    this.lose('a commit found it taken over by another process');
  }

  async release(): Promise<void> {
    const wasHeld = this.held !== null;
    this.stopHolding();
    if (!wasHeld) return;
    try {
      await this.store.releaseLease(this.claim.name, this.claim.holder);
    } catch (error) {
      this.logger.warn(`could not release lease ${this.claim.name}; it lapses by itself: ${String(error)}`);
    }
  }

  /** True while held; a refusal, or no confirmation for two thirds of the ttl, loses the lease. */
  private async renew(): Promise<boolean> {
    if (!this.held) return false;
    try {
      if (await this.store.renewLease(this.claim)) {
        this.confirmedAt = Date.now();
        return this.held !== null;
      }
      this.lose('another process took it over');
      return false;
    } catch (error) {
      if (Date.now() - this.confirmedAt >= (this.claim.ttlMs * 2) / 3) {
        this.lose(`it could not be renewed in time (${String(error)})`);
        return false;
      }
      this.logger.warn(`renewing lease ${this.claim.name} failed, will retry: ${String(error)}`);
      return this.held !== null;
    }
  }

  private lose(reason: string): void {
    if (!this.held) return;
    this.stopHolding();
    this.nextAttemptAt = 0;
    this.logger.warn(`lost lease ${this.claim.name}: ${reason}; standing by`);
  }

  private stopHolding(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    const held = this.held;
    this.held = null;
    held?.abort();
  }
}
