import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { agencyDecider } from '../../domain/agency/agency';
import type { CreditCode } from '../../domain/agency/credit-code';
import type { DistrictCode } from '../../domain/agency/district';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { claimKey } from '../key-claim';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class RegisterAgencyCommand {
  constructor(
    readonly data: { name: string; creditCode: CreditCode; district: DistrictCode },
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(RegisterAgencyCommand)
export class RegisterAgencyHandler implements ICommandHandler<RegisterAgencyCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ data, context }: RegisterAgencyCommand): Promise<WriteResult> {
    const agencyId = derivedId('agency', context.commandId);
    // One credit code, one agency: the code's reservation stream can be created only once, and is
    // stored with the agency or not at all (no code is left claimed by an agency never registered).
    const [, outcome] = await this.processor.executeTogether(
      claimKey(streams.creditCode(data.creditCode), agencyId, `credit code ${data.creditCode}`),
      {
        decider: agencyDecider,
        streamId: streams.agency(agencyId),
        command: (_state, metadata) => ({
          type: 'RegisterAgency' as const,
          data: { agencyId, ...data },
          metadata,
        }),
        options: { expectNew: true },
      },
      context,
    );
    return { id: agencyId, revision: outcome.revision, position: outcome.position, created: true };
  }
}
