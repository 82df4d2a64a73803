import { Controller, Get, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, type EventStore } from '../../../application/ports/event-store';
import { ProjectionRunner } from '../../../projections/projection-runner';
import type { TokenKeys } from '../../auth/token-keys';
import { PublicRoute, TOKEN_KEYS } from '../auth';

@ApiTags('system')
@Controller()
@PublicRoute()
export class SystemController {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
    private readonly runner: ProjectionRunner,
    @Inject(TOKEN_KEYS) private readonly keys: TokenKeys,
  ) {}

  /** Liveness plus how far the read models lag behind the log. */
  @Get('health')
  async health() {
    const head = await this.eventStore.headPosition();
    const projected = this.runner.checkpoint;
    return {
      status: 'ok',
      eventStore: { head },
      projections: { position: projected, lag: head - projected },
    };
  }

  /** Public keys that verify our tokens, so other services (or an external IdP's peers) can check them. */
  @Get('.well-known/jwks.json')
  jwks() {
    return { keys: [this.keys.publicJwk] };
  }
}
