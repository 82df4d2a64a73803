import {
  BadRequestException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { READ_MODELS_PROGRESS, type ReadModelsProgress } from '../../projections/read-models-progress';
import { APP_CONFIG, type AppConfig } from '../config/config';

const POSITION = /^\d{1,15}$/;

/**
 * The global position a query asks to read at least: `?minPosition=N`, else `X-Min-Position: N`;
 * undefined when it names none (and for anything but GET). 400 naming minPosition if malformed.
 */
export function requestedMinPosition(request: FastifyRequest): number | undefined {
  if (request.method !== 'GET') return undefined;
  const raw = (request.query as Record<string, unknown>)?.minPosition ?? request.headers['x-min-position'];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !POSITION.test(raw)) {
    throw new BadRequestException({
      message: 'minPosition must be a non-negative whole number',
      field: 'minPosition',
    });
  }
  return Number(raw);
}

/** Waits, briefly, until the read models reflect global position N; 503 if they still do not. */
export async function readModelsReach(
  progress: Pick<ReadModelsProgress, 'waitFor'>,
  position: number,
  waitMs: number,
): Promise<void> {
  if (await progress.waitFor(position, waitMs)) return;
  throw new ServiceUnavailableException(
    `read models have not reached position ${position} within ${waitMs} ms; retry shortly`,
  );
}

/**
 * Read-your-writes for every Nest route: a query given `?minPosition=N` (or `X-Min-Position: N`)
 * waits, briefly, until the read models reflect global position N; then 503 if they still do not.
 * A guard rather than an interceptor: it only ever acts before the handler, and every request pays
 * for each global interceptor (an rxjs pipeline and an async-context binding) even when it does
 * nothing. Registered after the AuthGuard, so a caller is known before it waits.
 */
@Injectable()
export class ConsistencyGuard implements CanActivate {
  constructor(
    @Inject(READ_MODELS_PROGRESS) private readonly progress: ReadModelsProgress,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** True at once unless the query names a position to wait for. */
  canActivate(context: ExecutionContext): true | Promise<boolean> {
    const position = requestedMinPosition(context.switchToHttp().getRequest<FastifyRequest>());
    if (position === undefined) return true;
    return readModelsReach(this.progress, position, this.config.consistencyWaitMs).then(() => true);
  }
}
