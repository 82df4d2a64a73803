import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GetActorDecisionsQuery } from '../../../application/audit/decision-queries';
import {
  GetAccountabilityQuery,
  GetCertificateHistoryQuery,
} from '../../../application/audit/certificate-audit';
import { Roles } from '../auth';
import { EntityIdPipe } from '../entity-id.pipe';
import { paging } from '../paging';

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
@Roles('auditor', 'regulator')
export class AuditController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('certificates/:id/history')
  @ApiQuery({
    name: 'asOf',
    required: false,
    description: 'ISO-8601 instant: the history and state as of then',
  })
  history(@Param('id', EntityIdPipe) certificateId: string, @Query('asOf') asOf?: string) {
    let instant: string | undefined;
    if (asOf !== undefined) {
      const parsed = new Date(asOf);
      if (typeof asOf !== 'string' || Number.isNaN(parsed.getTime())) {
        throw new BadRequestException({ message: 'asOf must be an ISO-8601 date-time', field: 'asOf' });
      }
      instant = parsed.toISOString();
    }
    return this.queryBus.execute(new GetCertificateHistoryQuery(certificateId, instant));
  }

  @Get('certificates/:id/accountability')
  accountability(@Param('id', EntityIdPipe) certificateId: string) {
    return this.queryBus.execute(new GetAccountabilityQuery(certificateId));
  }

  @Get('actors/:actorId/decisions')
  decisions(
    @Param('actorId') actorId: string,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ) {
    const page = paging(limit, offset);
    return this.queryBus.execute(new GetActorDecisionsQuery(actorId, page.limit, page.offset));
  }
}
