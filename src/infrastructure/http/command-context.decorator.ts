import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { commandIdFor, type CommandContext } from '../../application/command-context';
import { PUBLIC_ROLE, type Actor } from '../../domain/actor';
import type { AuthenticatedRequest } from './auth';

/** Idempotency keys and correlation ids: 1 to 200 visible ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
export const BAD_KEY_MESSAGE = 'Idempotency-Key must be 1 to 200 visible ASCII characters';

/** A UUID as `crypto.randomUUID()` writes it (any version 1–8, RFC 9562 variant). */
export const CITIZEN_KEY_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Refuses an Idempotency-Key the caller may not use (400 naming it). Staff keys are scoped to the
 * token's subject. Anonymous citizens cannot be told apart, so all their keys share one namespace:
 * there a key must be a random UUID, which no other citizen will ever send; a key a citizen chose
 * by hand ("1", "rating") could meet another citizen's and answer them with the other's rating.
 */
export function refuseUnusableKey(key: string, actor: Actor): void {
  if (!KEY_PATTERN.test(key)) throw new BadRequestException(BAD_KEY_MESSAGE);
  if (actor.role === PUBLIC_ROLE && !CITIZEN_KEY_PATTERN.test(key)) {
    throw new BadRequestException({
      message:
        'Idempotency-Key must be a random UUID (e.g. from crypto.randomUUID()) on a public route: callers without a token share one key space',
      field: 'Idempotency-Key',
    });
  }
}

function header(request: AuthenticatedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `If-Match: 3`, `"3"` or `W/"3"`: the revision the client last saw. */
export function parseIfMatch(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(raw.trim());
  if (!match) throw new BadRequestException('If-Match must be a revision number, e.g. If-Match: "3"');
  return Number(match[1]);
}

/** Builds the command's context from the token and the request headers. */
export const WriteContext = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CommandContext => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const actor = request.actor!;
    const key = header(request, 'idempotency-key');
    if (key !== undefined) refuseUnusableKey(key, actor);
    const correlation = header(request, 'x-correlation-id');
    const expectedRevision = parseIfMatch(header(request, 'if-match'));
    const operation = `${request.method} ${request.url.split('?')[0]}`;
    const commandId = commandIdFor(actor, key, operation);
    return {
      actor,
      commandId,
      correlationId: correlation && KEY_PATTERN.test(correlation) ? correlation : randomUUID(),
      ...(expectedRevision !== undefined ? { expectedRevision } : {}),
    };
  },
);
