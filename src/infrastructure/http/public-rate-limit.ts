import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';

const WINDOW_MS = 60_000;

/** Fixed one-minute windows per client address; 429 with Retry-After when a window is used up. */
@Injectable()
export class PublicRateLimit implements CanActivate {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const limit = this.config.publicRateLimit;
    if (limit === 0) return true;
    const now = Date.now();
    if (now - this.windowStart >= WINDOW_MS) {
      this.windowStart = now;
      this.counts = new Map();
    }
    const http = context.switchToHttp();
    const client = http.getRequest<FastifyRequest>().ip;
    const count = (this.counts.get(client) ?? 0) + 1;
    this.counts.set(client, count);
    if (count <= limit) return true;
    const retryAfter = Math.max(1, Math.ceil((this.windowStart + WINDOW_MS - now) / 1000));
    void http.getResponse<FastifyReply>().header('retry-after', String(retryAfter));
    throw new HttpException(
      `too many requests: at most ${limit} a minute; retry in ${retryAfter} s`,
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}
