import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { CreditCode } from '../../domain/agency/credit-code';
import type { DistrictCode } from '../../domain/agency/district';
import { refuseUnlessPlatformAdmin, trainingProviderDecider } from '../../domain/training/training-provider';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { claimKey } from '../key-claim';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class RegisterTrainingProviderCommand {
  constructor(
    readonly data: { name: string; creditCode: CreditCode; district: DistrictCode },
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(RegisterTrainingProviderCommand)
export class RegisterTrainingProviderHandler implements ICommandHandler<
  RegisterTrainingProviderCommand,
  WriteResult
> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ data, context }: RegisterTrainingProviderCommand): Promise<WriteResult> {
    const providerId = derivedId('training-provider', context.commandId);
    // Refuse other roles before revealing whether the credit code is taken.
    const refusal = refuseUnlessPlatformAdmin(context.actor);
    if (refusal) throw refusal;
    // One credit code, one training provider. Kept apart from agencies' codes: one company may be
    // both. Claimed in the same append as the registration, or not at all.
    const [, outcome] = await this.processor.executeTogether(
      claimKey(streams.providerCreditCode(data.creditCode), providerId, `credit code ${data.creditCode}`),
      {
        decider: trainingProviderDecider,
        streamId: streams.trainingProvider(providerId),
        command: (_state, metadata) => ({
          type: 'RegisterTrainingProvider' as const,
          data: { providerId, ...data },
          metadata,
        }),
        options: { expectNew: true },
      },
      context,
    );
    return { id: providerId, revision: outcome.revision, position: outcome.position, created: true };
  }
}
