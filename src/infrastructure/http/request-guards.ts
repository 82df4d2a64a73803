import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from './auth';
import { ConsistencyGuard } from './consistency.guard';
import { IdempotencyGuard } from './idempotency.guard';
import { PublicRateLimitGuard } from './public-rate-limit';

/**
 * The global guards, one after the other in this order: who is asking, the public write limit,
 * read-your-writes (GET), then the Idempotency-Key's claim (writes), so that nothing is written for
 * a request refused before it. Each refuses by throwing. One guard registered with Nest rather than
 * four: Nest's guard pipeline costs every request per guard it runs (a context and a promise each),
 * and a guard with nothing to do here answers at once.
 */
@Injectable()
export class RequestGuards implements CanActivate {
  constructor(
    private readonly auth: AuthGuard,
    private readonly publicWriteLimit: PublicRateLimitGuard,
    private readonly consistency: ConsistencyGuard,
    private readonly idempotency: IdempotencyGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!(await this.auth.canActivate(context))) return false;
    if (!this.publicWriteLimit.canActivate(context)) return false;
    const waited = this.consistency.canActivate(context);
    if (waited !== true && !(await waited)) return false;
    const claimed = this.idempotency.canActivate(context);
    return claimed === true || claimed.then((allowed) => allowed);
  }
}
