import {
  ArgumentsHost,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { WrongExpectedRevisionError } from '../../application/ports/event-store';
import { DomainError, type DomainErrorKind } from '../../domain/errors';

export const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  forbidden: HttpStatus.FORBIDDEN,
  not_found: HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
};

export const REASON: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const logger = new Logger('HTTP');

/**
 * Answers an error as JSON `{statusCode, error, message}` (plus `field` and other facts a client can
 * act on); internals and stack traces never leave. The Nest filter below and the plain Fastify routes
 * (public verification) answer through this one function.
 */
export function sendError(reply: FastifyReply, exception: unknown): void {
  const [statusCode, message, extra] = describe(exception);
  void reply
    .status(statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ statusCode, error: REASON[statusCode] ?? 'Error', message, ...extra });
}

function describe(exception: unknown): [number, string, Record<string, unknown>] {
  if (exception instanceof DomainError) {
    return [
      STATUS_OF[exception.kind],
      exception.message,
      { ...(exception.field ? { field: exception.field } : {}), ...exception.details },
    ];
  }
  if (exception instanceof WrongExpectedRevisionError) {
    return [409, 'the record changed meanwhile; reload and retry', { currentRevision: exception.actual }];
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    if (typeof body === 'string') return [status, body, {}];
    const { message, statusCode: _s, error: _e, ...extra } = body as Record<string, unknown>;
    const text = Array.isArray(message) ? message.join('; ') : String(message ?? exception.message);
    return [status, text, extra];
  }
  const fastifyError = exception as { statusCode?: number; message?: string; code?: string };
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
    // Fastify's own refusals: malformed JSON, body too large, unsupported media type.
    return [fastifyError.statusCode, fastifyError.message ?? 'bad request', {}];
  }
  logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
  return [500, 'internal error', {}];
}

/** Every error of a Nest route is answered by `sendError`. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    sendError(host.switchToHttp().getResponse<FastifyReply>(), exception);
  }
}
