import { Inject, Optional } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { agencyDecider } from '../../domain/agency/agency';
import { notFound } from '../../domain/errors';
import type { PersonName } from '../../domain/worker/person-name';
import type { Phone } from '../../domain/worker/phone';
import type { ResidentId } from '../../domain/worker/resident-id';
import { workerDecider, refuseUnlessOwnAgency } from '../../domain/worker/worker';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { claimKey } from '../key-claim';
import { IDENTITY_HASHER, type IdentityHasher } from '../ports/identity-hasher';
import { PERSONAL_DATA_CIPHER, type PersonalDataCipher } from '../ports/personal-data-cipher';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class RegisterWorkerCommand {
  constructor(
    readonly data: { agencyId: string; name: PersonName; idNumber: ResidentId; phone: Phone },
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(RegisterWorkerCommand)
export class RegisterWorkerHandler implements ICommandHandler<RegisterWorkerCommand, WriteResult> {
  constructor(
    private readonly processor: CommandProcessor,
    @Inject(IDENTITY_HASHER) private readonly identityHasher: IdentityHasher,
    @Optional() @Inject(PERSONAL_DATA_CIPHER) private readonly cipher?: PersonalDataCipher,
  ) {}

  async execute({ data, context }: RegisterWorkerCommand): Promise<WriteResult> {
    // Refuse another agency's operator before revealing whether the ID number is known.
    const refusal = refuseUnlessOwnAgency(context.actor, data.agencyId);
    if (refusal) throw refusal;
    const agency = await this.processor.load(agencyDecider, streams.agency(data.agencyId));
    if (agency.state.status !== 'registered') throw notFound(`agency ${data.agencyId} does not exist`);

    const workerId = derivedId('worker', context.commandId);
    // The worker's data key is made first: it is durable before the first event sealed under it. If
    // the number turns out to be taken, the key stays, unused, for a retry of this same command.
    await this.cipher?.ensureKey?.(workerId);
    // Rule 1: one ID number, one worker. The reservation is keyed by an HMAC of the number, and
    // stored with the worker or not at all: no number is left claimed by a worker never registered.
    const [, outcome] = await this.processor.executeTogether(
      claimKey(streams.identity(this.identityHasher.hash(data.idNumber)), workerId, 'this ID number'),
      {
        decider: workerDecider,
        streamId: streams.worker(workerId),
        command: (_state, metadata) => ({
          type: 'RegisterWorker' as const,
          data: { workerId, ...data },
          metadata,
        }),
        options: { expectNew: true },
      },
      context,
    );
    return { id: workerId, revision: outcome.revision, position: outcome.position, created: true };
  }
}
