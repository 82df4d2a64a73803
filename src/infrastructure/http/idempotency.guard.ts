import { createHash } from 'node:crypto';
import {
  Injectable,
  UnprocessableEntityException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { derivedId } from '../../application/command-context';
import { CommandProcessor } from '../../application/command-processor';
import { streams } from '../../application/streams';
import { PUBLIC_ROLE, type Actor } from '../../domain/actor';
import { DomainError } from '../../domain/errors';
import { reservationDecider } from '../../domain/reservation';
import type { AuthenticatedRequest } from './auth';
import { refuseUnusableKey } from './command-context.decorator';

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

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * Where a caller's key is reserved. Staff keys are scoped to the token's subject. Every anonymous
 * citizen is the same actor, so their keys share one stream category of their own (never a staff
 * subject's, whatever it is called), and are random UUIDs (`refuseUnusableKey`) so that two citizens
 * never meet in it.
 */
function keyStream(actor: Actor, key: string): string {
  return actor.role === PUBLIC_ROLE
    ? streams.publicIdempotencyKey(sha256(key))
    : streams.idempotencyKey(sha256(`${actor.id}\u0000${key}`));
}

/**
 * An Idempotency-Key belongs to one request. The first use reserves the key (per caller) for the
 * request's fingerprint — method, path and body — in its own stream, created with no_stream like
 * any other unique key; a retry of the same request passes, the same key on a different request
 * is refused with 422 before anything else is written. A guard (the last global one: after the
 * caller is known and the public write limit is counted), since it only acts before the handler
 * and an interceptor costs every request an rxjs pipeline and an async-context binding.
 */
@Injectable()
export class IdempotencyGuard implements CanActivate {
  constructor(private readonly processor: CommandProcessor) {}

  /** True at once for a request without a key; otherwise once the key is claimed. */
  canActivate(context: ExecutionContext): true | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const raw = request.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (request.method === 'GET' || key === undefined || !request.actor) return true;
    return this.claim(request, request.actor, key);
  }

  private async claim(request: AuthenticatedRequest, actor: Actor, key: string): Promise<boolean> {
    refuseUnusableKey(key, actor);
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.url.split('?')[0]}\n${canonical(request.body ?? null)}`)
      .digest('base64url');
    await this.processor
      .execute(
        reservationDecider,
        keyStream(actor, key),
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
    return true;
  }
}
