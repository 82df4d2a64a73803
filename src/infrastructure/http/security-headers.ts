import type { FastifyInstance } from 'fastify';

/** The API answers JSON only: nothing in it may run, be framed or be embedded by another site. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/** Swagger UI at /docs loads its own scripts and styles. */
const DOCS_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/**
 * Security headers on every answer, errors included. Personal data must never sit in a browser or
 * proxy cache: staff answers are `no-store`; public answers may be cached but are revalidated, so a
 * revocation shows at once.
 */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', async (request, reply, payload) => {
    const docs =
      request.url === '/docs' || request.url.startsWith('/docs/') || request.url.startsWith('/docs-');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('content-security-policy', docs ? DOCS_CSP : API_CSP);
    if (!reply.hasHeader('cache-control')) {
      reply.header(
        'cache-control',
        docs || request.url.startsWith('/api/v1/public/') ? 'no-cache' : 'no-store',
      );
    }
    return payload;
  });
}
