import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { forbidden } from '../../domain/errors';
import { trainingProviderDecider } from '../../domain/training/training-provider';
import {
  refuseUnlessOwnProvider,
  trainingSessionDecider,
  type ScheduleTrainingSession,
} from '../../domain/training/training-session';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class ScheduleTrainingSessionCommand {
  constructor(
    /** The session's facts; the provider is the one the caller's token speaks for. */
    readonly data: Omit<ScheduleTrainingSession['data'], 'sessionId' | 'providerId'>,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ScheduleTrainingSessionCommand)
export class ScheduleTrainingSessionHandler implements ICommandHandler<
  ScheduleTrainingSessionCommand,
  WriteResult
> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ data, context }: ScheduleTrainingSessionCommand): Promise<WriteResult> {
    const providerId = context.actor.agencyId ?? '';
    const refusal = refuseUnlessOwnProvider(context.actor, providerId);
    if (refusal) throw refusal;
    const provider = await this.processor.load(trainingProviderDecider, streams.trainingProvider(providerId));
    if (provider.state.status !== 'registered') {
      throw forbidden(`training provider ${providerId} (named by your token) is not registered`);
    }
    const sessionId = derivedId('training-session', context.commandId);
    const outcome = await this.processor.execute(
      trainingSessionDecider,
      streams.trainingSession(sessionId),
      (_state, metadata) => ({
        type: 'ScheduleTrainingSession' as const,
        data: { sessionId, providerId, ...data },
        metadata,
      }),
      context,
      { expectNew: true },
    );
    return { id: sessionId, revision: outcome.revision, position: outcome.position, created: true };
  }
}
