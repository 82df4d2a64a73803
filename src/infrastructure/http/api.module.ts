import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { AppModule, type AppOptions } from '../app.module';
import { AgencyController } from './agency/agency.controller';
import { AuditController } from './audit/audit.controller';
import { AuthGuard } from './auth';
import { BatchController } from './batch/batch.controller';
import { CertificateController } from './certificate/certificate.controller';
import { PublicRatingController } from './certificate/public-rating.controller';
import { QueueController } from './certificate/queue.controller';
import { ConsistencyGuard } from './consistency.guard';
import { ErrorFilter } from './error.filter';
import { IdempotencyGuard } from './idempotency.guard';
import { PublicRateLimit, PublicRateLimitGuard } from './public-rate-limit';
import { RequestGuards } from './request-guards';
import { StatsController } from './stats/stats.controller';
import { HealthController } from './system/health.controller';
import { SystemController } from './system/system.controller';
import { RosterController } from './training/roster.controller';
import { TrainingProviderController, TrainingSessionController } from './training/training.controller';
import { WorkerController } from './worker/worker.controller';

/**
 * The HTTP API over the application (AppModule): routes, the guards every request passes and the
 * error filter. Only the service (create-app.ts) loads it; an application context without HTTP
 * (the data generator's lanes, `npm run projections`) loads none of these modules.
 */
@Module({})
export class ApiModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: ApiModule,
      imports: [AppModule.register(options), TerminusModule],
      controllers: [
        AgencyController,
        WorkerController,
        CertificateController,
        PublicRatingController,
        AuditController,
        QueueController,
        StatsController,
        SystemController,
        HealthController,
        TrainingProviderController,
        TrainingSessionController,
        RosterController,
        BatchController,
      ],
      providers: [
        PublicRateLimit,
        // Run by RequestGuards, in its order (see there).
        AuthGuard,
        PublicRateLimitGuard,
        ConsistencyGuard,
        IdempotencyGuard,
        { provide: APP_GUARD, useClass: RequestGuards },
        { provide: APP_FILTER, useClass: ErrorFilter },
      ],
    };
  }
}
