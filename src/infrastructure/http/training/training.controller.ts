import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { CommandContext } from '../../../application/command-context';
import {
  ChangeTrainingSessionCommand,
  type TrainingSessionChange,
} from '../../../application/training/change-training-session';
import { RegisterTrainingProviderCommand } from '../../../application/training/register-training-provider';
import { ScheduleTrainingSessionCommand } from '../../../application/training/schedule-training-session';
import { GetTrainingSessionQuery } from '../../../application/training/training-queries';
import type { WriteResult } from '../../../application/write-result';
import type { Actor } from '../../../domain/actor';
import { parseCreditCode } from '../../../domain/agency/credit-code';
import { parseDistrict } from '../../../domain/agency/district';
import { parseClassHours, parseExamScore, parseHoursDone } from '../../../domain/training/training-values';
import { parsePersonName } from '../../../domain/worker/person-name';
import { CurrentActor, Roles } from '../auth';
import { WriteContext } from '../command-context.decorator';
import { EntityIdPipe } from '../entity-id.pipe';
import { answerWrite } from '../write-response';
import {
  AttendanceDto,
  ExamScoresDto,
  ProgressDto,
  RegisterTrainingProviderDto,
  ScheduleTrainingSessionDto,
  SupervisionDto,
} from './training.dto';

@ApiTags('training')
@ApiBearerAuth()
@Controller('training-providers')
export class TrainingProviderController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @Roles('platform_admin')
  async register(
    @Body() body: RegisterTrainingProviderDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const command = new RegisterTrainingProviderCommand(
      {
        name: body.name.trim(),
        creditCode: parseCreditCode(body.creditCode),
        district: parseDistrict(body.district),
      },
      context,
    );
    return answerWrite(
      reply,
      await this.commandBus.execute<RegisterTrainingProviderCommand, WriteResult>(command),
    );
  }
}

@ApiTags('training')
@ApiBearerAuth()
@Controller('training-sessions')
export class TrainingSessionController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  /** The provider is the one the caller's token names (`agencyId` of a training_provider token). */
  @Post()
  @Roles('training_provider')
  async schedule(
    @Body() body: ScheduleTrainingSessionDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const place = body.place?.trim();
    const command = new ScheduleTrainingSessionCommand(
      {
        mode: body.mode,
        classHours: parseClassHours(body.classHours),
        teacher: parsePersonName(body.teacher, 'teacher'),
        ...(place ? { place } : {}),
        startsAt: new Date(body.startsAt).toISOString(),
        endsAt: new Date(body.endsAt).toISOString(),
      },
      context,
    );
    return answerWrite(
      reply,
      await this.commandBus.execute<ScheduleTrainingSessionCommand, WriteResult>(command),
    );
  }

  @Post(':id/attendance')
  @Roles('training_provider')
  attendance(
    @Param('id', EntityIdPipe) sessionId: string,
    @Body() body: AttendanceDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.change(
      { type: 'RecordAttendance', data: { sessionId, workerIds: body.workerIds } },
      context,
      reply,
    );
  }

  @Post(':id/progress')
  @Roles('training_provider')
  progress(
    @Param('id', EntityIdPipe) sessionId: string,
    @Body() body: ProgressDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const data = { sessionId, workerId: body.workerId, hoursDone: parseHoursDone(body.hoursDone) };
    return this.change({ type: 'RecordProgress', data }, context, reply);
  }

  @Post(':id/supervision')
  @Roles('training_provider')
  supervision(
    @Param('id', EntityIdPipe) sessionId: string,
    @Body() body: SupervisionDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const note = body.note?.trim();
    const data = {
      sessionId,
      attendees: body.attendees,
      identityChecked: body.identityChecked,
      inspector: parsePersonName(body.inspector, 'inspector'),
      method: body.method,
      ...(note ? { note } : {}),
    };
    return this.change({ type: 'RecordSupervision', data }, context, reply);
  }

  @Post(':id/exam-scores')
  @Roles('training_provider')
  examScores(
    @Param('id', EntityIdPipe) sessionId: string,
    @Body() body: ExamScoresDto,
    @WriteContext() context: CommandContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const scores = body.scores.map((entry, index) => ({
      workerId: entry.workerId,
      score: parseExamScore(entry.score, `scores.${index}.score`),
    }));
    return this.change({ type: 'RecordExamScores', data: { sessionId, scores } }, context, reply);
  }

  @Get(':id')
  @Roles('training_provider', 'regulator')
  get(@Param('id', EntityIdPipe) sessionId: string, @CurrentActor() actor: Actor) {
    return this.queryBus.execute(new GetTrainingSessionQuery(sessionId, actor));
  }

  private async change(change: TrainingSessionChange, context: CommandContext, reply: FastifyReply) {
    const command = new ChangeTrainingSessionCommand(change, context);
    return answerWrite(
      reply,
      await this.commandBus.execute<ChangeTrainingSessionCommand, WriteResult>(command),
    );
  }
}
