import { Controller, Get, Inject, NotFoundException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { PUBLISHED_JWKS, type PublishedJwks } from '../../auth/token-verifier';
import { PublicRoute } from '../auth';

@ApiTags('system')
@Controller()
@PublicRoute()
export class SystemController {
  constructor(@Inject(PUBLISHED_JWKS) private readonly published: PublishedJwks) {}

  // GET /health is served by HealthController (backend reachability through @nestjs/terminus).

  /** Public keys that verify our tokens, so other services (or an external IdP's peers) can check them. */
  @Get('.well-known/jwks.json')
  jwks() {
    // With an external identity provider, its JWKS is the one to use: we publish none of our own.
    if (!this.published.keys)
      throw new NotFoundException('tokens are issued by an external identity provider');
    return { keys: this.published.keys };
  }
}
