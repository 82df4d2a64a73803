import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * CORS only for the configured origins (CORS_ORIGINS): with none, browsers on other sites cannot
 * read any answer. Tokens travel in the Authorization header, never in cookies, so credentials
 * stay off.
 */
export function registerCors(app: NestFastifyApplication, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.enableCors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PATCH'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'idempotency-key',
      'if-match',
      'x-correlation-id',
      'x-min-position',
    ],
    exposedHeaders: ['etag', 'retry-after'],
    credentials: false,
    maxAge: 600,
  });
}
