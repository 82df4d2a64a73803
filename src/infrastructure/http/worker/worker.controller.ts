import { Body, Controller, Param, Patch, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import { ChangeWorkerCommand } from '../../../application/worker/change-worker';
import { RegisterWorkerCommand } from '../../../application/worker/register-worker';
import type { WriteResult } from '../../../application/write-result';
import { parsePersonName } from '../../../domain/worker/person-name';
import { parsePhone } from '../../../domain/worker/phone';
import { parseResidentId } from '../../../domain/worker/resident-id';
import { CONSENT_SCOPES, type ConsentScope } from '../../../domain/worker/worker';
import { Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { answerWrite } from '../write-response';
import { EntityIdPipe } from '../entity-id.pipe';

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

export class UpdateWorkerDto {
  @ApiPropertyOptional() @IsOptional() @IsString() name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() phone?: string;
}

@ApiTags('workers')
@ApiBearerAuth()
@Controller('workers')
export class WorkerController {
  constructor(private readonly commandBus: CommandBus) {}

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
