import { createHash } from 'node:crypto';
import {
  BadRequestException,
  Injectable,
  UnprocessableEntityException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { from, switchMap, type Observable } from 'rxjs';
import { derivedId } from '../../application/command-context';
import { CommandProcessor } from '../../application/command-processor';
import { streams } from '../../application/streams';
import { DomainError } from '../../domain/errors';
import { reservationDecider } from '../../domain/reservation';
import type { AuthenticatedRequest } from './auth';
import { BAD_KEY_MESSAGE, KEY_PATTERN } from './command-context.decorator';

/** JSON with object keys sorted, so the same body always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * An Idempotency-Key belongs to one request. The first use reserves the key (per caller) for the
 * request's fingerprint — method, path and body — in its own stream, created with no_stream like
 * any other unique key; a retry of the same request passes, the same key on a different request
 * is refused with 422 before anything else is written.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly processor: CommandProcessor) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const raw = request.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (request.method === 'GET' || key === undefined || !request.actor) return next.handle();
    if (!KEY_PATTERN.test(key)) throw new BadRequestException(BAD_KEY_MESSAGE);
    const actor = request.actor;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url.split('?')[0]}\n${canonical(request.body ?? null)}`)
      .digest('base64url');
    const claim = this.processor
      .execute(
        reservationDecider,
        streams.idempotencyKey(createHash('sha256').update(`${actor.id}\u0000${key}`).digest('base64url')),
        () => ({ type: 'ClaimKey' as const, data: { ownerId: fingerprint, what: 'this Idempotency-Key' } }),
        {
          actor,
          commandId: derivedId('idempotency-key', actor.id, key, fingerprint),
          correlationId: fingerprint,
        },
      )
      .catch((error: unknown) => {
        if (error instanceof DomainError && error.kind === 'conflict') {
          throw new UnprocessableEntityException({
            message:
              'Idempotency-Key was already used for a different request; use a new key for a new request',
            field: 'Idempotency-Key',
          });
        }
        throw error;
      });
    return from(claim).pipe(switchMap(() => next.handle()));
  }
}
