import {
  Inject,
  Module,
  type DynamicModule,
  type Provider,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { SharedEventWriter } from './sqlite/sqlite-event-store';
import { CqrsModule } from '@nestjs/cqrs';
import { RegisterAgencyHandler } from '../application/agency/register-agency';
import {
  GetAccountabilityHandler,
  GetCertificateHistoryHandler,
} from '../application/audit/certificate-audit';
import { GetActorDecisionsHandler } from '../application/audit/decision-queries';
import { ApplyForCertificateHandler } from '../application/certificate/apply-for-certificate';
import {
  GetCertificateHandler,
  GetPublicCertificateHandler,
  GetQueueHandler,
} from '../application/certificate/certificate-queries';
import { ChangeCertificateHandler } from '../application/certificate/change-certificate';
import { IssueCertificateHandler } from '../application/certificate/issue-certificate';
import { RateCertificateHandler } from '../application/certificate/rate-certificate';
import { CommandProcessor, STREAM_MEMORY } from '../application/command-processor';
import { CLOCK, systemClock, type Clock } from '../application/ports/clock';
import { EVENT_STORE, type EventStore } from '../application/ports/event-store';
import { IDENTITY_HASHER } from '../application/ports/identity-hasher';
import { PERSONAL_DATA_CIPHER, type PersonalDataCipher } from '../application/ports/personal-data-cipher';
import { READ_STORE, type ReadStore } from '../application/ports/read-store';
import { GetStatsHandler } from '../application/stats/stats-query';
import { ChangeWorkerHandler } from '../application/worker/change-worker';
import { RegisterWorkerHandler } from '../application/worker/register-worker';
import { READ_MODELS_PROGRESS, type FollowedReadModels } from '../projections/read-models-progress';
import { APP_CONFIG, type AppConfig } from './config/config';
import { HmacIdentityHasher } from './crypto/hmac-identity-hasher';
import { privacyProviders } from './privacy';
import { withPersonalDataEncryption } from './privacy-stores';
import { ProjectionsThread } from './projections-thread';
import { createProjectionRunner, projectionLease } from './read-models';
import { trainingProviders } from './training-wiring';
import type { WalCheckpointer } from './sqlite/wal-checkpointer';
import { SqliteReadStore } from './sqlite/sqlite-read-store';
import { openConfiguredEventStore, openConfiguredReadStore, startWalCheckpointer } from './storage';

const COMMAND_HANDLERS = [
  RegisterAgencyHandler,
  RegisterWorkerHandler,
  ChangeWorkerHandler,
  ApplyForCertificateHandler,
  ChangeCertificateHandler,
  IssueCertificateHandler,
  RateCertificateHandler,
];

const QUERY_HANDLERS = [
  GetCertificateHandler,
  GetPublicCertificateHandler,
  GetCertificateHistoryHandler,
  GetAccountabilityHandler,
  GetQueueHandler,
  GetActorDecisionsHandler,
  GetStatsHandler,
];

const APP_OPTIONS = Symbol('AppOptions');
const WAL_CHECKPOINTER = Symbol('WalCheckpointer');

/** Starts the projections with the app and closes the stores last, after requests have drained. */
class Lifecycle implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  constructor(
    @Inject(READ_MODELS_PROGRESS) private readonly readModels: FollowedReadModels,
    @Inject(APP_OPTIONS) private readonly options: AppOptions,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(WAL_CHECKPOINTER) private readonly checkpointer: WalCheckpointer | null,
  ) {}

  private stopSharingReads: (() => void) | null = null;

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.followProjections === false) return;
    // On SQLite, reads share a read transaction between the commits the projections tell of.
    if (this.readStore instanceof SqliteReadStore) {
      this.stopSharingReads = this.readStore.followChanges(this.readModels);
    }
    await this.readModels.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopSharingReads?.();
    await this.readModels.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.eventStore.close();
    await this.readStore.close();
    await this.checkpointer?.close();
  }
}

export interface AppOptions {
  readonly config: AppConfig;
  readonly clock?: Clock;
  /** False for bulk loaders (the data generator) that rebuild the read models once at the end. */
  readonly followProjections?: boolean;
  /** Streams the command processor remembers folded (see STREAM_MEMORY); its default otherwise. */
  readonly streamMemory?: number;
  /**
   * The embedded event store appends through another store's writer thread
   * (SqliteEventStore.shareWriter): the data generator's lanes share one.
   */
  readonly eventWriter?: SharedEventWriter;
}

/**
 * The application without HTTP: stores, projections, command and query handlers, privacy and
 * training. The data generator's lanes, `npm run projections` and the online rebuild start it alone
 * (an application context); the service starts it under ApiModule (http/api.module.ts), which adds
 * the routes, guards and error filter. Every provider is exported, for the API's controllers and
 * guards.
 */
@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    const { config, clock = systemClock } = options;
    const providers: Provider[] = [
      { provide: APP_OPTIONS, useValue: options },
      { provide: APP_CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
      ...(options.streamMemory !== undefined
        ? [{ provide: STREAM_MEMORY, useValue: options.streamMemory }]
        : []),
      {
        provide: EVENT_STORE,
        useFactory: async (cipher: PersonalDataCipher) =>
          withPersonalDataEncryption(
            await openConfiguredEventStore(config, { writer: options.eventWriter }),
            cipher,
          ),
        inject: [PERSONAL_DATA_CIPHER],
      },
      { provide: READ_STORE, useFactory: () => openConfiguredReadStore(config) },
      {
        // Once the stores have opened (and so created) their files.
        provide: WAL_CHECKPOINTER,
        useFactory: () => startWalCheckpointer(config),
        inject: [EVENT_STORE, READ_STORE],
      },
      { provide: IDENTITY_HASHER, useFactory: () => HmacIdentityHasher.fromDataDir(config.dataDir) },
      {
        // Embedded: projected by a thread of their own. External (`npm run projections` projects):
        // only the checkpoint is followed, in this thread.
        provide: READ_MODELS_PROGRESS,
        useFactory: (eventStore: EventStore, readStore: ReadStore): FollowedReadModels =>
          config.projections === 'external'
            ? createProjectionRunner(eventStore, readStore, projectionLease(config, readStore))
            : new ProjectionsThread(config, eventStore),
        inject: [EVENT_STORE, READ_STORE],
      },
      CommandProcessor,
      Lifecycle,
      ...COMMAND_HANDLERS,
      ...QUERY_HANDLERS,
      ...privacyProviders(config),
      ...trainingProviders(config),
    ];
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot()],
      providers,
      exports: providers,
    };
  }
}
