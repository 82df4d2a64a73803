import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { isIPv6 } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { isPublicWrite } from './auth';

const WINDOW_MS = 60_000;
/** Clients tracked at once; beyond it, newcomers share one allowance (memory stays bounded). */
const MAX_CLIENTS = 100_000;
const OVERFLOW = '\u0000overflow';

export interface LimitDecision {
  readonly allowed: boolean;
  /** Whole seconds until the client may make one more request (only meaningful when refused). */
  readonly retryAfterSeconds: number;
}

const ALLOWED: LimitDecision = Object.freeze({ allowed: true, retryAfterSeconds: 0 });

/**
 * The generic cell rate algorithm (a token bucket kept as one number per client): up to `limit`
 * requests at once, then one every `window / limit`, i.e. `limit` a minute sustained. Refused
 * requests cost nothing, so a client that waits Retry-After always gets the next one through.
 * A client whose bucket has refilled needs no entry at all, so idle clients are dropped when the
 * table is full; if it is still full, newcomers share one overflow allowance until entries expire.
 */
export class RateLimiter {
  /** Per client: the theoretical arrival time — when its bucket will be full again. */
  private readonly tat = new Map<string, number>();
  private readonly interval: number;
  private nextSweep = 0;

  constructor(
    limit: number,
    private readonly windowMs = WINDOW_MS,
    private readonly maxClients = MAX_CLIENTS,
    private readonly now: () => number = Date.now,
  ) {
    if (!(limit > 0)) throw new Error('a rate limit must be positive');
    this.interval = windowMs / limit;
  }

  hit(client: string): LimitDecision {
    const now = this.now();
    const key = this.tat.has(client) || this.hasRoom(now) ? client : OVERFLOW;
    const next = Math.max(this.tat.get(key) ?? now, now) + this.interval;
    const wait = next - now - this.windowMs;
    if (wait > 0) return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
    this.tat.set(key, next);
    return ALLOWED;
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.tat.size;
  }

  private hasRoom(now: number): boolean {
    if (this.tat.size < this.maxClients) return true;
    // Full: drop clients whose buckets have refilled (at most one sweep per interval, O(size)).
    if (now >= this.nextSweep) {
      this.nextSweep = now + this.interval;
      for (const [key, tat] of this.tat) if (tat <= now) this.tat.delete(key);
    }
    return this.tat.size < this.maxClients;
  }
}

/**
 * Who counts as one client: an IPv4 address, or an IPv6 /64 (one subscriber's whole prefix, which
 * they can otherwise rotate through at will). Behind a load balancer set TRUST_PROXY so this is the
 * real client, not the balancer.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * `PUBLIC_RATE_LIMIT` public requests per client per minute (0: no limit); 429 with Retry-After
 * beyond it. One instance, so every public route counts against the same allowance.
 */
@Injectable()
export class PublicRateLimit {
  private readonly limiter: RateLimiter | null;
  private readonly limit: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.limit = config.publicRateLimit;
    this.limiter = this.limit === 0 ? null : new RateLimiter(this.limit);
  }

  /** Counts one public request of this client; throws 429 (and sets Retry-After) beyond the limit. */
  enforce(request: FastifyRequest, reply: FastifyReply): void {
    if (!this.limiter) return;
    const decision = this.limiter.hit(clientKey(request.ip));
    if (decision.allowed) return;
    void reply.header('retry-after', String(decision.retryAfterSeconds));
    throw new HttpException(
      `too many requests: at most ${this.limit} a minute; retry in ${decision.retryAfterSeconds} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * The public limit on the Nest routes marked `@PublicWrite()` (the public verification route, a plain
 * Fastify route, calls `enforce` itself): the same instance, so reads and ratings share one allowance
 * per client. A global guard registered before the IdempotencyGuard, and guards run before the body
 * is validated: a refused request costs nothing but its count, and writes nothing.
 */
@Injectable()
export class PublicRateLimitGuard implements CanActivate {
  constructor(
    private readonly rateLimit: PublicRateLimit,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!isPublicWrite(this.reflector, context)) return true;
    const http = context.switchToHttp();
    this.rateLimit.enforce(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
    return true;
  }
}
