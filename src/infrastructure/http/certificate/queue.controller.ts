import { Controller, ForbiddenException, Get, NotFoundException, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { GetQueueQuery } from '../../../application/certificate/certificate-queries';
import type { Actor, Role } from '../../../domain/actor';
import { QUEUE_GATES, type QueueGate } from '../../../projections/certificate-events';
import { CurrentActor } from '../auth';
import { paging } from '../paging';

/** Who works each gate's queue. */
const GATE_ROLE: Record<QueueGate, Role> = {
  'company-check': 'agency_operator',
  'platform-verification': 'platform_reviewer',
  'police-check': 'police_liaison',
  issue: 'platform_reviewer',
};

@ApiTags('queues')
@ApiBearerAuth()
@Controller('queues')
export class QueueController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get(':gate')
  list(
    @Param('gate') gate: string,
    @CurrentActor() actor: Actor,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ) {
    if (!(QUEUE_GATES as readonly string[]).includes(gate)) {
      throw new NotFoundException(
        `there is no gate ${JSON.stringify(gate)}; gates: ${QUEUE_GATES.join(', ')}`,
      );
    }
    const role = GATE_ROLE[gate as QueueGate];
    if (actor.role !== role) throw new ForbiddenException(`the ${gate} queue is for ${role}s`);
    const page = paging(limit, offset);
    return this.queryBus.execute(new GetQueueQuery(gate as QueueGate, actor, page.limit, page.offset));
  }
}
