import { Body, Controller, Get, Headers, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import { ChangeWorkerCommand } from '../../../application/worker/change-worker';
import { EraseWorkerCommand } from '../../../application/worker/erase-worker';
import { GetWorkerAccessLogQuery, GetWorkerQuery } from '../../../application/worker/worker-queries';
import type { Actor } from '../../../domain/actor';
import { refusePersonalNumbers } from '../../../domain/free-text';
import { RegisterWorkerCommand } from '../../../application/worker/register-worker';
import type { WriteResult } from '../../../application/write-result';
import { parsePersonName } from '../../../domain/worker/person-name';
import { parsePhone } from '../../../domain/worker/phone';
import { parseResidentId } from '../../../domain/worker/resident-id';
import { CONSENT_SCOPES, type ConsentScope } from '../../../domain/worker/worker';
import { CurrentActor, Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { answerWrite } from '../write-response';
import { EntityIdPipe } from '../entity-id.pipe';
import { paging } from '../paging';

const CORRELATION_ID = /^[\x21-\x7e]{1,200}$/;
const correlationIdOf = (raw: string | undefined) => (raw && CORRELATION_ID.test(raw) ? raw : undefined);

export class RegisterWorkerDto {
  @ApiProperty() @IsString() @Length(1, 64) agencyId!: string;
  @ApiProperty({ example: '张三丰' }) @IsString() name!: string;
  @ApiProperty({ example: '11010519491231002X', description: '18-digit resident ID (GB 11643)' })
  @IsString()
  idNumber!: string;
  @ApiProperty({ example: '13812345678' }) @IsString() phone!: string;
}

export class RecordConsentDto {
  @ApiProperty({ example: ['credit', 'criminal_record'], isArray: true, enum: CONSENT_SCOPES })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(10)
  @IsIn(CONSENT_SCOPES, { each: true })
  scopes!: ConsentScope[];

  @ApiProperty({ example: 'scan-2026-0001.pdf', description: 'where the signed authorisation is kept' })
  @IsString()
  @Length(1, 200)
  evidenceRef!: string;
}

export class EraseWorkerDto {
  @ApiProperty({ example: 'the worker asked for deletion (PIPL art. 47), ticket 2026-0042' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class UpdateWorkerDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() phone?: string;
}

@ApiTags('workers')
@ApiBearerAuth()
@Controller('workers')
export class WorkerController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  /** Personal data disclosed by role (own agency and regulators in full); every such read is logged. */
  @Get(':id')
  @Roles('agency_operator', 'platform_reviewer', 'police_liaison', 'regulator')
  get(
    @Param('id', EntityIdPipe) workerId: string,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId?: string,
  ) {
    return this.queryBus.execute(
      new GetWorkerQuery(workerId, actor, 'GET /api/v1/workers/:id', correlationIdOf(correlationId)),
    );
  }

  /** Who read this worker's unmasked personal data, when, and through which route. */
  @Get(':id/access-log')
  @Roles('agency_operator', 'regulator')
  accessLog(
    @Param('id', EntityIdPipe) workerId: string,
    @CurrentActor() actor: Actor,
    @Query('limit') limit?: string,
    @Query('offset') offset?: string,
  ) {
    const page = paging(limit, offset);
    return this.queryBus.execute(new GetWorkerAccessLogQuery(workerId, actor, page.limit, page.offset));
  }

  /** Crypto-shreds the worker's personal data (PIPL art. 47); who and why are kept. */
  @Post(':id/erasure')
  @Roles('platform_admin', 'regulator')
  async erase(
    @Param('id', EntityIdPipe) workerId: string,
    @Body() body: EraseWorkerDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const refusal = refusePersonalNumbers(body.reason, 'reason');
    if (refusal) throw refusal;
    const command = new EraseWorkerCommand(workerId, body.reason, context);
    return answerWrite(reply, await this.commandBus.execute<EraseWorkerCommand, WriteResult>(command));
  }

  @Post()
  @Roles('agency_operator')
  async register(
    @Body() body: RegisterWorkerDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const today = new Date().toISOString().slice(0, 10);
    const command = new RegisterWorkerCommand(
      {
        agencyId: body.agencyId,
        name: parsePersonName(body.name),
        idNumber: parseResidentId(body.idNumber, { today }),
        phone: parsePhone(body.phone),
      },
      context,
    );
    return answerWrite(reply, await this.commandBus.execute<RegisterWorkerCommand, WriteResult>(command));
  }

  @Post(':id/consents')
  @Roles('agency_operator')
  async recordConsent(
    @Param('id', EntityIdPipe) workerId: string,
    @Body() body: RecordConsentDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const change = {
      type: 'RecordConsent' as const,
      data: { workerId, scopes: body.scopes, evidenceRef: body.evidenceRef },
    };
    return answerWrite(reply, await this.commandBus.execute(new ChangeWorkerCommand(change, context)));
  }

  @Patch(':id')
  @Roles('agency_operator')
  async update(
    @Param('id', EntityIdPipe) workerId: string,
    @Body() body: UpdateWorkerDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = {
      workerId,
      ...(body.name !== undefined ? { name: parsePersonName(body.name) } : {}),
      ...(body.phone !== undefined ? { phone: parsePhone(body.phone) } : {}),
    };
    return answerWrite(
      reply,
      await this.commandBus.execute(new ChangeWorkerCommand({ type: 'UpdateWorkerInfo', data }, context)),
    );
  }
}
