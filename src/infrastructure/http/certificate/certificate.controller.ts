import { Body, Controller, Get, Headers, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import { ApplyForCertificateCommand } from '../../../application/certificate/apply-for-certificate';
import { GetCertificateQuery } from '../../../application/certificate/certificate-queries';
import {
  ChangeCertificateCommand,
  type CertificateChange,
} from '../../../application/certificate/change-certificate';
import { IssueCertificateCommand } from '../../../application/certificate/issue-certificate';
import type { WriteResult } from '../../../application/write-result';
import type { Actor } from '../../../domain/actor';
import { CurrentActor, Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { EntityIdPipe } from '../entity-id.pipe';
import { answerWrite } from '../write-response';
import { ApplyDto, GateCheckDto, HandOverDto, PoliceCheckDto, RevokeDto } from './certificate.dto';

@ApiTags('certificates')
@ApiBearerAuth()
@Controller('certificates')
export class CertificateController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post()
  @Roles('agency_operator')
  async apply(
    @Body() body: ApplyDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new ApplyForCertificateCommand(body.workerId, context);
    return answerWrite(
      reply,
      await this.commandBus.execute<ApplyForCertificateCommand, WriteResult>(command),
    );
  }

  @Post(':id/company-check')
  @Roles('agency_operator')
  companyCheck(
    @Param('id', EntityIdPipe) certificateId: string,
    @Body() body: GateCheckDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { certificateId, outcome: body.outcome, ...(body.note ? { note: body.note } : {}) };
    return this.change({ type: 'RecordCompanyCheck', data }, context, reply);
  }

  @Post(':id/platform-verification')
  @Roles('platform_reviewer')
  platformVerification(
    @Param('id', EntityIdPipe) certificateId: string,
    @Body() body: GateCheckDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { certificateId, outcome: body.outcome, ...(body.note ? { note: body.note } : {}) };
    return this.change({ type: 'RecordPlatformVerification', data }, context, reply);
  }

  @Post(':id/police-check')
  @Roles('police_liaison')
  policeCheck(
    @Param('id', EntityIdPipe) certificateId: string,
    @Body() body: PoliceCheckDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { certificateId, outcome: body.outcome, reference: body.reference };
    return this.change({ type: 'RecordPoliceComparison', data }, context, reply);
  }

  @Post(':id/issue')
  @Roles('platform_reviewer')
  async issue(
    @Param('id', EntityIdPipe) certificateId: string,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new IssueCertificateCommand(certificateId, context);
    return answerWrite(reply, await this.commandBus.execute<IssueCertificateCommand, WriteResult>(command));
  }

  @Post(':id/hand-over')
  @Roles('agency_operator')
  handOver(
    @Param('id', EntityIdPipe) certificateId: string,
    @Body() body: HandOverDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { certificateId, mode: body.mode, ...(body.batchRef ? { batchRef: body.batchRef } : {}) };
    return this.change({ type: 'HandOverCertificate', data }, context, reply);
  }

  @Post(':id/revoke')
  @Roles('agency_operator', 'platform_reviewer', 'regulator')
  revoke(
    @Param('id', EntityIdPipe) certificateId: string,
    @Body() body: RevokeDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.change(
      { type: 'RevokeCertificate', data: { certificateId, reason: body.reason } },
      context,
      reply,
    );
  }

  @Get(':id')
  @Roles('agency_operator', 'platform_reviewer', 'police_liaison', 'regulator', 'auditor')
  get(
    @Param('id', EntityIdPipe) certificateId: string,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId?: string,
  ) {
    const correlation =
      correlationId && /^[\x21-\x7e]{1,200}$/.test(correlationId) ? correlationId : undefined;
    return this.queryBus.execute(new GetCertificateQuery(certificateId, actor, correlation));
  }

  private async change(change: CertificateChange, context: CommandContext, reply: FastifyReply) {
    const command = new ChangeCertificateCommand(change, context);
    return answerWrite(reply, await this.commandBus.execute<ChangeCertificateCommand, WriteResult>(command));
  }
}
