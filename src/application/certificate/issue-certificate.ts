import { createHash } from 'node:crypto';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  CERTIFICATE_CODE_ALPHABET,
  createCertificateCode,
  type CertificateCode,
} from '../../domain/certificate/certificate-code';
import { certificateDecider, type CertificateIssued } from '../../domain/certificate/certificate';
import { DomainError, notFound } from '../../domain/errors';
import { trainingReadinessOf, trainingRecordDecider } from '../../domain/training/training-record';
import { hasFullConsent, workerDecider } from '../../domain/worker/worker';
import type { CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { claimKey } from '../key-claim';
import { streams } from '../streams';
import type { WriteResult } from '../write-result';

export class IssueCertificateCommand {
  constructor(
    readonly certificateId: string,
    readonly context: CommandContext,
  ) {}
}

/** The code is derived from the command id, so a retried issue command yields the same code. */
export function certificateCodeFor(commandId: string, attempt: number): CertificateCode {
  const digest = createHash('sha256').update(`certificate-code:${commandId}:${attempt}`).digest();
  let body = '';
  for (let i = 0; i < 10; i++)
    body += CERTIFICATE_CODE_ALPHABET[digest[i]! % CERTIFICATE_CODE_ALPHABET.length];
  return createCertificateCode(body);
}

const CODE_ATTEMPTS = 5;

@CommandHandler(IssueCertificateCommand)
export class IssueCertificateHandler implements ICommandHandler<IssueCertificateCommand, WriteResult> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute({ certificateId, context }: IssueCertificateCommand): Promise<WriteResult> {
    for (let attempt = 0; ; attempt++) {
      const code = certificateCodeFor(context.commandId, attempt);
      try {
        // "One person, one card, one number": the code is reserved in the same append that uses it
        // (before it, where the store appends one stream after the other).
        const [, outcome] = await this.processor.executeTogether(
          claimKey(streams.certificateCode(code), certificateId, `certificate code ${code}`),
          {
            decider: certificateDecider,
            streamId: streams.certificate(certificateId),
            command: async (state, metadata) => {
              if (state.status === 'none') throw notFound(`certificate ${certificateId} does not exist`);
              const [worker, training] = await Promise.all([
                this.processor.load(workerDecider, streams.worker(state.workerId)),
                this.processor.load(trainingRecordDecider, streams.trainingRecord(state.workerId)),
              ]);
              const consentOnFile = worker.state.status === 'registered' && hasFullConsent(worker.state);
              const readiness = { consentOnFile, training: trainingReadinessOf(training.state) };
              return {
                type: 'IssueCertificate' as const,
                data: { certificateId, code, worker: readiness },
                metadata,
              };
            },
            options: { checkExpectedRevision: true },
          },
          context,
        );
        const issued = outcome.events.find(
          (event): event is CertificateIssued => event.type === 'CertificateIssued',
        );
        return {
          id: certificateId,
          revision: outcome.revision,
          position: outcome.position,
          created: false,
          code: issued?.data.code,
        };
      } catch (error) {
        const codeTaken = error instanceof DomainError && error.details?.existingId !== undefined;
        if (!codeTaken || attempt + 1 >= CODE_ATTEMPTS) throw error;
      }
    }
  }
}
