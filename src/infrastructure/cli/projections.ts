import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { ConfigError, loadConfig } from '../config/config';
import { describeStorage } from '../storage';

/**
 * `npm run projections`: the projection runner in a process of its own, serving no HTTP. It is the
 * same application as the API (same stores, same decryption of personal data), started without a
 * server, with the runner embedded. Any number may run against one read store: only the holder of
 * the projection lease applies events, the others stand by and take over when it stops or dies.
 * Run the API with PROJECTIONS=external beside it.
 */
async function main(): Promise<void> {
  const config = { ...loadConfig(), projections: 'embedded' as const };
  const app = await NestFactory.createApplicationContext(AppModule.register({ config }), {
    logger: process.env.LOG_LEVEL === 'silent' ? false : ['error', 'warn', 'log'],
  });
  app.enableShutdownHooks();
  new Logger('ProjectionWorker').log(`projection worker running: ${describeStorage(config)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
