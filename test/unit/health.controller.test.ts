import 'reflect-metadata';
import { Module, ServiceUnavailableException, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { EVENT_STORE } from '../../src/application/ports/event-store';
import { READ_STORE } from '../../src/application/ports/read-store';
import { APP_CONFIG } from '../../src/infrastructure/config/config';
import { HealthController } from '../../src/infrastructure/http/system/health.controller';
import { READ_MODELS_PROGRESS } from '../../src/projections/read-models-progress';

/** /health with stand-in stores: one backend answering, the other not. */
async function healthWith(readStoreFails: boolean): Promise<INestApplicationContext> {
  @Module({
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController],
    providers: [
      { provide: EVENT_STORE, useValue: { headPosition: async () => 42 } },
      {
        provide: READ_STORE,
        useValue: {
          getCheckpoint: async () => {
            if (readStoreFails) throw new Error('connect ECONNREFUSED mongo1:27017');
            return 40;
          },
        },
      },
      {
        provide: APP_CONFIG,
        useValue: { eventStore: 'kurrentdb', readStore: 'mongodb', projections: 'external' },
      },
      { provide: READ_MODELS_PROGRESS, useValue: { checkpoint: 40 } },
    ],
  })
  class HealthTestModule {}
  return NestFactory.createApplicationContext(HealthTestModule, { logger: false });
}

describe('GET /health', () => {
  it("reports each backend's reachability and the projections' lag", async () => {
    const app = await healthWith(false);
    try {
      await expect(app.get(HealthController).check()).resolves.toMatchObject({
        status: 'ok',
        info: {
          eventStore: { status: 'up', backend: 'kurrentdb' },
          readStore: { status: 'up', backend: 'mongodb' },
        },
        eventStore: { backend: 'kurrentdb', head: 42 },
        projections: { mode: 'external', position: 40, lag: 2 },
      });
    } finally {
      await app.close();
    }
  });

  it('answers 503 naming the backend that does not answer, and why', async () => {
    const app = await healthWith(true);
    try {
      const error = await app
        .get(HealthController)
        .check()
        .catch((e: unknown) => e);

      expect(error).toBeInstanceOf(ServiceUnavailableException);
      expect((error as ServiceUnavailableException).getResponse()).toMatchObject({
        status: 'error',
        info: { eventStore: { status: 'up' } },
        error: {
          readStore: { status: 'down', backend: 'mongodb', message: 'connect ECONNREFUSED mongo1:27017' },
        },
      });
    } finally {
      await app.close();
    }
  });
});
