import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { agencyDecider } from '../../domain/agency/agency';
import { certificateDecider, isActive } from '../../domain/certificate/certificate';
import { notFound } from '../../domain/errors';
import { workerDecider } from '../../domain/worker/worker';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import type { StoredEvent } from '../ports/event-store';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class ApplyForCertificateCommand {
  constructor(
    readonly workerId: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * Opens the application on the worker's stream (rule 2: the worker stream serialises applications)
 * and creates the certificate stream, in one append to both where the store can (else the worker's
 * first). Both derive their event ids from the command id, so a retry after a crash between two
 * separate appends completes the second without doubling.
 */
@CommandHandler(ApplyForCertificateCommand)
export class ApplyForCertificateHandler implements ICommandHandler<ApplyForCertificateCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ workerId, context }: ApplyForCertificateCommand): Promise<WriteResult> {
    const certificateId = derivedId('certificate', context.commandId);
    let agencyId = '';
    const [, outcome] = await this.processor.executeTogether(
      {
        decider: workerDecider,
        streamId: streams.worker(workerId),
        command: async (worker, metadata, stream) => {
          if (worker.status === 'unregistered') throw notFound(`worker ${workerId} does not exist`);
          agencyId = worker.agencyId;
          const lastId = worker.lastCertificateId;
          const current = lastId
            ? { certificateId: lastId, active: await this.stillActive(lastId, stream.events, metadata.now) }
            : null;
          return { type: 'OpenApplication' as const, data: { workerId, certificateId, current }, metadata };
        },
      },
      {
        decider: certificateDecider,
        streamId: streams.certificate(certificateId),
        command: async (_state, metadata) => {
          // A retried command finds the worker's event already stored: the agency is read from it.
          agencyId ||= await this.agencyOf(workerId);
          const district = await this.districtOf(agencyId);
          return {
            type: 'ApplyForCertificate' as const,
            data: { certificateId, workerId, agencyId, district },
            metadata,
          };
        },
        options: { expectNew: true },
      },
      context,
    );
    return { id: certificateId, revision: outcome.revision, position: outcome.position, created: true };
  }

  private async agencyOf(workerId: string): Promise<string> {
    const worker = await this.processor.load(workerDecider, streams.worker(workerId));
    if (worker.state.status === 'unregistered') throw notFound(`worker ${workerId} does not exist`);
    return worker.state.agencyId;
  }

  private async districtOf(agencyId: string): Promise<string> {
    const agency = await this.processor.load(agencyDecider, streams.agency(agencyId));
    return agency.state.status === 'registered' ? agency.state.district : '';
  }

  /**
   * Whether the worker's last application still counts against rule 2. One whose certificate
   * stream does not exist yet (on a store that appends the two streams one after the other) is
   * another request between its two appends: in flight, so active,
   * unless it was opened so long ago that its request must have died (its own retry completes it).
   */
  private async stillActive(certificateId: string, workerEvents: readonly StoredEvent[], now: string) {
    const certificate = await this.processor.load(certificateDecider, streams.certificate(certificateId));
    if (certificate.revision >= 0) return isActive(certificate.state);
    const opened = workerEvents.findLast(
      (event) => event.type === 'ApplicationOpened' && event.data.certificateId === certificateId,
    );
    return !!opened && Date.parse(now) - Date.parse(opened.metadata.occurredAt) < IN_FLIGHT_MS;
  }
}

const IN_FLIGHT_MS = 60_000;
