import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import {
  GetPublicCertificateQuery,
  type PublicCertificateView,
} from '../../../application/certificate/certificate-queries';
import { parseCertificateCode } from '../../../domain/certificate/certificate-code';
import { PublicRoute } from '../auth';
import { PublicRateLimit } from '../public-rate-limit';

/** What a citizen at the door can check: no login, rate-limited, no personal data. */
@ApiTags('public')
@Controller('public')
@PublicRoute()
@UseGuards(PublicRateLimit)
export class PublicController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('certificates/:code')
  verify(@Param('code') code: string): Promise<PublicCertificateView> {
    // A mistyped code (bad check character) is a 400, told apart from an unknown one (404).
    return this.queryBus.execute(new GetPublicCertificateQuery(parseCertificateCode(code)));
  }
}
