import type { FastifyInstance } from 'fastify';

/** Far deeper than any request of this API; shallow enough that no validator recursion overflows. */
export const MAX_JSON_DEPTH = 32;

/** The deepest nesting of arrays and objects in a JSON text (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

class BodyTooDeepError extends Error {
  readonly statusCode = 400;
  constructor() {
    super(`the JSON body is nested too deeply (more than ${MAX_JSON_DEPTH} levels)`);
  }
}

/**
 * Fastify's own JSON parser (which refuses `__proto__` and `constructor.prototype` keys), behind a
 * nesting limit: without it, a body of 5,000 nested arrays overflows the stack of the DTO
 * transformer and answers 500.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDepth(body as string) > MAX_JSON_DEPTH) {
      done(new BodyTooDeepError(), undefined);
      return;
    }
    parse(request, body as string, done);
  });
}
