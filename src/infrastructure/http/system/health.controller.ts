import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { EVENT_STORE, type EventStore } from '../../../application/ports/event-store';
import { READ_STORE, type ReadStore } from '../../../application/ports/read-store';
import { READ_MODELS_PROGRESS, type ReadModelsProgress } from '../../../projections/read-models-progress';
import { APP_CONFIG, type AppConfig } from '../../config/config';
import { CHECKPOINT_NAME } from '../../read-models';
import { PublicRoute } from '../auth';

/** A backend that does not answer within this time counts as unreachable. */
const PROBE_TIMEOUT_MS = 3_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

@ApiTags('system')
@Controller()
@PublicRoute()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(READ_MODELS_PROGRESS) private readonly progress: ReadModelsProgress,
  ) {}

  /**
   * Whether each backend answers (503 when one does not), plus how far the read models lag behind
   * the log. Each probe is a real read: the head of the log, and the projections' checkpoint.
   */
  @Get('health')
  @HealthCheck()
  async check() {
    let head = 0;
    const result = await this.health.check([
      () =>
        this.probe('eventStore', this.config.eventStore, async () => {
          head = await this.eventStore.headPosition();
        }),
      () =>
        this.probe('readStore', this.config.readStore, () => this.readStore.getCheckpoint(CHECKPOINT_NAME)),
    ]);
    const position = this.progress.checkpoint;
    return {
      ...result,
      eventStore: { backend: this.config.eventStore, head },
      readStore: { backend: this.config.readStore },
      projections: { mode: this.config.projections, position, lag: head - position },
    };
  }

  private async probe(
    key: 'eventStore' | 'readStore',
    backend: string,
    call: () => Promise<unknown>,
  ): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(call(), PROBE_TIMEOUT_MS);
      return indicator.up({ backend });
    } catch (error) {
      return indicator.down({ backend, message: error instanceof Error ? error.message : String(error) });
    }
  }
}
