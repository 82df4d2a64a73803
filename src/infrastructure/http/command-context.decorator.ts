import { BadRequestException, createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { commandIdFor, type CommandContext } from '../../application/command-context';
import type { AuthenticatedRequest } from './auth';

/** Idempotency keys and correlation ids: 1 to 200 visible ASCII characters. */
export const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
export const BAD_KEY_MESSAGE = 'Idempotency-Key must be 1 to 200 visible ASCII characters';

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
    if (key !== undefined && !KEY_PATTERN.test(key)) {
      throw new BadRequestException(BAD_KEY_MESSAGE);
    }
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
