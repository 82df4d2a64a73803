import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  certificateDecider,
  type CertificateCommand,
  type HandOverCertificate,
  type RecordCompanyCheck,
  type RecordPlatformVerification,
  type RecordPoliceComparison,
  type RevokeCertificate,
} from '../../domain/certificate/certificate';
import { withMetadata } from '../../domain/decider';
import { notFound } from '../../domain/errors';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

type Change<C extends { type: string; data: unknown }> = Pick<C, 'type' | 'data'>;

/** A step on an existing certificate that needs nothing beyond the certificate's own history. */
export type CertificateChange =
  | Change<RecordCompanyCheck>
  | Change<RecordPlatformVerification>
  | Change<RecordPoliceComparison>
  | Change<HandOverCertificate>
  | Change<RevokeCertificate>;

export class ChangeCertificateCommand {
  constructor(
    readonly change: CertificateChange,
    readonly context: CommandContext,
  ) {}
}

@CommandHandler(ChangeCertificateCommand)
export class ChangeCertificateHandler implements ICommandHandler<ChangeCertificateCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ change, context }: ChangeCertificateCommand): Promise<WriteResult> {
    const { certificateId } = change.data;
    const outcome = await this.processor.execute(
      certificateDecider,
      streams.certificate(certificateId),
      (state, metadata) => {
        if (state.status === 'none') throw notFound(`certificate ${certificateId} does not exist`);
        return withMetadata<CertificateCommand>(change, metadata);
      },
      context,
      { checkExpectedRevision: true },
    );
    return { id: certificateId, revision: outcome.revision, position: outcome.position, created: false };
  }
}
