import {
  BadRequestException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { from, switchMap, type Observable } from 'rxjs';
import { ProjectionRunner } from '../../projections/projection-runner';
import { APP_CONFIG, type AppConfig } from '../config/config';

/**
 * Read-your-writes: a query given `?minPosition=N` (or `X-Min-Position: N`) waits, briefly, until
 * the read models reflect global position N; then 503 if they still do not.
 */
@Injectable()
export class ConsistencyInterceptor implements NestInterceptor {
  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (request.method !== 'GET') return next.handle();
    const raw = (request.query as Record<string, unknown>)?.minPosition ?? request.headers['x-min-position'];
    if (raw === undefined) return next.handle();
    const position = Number(raw);
    if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) {
      throw new BadRequestException({
        message: 'minPosition must be a non-negative whole number',
        field: 'minPosition',
      });
    }
    return from(this.runner.waitFor(position, this.config.consistencyWaitMs)).pipe(
      switchMap((reached) => {
        if (!reached) {
          throw new ServiceUnavailableException(
            `read models have not reached position ${position} within ${this.config.consistencyWaitMs} ms; retry shortly`,
          );
        }
        return next.handle();
      }),
    );
  }
}
