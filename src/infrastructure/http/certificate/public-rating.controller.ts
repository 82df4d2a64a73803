import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import { RateCertificateCommand } from '../../../application/certificate/rate-certificate';
import type { WriteResult } from '../../../application/write-result';
import { PublicWrite } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { answerWrite } from '../write-response';
import { RatingDto } from './certificate.dto';

/**
 * `POST /api/v1/public/certificates/:code/ratings` (评价): a citizen rates the worker who served
 * them. No login; counted against the same public rate limit as the public verification route
 * (`GET /api/v1/public/certificates/:code`, a plain Fastify route registered beside this one).
 */
@ApiTags('public')
@Controller('public/certificates')
export class PublicRatingController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post(':code/ratings')
  @PublicWrite()
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'a random UUID: a retry with the same key and body answers the same and writes nothing',
  })
  @ApiResponse({
    status: 201,
    description: 'the rating was recorded: `{id, revision, position}`, `id` being the rating',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        revision: { type: 'integer' },
        position: { type: 'integer' },
      },
    },
  })
  @ApiResponse({ status: 400, description: 'a bad score, comment or Idempotency-Key, or a mistyped code' })
  @ApiResponse({ status: 404, description: 'no certificate has this code' })
  @ApiResponse({ status: 409, description: 'the certificate is revoked' })
  @ApiResponse({ status: 422, description: 'the Idempotency-Key was used for another request' })
  @ApiResponse({ status: 429, description: 'over the public rate limit; Retry-After says when to try again' })
  async rate(
    @Param('code') code: string,
    @Body() body: RatingDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const rating = { score: body.score, ...(body.comment ? { comment: body.comment } : {}) };
    const command = new RateCertificateCommand(code, rating, context);
    return answerWrite(reply, await this.commandBus.execute<RateCertificateCommand, WriteResult>(command));
  }
}
