import { Body, Controller, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import { RegisterAgencyCommand } from '../../../application/agency/register-agency';
import type { WriteResult } from '../../../application/write-result';
import { parseCreditCode } from '../../../domain/agency/credit-code';
import { parseDistrict } from '../../../domain/agency/district';
import { Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { answerWrite } from '../write-response';

export class RegisterAgencyDto {
  @ApiProperty({ example: '上海好帮手家政服务有限公司' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: '91310101MA1FL0000X', description: 'unified social credit code (GB 32100)' })
  @IsString()
  creditCode!: string;

  @ApiProperty({ example: '310104', description: 'Shanghai district code' })
  @IsString()
  district!: string;
}

@ApiTags('agencies')
@ApiBearerAuth()
@Controller('agencies')
export class AgencyController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @Roles('platform_admin')
  async register(
    @Body() body: RegisterAgencyDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new RegisterAgencyCommand(
      {
        name: body.name.trim(),
        creditCode: parseCreditCode(body.creditCode),
        district: parseDistrict(body.district),
      },
      context,
    );
    return answerWrite(reply, await this.commandBus.execute<RegisterAgencyCommand, WriteResult>(command));
  }
}
