import { RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppOptions } from './app.module';
import { ApiModule } from './http/api.module';
import {
  PUBLIC_VERIFICATION_OPENAPI_PATH,
  publicVerificationOpenApi,
  registerPublicVerificationRoute,
} from './http/certificate/public-verification.route';
import { registerCors } from './http/cors';
import { registerJsonBodyParser } from './http/json-body';
import { registerSecurityHeaders } from './http/security-headers';
import { createValidationPipe } from './http/validation';

const BODY_LIMIT_BYTES = 1024 * 1024;
/** Batch uploads (`POST /police-checks/batch`, text/csv): 10,000 rows fit with room to spare. */
const CSV_BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** Builds the whole service; `main.ts` and the end-to-end tests both start it this way. */
export async function createApp(options: AppOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    // Whose X-Forwarded-For to believe (TRUST_PROXY); nobody's by default.
    trustProxy: options.config.trustProxy ?? false,
    // A client trickling a request (slowloris) is cut off instead of holding a connection.
    requestTimeout: 60_000,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.register(options), adapter, {
    logger: process.env.LOG_LEVEL === 'silent' ? false : ['error', 'warn', 'log'],
    // JSON only, through registerJsonBodyParser (nesting limit); no url-encoded forms.
    bodyParser: false,
  });
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health', method: RequestMethod.GET },
      { path: '.well-known/jwks.json', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();
  // CSV batches arrive as text; the handler parses them (RFC 4180) and answers row by row.
  adapter
    .getInstance()
    .addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: CSV_BODY_LIMIT_BYTES },
      (_request, body, done) => done(null, body),
    );
  registerJsonBodyParser(adapter.getInstance());
  registerSecurityHeaders(adapter.getInstance());
  registerCors(app, options.config.corsOrigins ?? []);
  registerPublicVerificationRoute(adapter.getInstance(), app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Home-service certificate registry (上门服务证)')
      .setDescription('Event-sourced registry of domestic-service workers’ home-service certificates.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  document.paths[PUBLIC_VERIFICATION_OPENAPI_PATH] = publicVerificationOpenApi;
  SwaggerModule.setup('docs', app, document);
  return app;
}
