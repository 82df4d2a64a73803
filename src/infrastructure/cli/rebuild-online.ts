import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { EVENT_STORE, type EventStore } from '../../application/ports/event-store';
import { READ_STORE } from '../../application/ports/read-store';
import { AppModule } from '../app.module';
import type { AppConfig } from '../config/config';
import { MongoReadStore } from '../mongodb/mongo-read-store';
import { rebuildOnline } from '../mongodb/online-rebuild';

/**
 * `npm run rebuild` with READ_STORE=mongodb: rebuilds every read model while the service keeps
 * running (see `rebuildOnline`). The stores come from the application itself, so events are read
 * exactly as the API and the projection worker read them.
 */
export async function runOnlineRebuild(config: AppConfig): Promise<void> {
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ config, followProjections: false }),
    { logger: ['error', 'warn'] },
  );
  try {
    const readStore = app.get<unknown>(READ_STORE);
    if (!(readStore instanceof MongoReadStore)) {
      throw new Error('the online rebuild needs READ_STORE=mongodb');
    }
    const report = await rebuildOnline(app.get<EventStore>(EVENT_STORE), readStore, {
      leaseTtlMs: config.projectionLeaseTtlMs,
      log: (line) => console.log(line),
    });
    console.log(
      `rebuilt generation ${report.generation} up to position ${report.position} in ${report.seconds.toFixed(2)} s; ` +
        `generation ${report.replaced} dropped`,
    );
  } finally {
    await app.close();
  }
}
