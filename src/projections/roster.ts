import type { StoredEvent } from '../application/ports/event-store';
import type { CertificateIssued, CertificateRevoked } from '../domain/certificate/certificate';
import type { TrainingCompleted } from '../domain/training/training-record';
import { type Projection, type ProjectionContext, type Recorded, withDocument } from './projection';
import {
  CERTIFICATE_CODES,
  PUBLIC_CERTIFICATES,
  type CertificateCodeDoc,
  type PublicCertificateDoc,
} from './public-certificates';
import { WORKERS, type WorkerDoc } from './workers';

/**
 * One row of the roster (名册) of trained workers, keyed by worker id. It holds ids and training facts
 * only: name, ID number and phone are joined from the workers read model when the roster is read, so
 * personal data lives (and is erased) in one place.
 */
export interface RosterEntryDoc {
  [key: string]: unknown;
  id: string;
  workerId: string;
  agencyId: string;
  providerId: string;
  sessionId: string;
  completedAt: string;
  classHours: number;
  examScore: number;
  certificateId: string | null;
  certificateCode: string | null;
  certificateStatus: 'issued' | 'revoked' | null;
}

export const ROSTER = 'roster';

type CertificateOfWorker = Pick<RosterEntryDoc, 'certificateId' | 'certificateCode' | 'certificateStatus'>;

const NO_CERTIFICATE: CertificateOfWorker = {
  certificateId: null,
  certificateCode: null,
  certificateStatus: null,
};

/** Calls `then` with the worker's certificate as the roster shows it (see `withDocument`). */
function withCertificateOfWorker(
  context: ProjectionContext,
  worker: WorkerDoc | null,
  then: (certificate: CertificateOfWorker) => void,
): Promise<void> | void {
  // Certificates issued before training was required: the worker's latest code, if any.
  const code = worker?.codes[worker.codes.length - 1];
  if (!code) return then(NO_CERTIFICATE);
  return withDocument<PublicCertificateDoc, void>(context, PUBLIC_CERTIFICATES, code, (view) =>
    then(
      view
        ? {
            certificateId: view.certificateId,
            certificateCode: code,
            certificateStatus: view.status === 'revoked' ? 'revoked' : 'issued',
          }
        : NO_CERTIFICATE,
    ),
  );
}

/**
 * Reads workers and public certificates (with their codes by certificate), so it must run after their
 * projections.
 */
export const rosterProjection: Projection = {
  name: 'roster',
  collections: [{ name: ROSTER, indexes: ['agencyId', 'providerId'] }],
  eventTypes: new Set(['TrainingCompleted', 'CertificateIssued', 'CertificateRevoked']),

  // Not an async function, as public certificates' (docs/performance.md, item 102).
  apply(stored: StoredEvent, context: ProjectionContext): Promise<void> | void {
    const event = stored as
      Recorded<TrainingCompleted> | Recorded<CertificateIssued> | Recorded<CertificateRevoked>;
    switch (event.type) {
      case 'TrainingCompleted': {
        const { workerId, providerId, sessionId, classHours, examScore } = event.data;
        return withDocument<WorkerDoc, void>(context, WORKERS, workerId, (worker) =>
          withCertificateOfWorker(context, worker, (certificate) => {
            const entry: RosterEntryDoc = {
              id: workerId,
              workerId,
              agencyId: worker?.agencyId ?? '',
              providerId,
              sessionId,
              completedAt: event.metadata.occurredAt,
              classHours,
              examScore,
              certificateId: certificate.certificateId,
              certificateCode: certificate.certificateCode,
              certificateStatus: certificate.certificateStatus,
            };
            context.put(ROSTER, workerId, entry);
          }),
        );
      }
      case 'CertificateIssued': {
        const { workerId, certificateId, code } = event.data;
        return withDocument<RosterEntryDoc, void>(context, ROSTER, workerId, (entry) => {
          if (!entry) return;
          context.put(ROSTER, workerId, {
            ...entry,
            certificateId,
            certificateCode: code,
            certificateStatus: 'issued',
          });
        });
      }
      case 'CertificateRevoked': {
        const { certificateId } = event.data;
        return withDocument<CertificateCodeDoc, void>(context, CERTIFICATE_CODES, certificateId, (issued) => {
          if (!issued) return;
          return withDocument<RosterEntryDoc, void>(context, ROSTER, issued.workerId, (entry) => {
            if (entry?.certificateId !== certificateId) return;
            context.put(ROSTER, entry.id, { ...entry, certificateStatus: 'revoked' });
          });
        });
      }
      default:
        return;
    }
  },
};
