import {
  BadRequestException,
  Body,
  Controller,
  Headers,
  Post,
  Req,
  Res,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsString, Length } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  MAX_BATCH_ROWS,
  RunCertificateBatchCommand,
  type BatchRowResult,
  type CertificateBatchRow,
} from '../../../application/batch/certificate-batch';
import type { CommandContext } from '../../../application/command-context';
import { notFound } from '../../../domain/errors';
import { Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { sendBatch } from './batch-response';
import { policeCheckRows } from './police-check-csv';

const ID = /^[A-Za-z0-9-]{1,64}$/;

export class HandOverBatchDto {
  @ApiProperty({ enum: ['collective'], description: '集体领卡: individual hand-overs go one by one' })
  @IsIn(['collective'], { message: 'mode must be collective (individual hand-overs go one by one)' })
  mode!: 'collective';

  @ApiProperty({ example: 'BATCH-2026-11-24-01', description: 'the reference of the collective collection' })
  @IsString()
  @Length(1, 100)
  batchRef!: string;

  @ApiProperty({ type: [String], maxItems: MAX_BATCH_ROWS })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_BATCH_ROWS)
  @IsString({ each: true })
  certificateIds!: string[];
}

/** Batches: every row is its own command, answered row by row (JSON, or NDJSON as it goes). */
@ApiTags('batches')
@ApiBearerAuth()
@Controller()
export class BatchController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post('police-checks/batch')
  @Roles('police_liaison')
  @ApiConsumes('text/csv')
  @ApiBody({
    description:
      'CSV, UTF-8: certificateId,outcome,reference (outcome clear or record_found); header row optional',
    schema: { type: 'string', example: 'certificateId,outcome,reference\r\n<id>,clear,PSB-2026-1\r\n' },
  })
  async policeChecks(
    @Req() request: FastifyRequest,
    @Headers('accept') accept: string | undefined,
    @WriteContext() context: CommandContext,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (typeof request.body !== 'string') {
      throw new UnsupportedMediaTypeException(
        'the body must be CSV sent as Content-Type: text/csv (certificateId,outcome,reference)',
      );
    }
    await this.run(policeCheckRows(request.body), context, accept, reply);
  }

  @Post('certificates/hand-over-batch')
  @Roles('agency_operator')
  async handOverBatch(
    @Body() body: HandOverBatchDto,
    @Headers('accept') accept: string | undefined,
    @WriteContext() context: CommandContext,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const batchRef = body.batchRef.trim();
    if (batchRef === '')
      throw new BadRequestException({ message: 'batchRef must not be blank', field: 'batchRef' });
    const rows = body.certificateIds.map((raw): CertificateBatchRow => {
      const certificateId = raw.trim();
      return {
        certificateId,
        identity: ['hand-over', certificateId, batchRef],
        change: ID.test(certificateId)
          ? {
              type: 'HandOverCertificate',
              data: { certificateId, mode: 'collective', batchRef },
            }
          : notFound(`no certificate has the id ${JSON.stringify(certificateId.slice(0, 64))}`),
      };
    });
    await this.run(rows, context, accept, reply);
  }

  private async run(
    rows: CertificateBatchRow[],
    context: CommandContext,
    accept: string | undefined,
    reply: FastifyReply,
  ): Promise<void> {
    const results = await this.commandBus.execute<RunCertificateBatchCommand, AsyncIterable<BatchRowResult>>(
      new RunCertificateBatchCommand(rows, context),
    );
    await sendBatch(reply, results, accept);
  }
}
