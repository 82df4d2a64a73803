import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  certificateRatingsDecider,
  ratedCertificate,
  type CertificateRated,
} from '../../domain/certificate/certificate-ratings';
import { parseCertificateCode } from '../../domain/certificate/certificate-code';
import { notFound } from '../../domain/errors';
import { reservationDecider } from '../../domain/reservation';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

/** A citizen's rating, as it came in: the domain checks every field. */
export interface Rating {
  readonly score: unknown;
  readonly comment?: unknown;
}

export class RateCertificateCommand {
  constructor(
    /** The code as typed (spaces, hyphens and lower case accepted). */
    readonly code: string,
    readonly rating: Rating,
    readonly context: CommandContext,
  ) {}
}

/**
 * Records a citizen's rating on the certificate's ratings stream. The code leads to the certificate
 * through its reservation stream (`certcode-<code>`); the certificate's own events say whether it was
 * issued with that code and is still valid. The answer's id is the rating's (derived from the command
 * id, so a retry answers the same), never the certificate's internal id, which stays off public answers.
 */
@CommandHandler(RateCertificateCommand)
export class RateCertificateHandler implements ICommandHandler<RateCertificateCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ code: typed, rating, context }: RateCertificateCommand): Promise<WriteResult> {
    const code = parseCertificateCode(typed);
    const reservation = await this.processor.load(reservationDecider, streams.certificateCode(code));
    if (reservation.state.status !== 'claimed') throw notFound(`no certificate has the code ${code}`);
    const certificateId = reservation.state.ownerId;
    const ratingId = derivedId('rating', context.commandId);
    const outcome = await this.processor.execute(
      certificateRatingsDecider,
      streams.certificateRatings(certificateId),
      async (_state, metadata) => {
        const certificate = await this.processor.load(ratedCertificate, streams.certificate(certificateId));
        return {
          type: 'RateCertificate' as const,
          data: {
            ratingId,
            code,
            certificateId,
            score: rating.score,
            ...(rating.comment !== undefined ? { comment: rating.comment } : {}),
            certificate: certificate.state,
          },
          metadata,
        };
      },
      context,
    );
    const rated = outcome.events.find(
      (event): event is CertificateRated => event.type === 'CertificateRated',
    );
    return {
      id: rated?.data.ratingId ?? ratingId,
      revision: outcome.revision,
      position: outcome.position,
      created: true,
    };
  }
}
