import type { FastifyInstance, FastifyReply } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { PathItemObject, SchemaObject } from '@nestjs/swagger';
import { findPublicCertificate } from '../../../application/certificate/certificate-queries';
import { parseCertificateCode } from '../../../domain/certificate/certificate-code';
import { READ_STORE, type ReadStore } from '../../../application/ports/read-store';
import { READ_MODELS_PROGRESS, type ReadModelsProgress } from '../../../projections/read-models-progress';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { readModelsReach, requestedMinPosition } from '../consistency.guard';
import { sendError } from '../error.filter';
import { PublicRateLimit } from '../public-rate-limit';
import { PublicViewCache } from './public-view-cache';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Served by Fastify itself, outside Nest's router: the global prefix is spelled out. */
const PATH = '/api/v1/public/certificates/:code';
export const PUBLIC_VERIFICATION_OPENAPI_PATH = '/api/v1/public/certificates/{code}';

const string = { type: 'string' } as const;
const nullableString = { type: 'string', nullable: true } as const;

/**
 * The only fields that can leave (fast-json-stringify writes these and drops anything else), in the
 * order the view lists them.
 */
const PUBLIC_CERTIFICATE: SchemaObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    code: string,
    status: { type: 'string', enum: ['valid', 'revoked'] },
    holder: { type: 'string', description: 'the name, masked' },
    issuedAt: { type: 'string', format: 'date-time' },
    handedOver: { type: 'boolean' },
    revokedAt: { type: 'string', format: 'date-time', nullable: true },
    training: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      description: 'null when the holder has no training on record',
      properties: {
        completed: { type: 'boolean' },
        classHours: { type: 'number' },
        provider: nullableString,
        completedOn: { type: 'string', format: 'date', nullable: true },
      },
    },
    ratings: {
      type: 'object',
      additionalProperties: false,
      properties: { count: { type: 'integer' }, average: { type: 'number', nullable: true } },
    },
    agency: {
      type: 'object',
      additionalProperties: false,
      properties: { name: string, district: string, districtName: string },
    },
  },
};

/** The route's entry in the OpenAPI document (Nest's scanner only sees controllers). */
export const publicVerificationOpenApi: PathItemObject = {
  get: {
    tags: ['public'],
    // Its name from when a Nest controller served it, so generated clients keep their method.
    operationId: 'PublicController_verify',
    summary: 'What a citizen at the door can check: no login, rate-limited, no personal data',
    parameters: [
      {
        name: 'code',
        in: 'path',
        required: true,
        schema: string,
        description: 'the code on the card; spaces, hyphens and lower case are accepted',
      },
      {
        name: 'minPosition',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 0 },
        description: 'read your own writes: wait briefly until the read models reach this position',
      },
    ],
    responses: {
      '200': {
        description: 'the public view of the certificate',
        content: { 'application/json': { schema: PUBLIC_CERTIFICATE } },
      },
      '400': { description: 'a malformed or mistyped code (field: code), or a malformed minPosition' },
      '404': { description: 'no certificate has this code' },
      '429': { description: 'over the public rate limit; Retry-After says when to try again' },
      '503': { description: 'the read models did not reach minPosition in time' },
    },
  },
};

/**
 * `GET /api/v1/public/certificates/:code` as a plain Fastify route: the busiest route, anonymous and
 * read-only, so Nest's guards, interceptors and query bus (most of its cost) are left out. It keeps
 * their rules: the public rate limit, read-your-writes (`?minPosition=`), and errors answered as every
 * other route answers them. Security headers and CORS are Fastify hooks, on this route as on all.
 */
export function registerPublicVerificationRoute(fastify: FastifyInstance, app: NestFastifyApplication): void {
  const readStore = app.get<symbol, ReadStore>(READ_STORE);
  const progress = app.get<symbol, ReadModelsProgress>(READ_MODELS_PROGRESS);
  const rateLimit = app.get(PublicRateLimit);
  const { consistencyWaitMs, publicViewCacheSize } = app.get<symbol, AppConfig>(APP_CONFIG);
  // Views are kept as sent: a view answered from memory is not serialized again.
  const cache = new PublicViewCache<string>(progress, publicViewCacheSize);
  const lookUp = (typed: string, reply: FastifyReply): string | Promise<string> => {
    // Canonical first (a mistyped code is a 400 here): the cache is keyed as the read models are.
    const code = parseCertificateCode(typed);
    // The 200 response schema's serializer: only its fields can leave.
    return cache.get(
      code,
      async () => reply.serialize(await findPublicCertificate(readStore, code)) as string,
    );
  };
  fastify.route<{ Params: { code: string } }>({
    method: 'GET',
    url: PATH,
    schema: { response: { 200: PUBLIC_CERTIFICATE } },
    errorHandler: (error, _request, reply) => sendError(reply, error),
    handler: (request, reply) => {
      const { code } = request.params;
      // As Nest answers a route parameter left empty ('/public/certificates/'): no such route.
      if (code === '') {
        reply.callNotFound();
        return undefined;
      }
      // The limit first (a refused request costs nothing, not even a wait), then minPosition.
      rateLimit.enforce(request, reply);
      const position = requestedMinPosition(request);
      // Already serialized: sent as it is.
      void reply.type(JSON_CONTENT_TYPE);
      return position === undefined
        ? lookUp(code, reply)
        : readModelsReach(progress, position, consistencyWaitMs).then(() => lookUp(code, reply));
    },
  });
}
