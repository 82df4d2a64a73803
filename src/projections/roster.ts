import type { StoredEvent } from '../application/ports/event-store';
import type { CertificateIssued, CertificateRevoked } from '../domain/certificate/certificate';
import type { TrainingCompleted } from '../domain/training/training-record';
import type { Projection, ProjectionContext, Recorded } from './projection';
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

async function certificateOfWorker(
  context: ProjectionContext,
  worker: WorkerDoc | null,
): Promise<Pick<RosterEntryDoc, 'certificateId' | 'certificateCode' | 'certificateStatus'>> {
  // Certificates issued before training was required: the worker's latest code, if any.
  const code = worker?.codes[worker.codes.length - 1];
  const view = code ? await context.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, code) : null;
  if (!code || !view) return { certificateId: null, certificateCode: null, certificateStatus: null };
  return {
    certificateId: view.certificateId,
    certificateCode: code,
    certificateStatus: view.status === 'revoked' ? 'revoked' : 'issued',
  };
}

/**
 * Reads workers and public certificates (with their codes by certificate), so it must run after their
 * projections.
 */
export const rosterProjection: Projection = {
  name: 'roster',
  collections: [{ name: ROSTER, indexes: ['agencyId', 'providerId'] }],
  eventTypes: new Set(['TrainingCompleted', 'CertificateIssued', 'CertificateRevoked']),

  async apply(stored: StoredEvent, context: ProjectionContext): Promise<void> {
    const event = stored as
      Recorded<TrainingCompleted> | Recorded<CertificateIssued> | Recorded<CertificateRevoked>;
    switch (event.type) {
      case 'TrainingCompleted': {
        const { workerId, providerId, sessionId, classHours, examScore } = event.data;
        const worker = await context.get<WorkerDoc>(WORKERS, workerId);
        const entry: RosterEntryDoc = {
          id: workerId,
          workerId,
          agencyId: worker?.agencyId ?? '',
          providerId,
          sessionId,
          completedAt: event.metadata.occurredAt,
          classHours,
          examScore,
          ...(await certificateOfWorker(context, worker)),
        };
        context.put(ROSTER, workerId, entry);
        return;
      }
      case 'CertificateIssued': {
        const { workerId, certificateId, code } = event.data;
        const entry = await context.get<RosterEntryDoc>(ROSTER, workerId);
        if (!entry) return;
        context.put(ROSTER, workerId, {
          ...entry,
          certificateId,
          certificateCode: code,
          certificateStatus: 'issued',
        });
        return;
      }
      case 'CertificateRevoked': {
        const issued = await context.get<CertificateCodeDoc>(CERTIFICATE_CODES, event.data.certificateId);
        if (!issued) return;
        const entry = await context.get<RosterEntryDoc>(ROSTER, issued.workerId);
        if (entry?.certificateId !== event.data.certificateId) return;
        context.put(ROSTER, entry.id, { ...entry, certificateStatus: 'revoked' });
        return;
      }
      default:
        return;
    }
  },
};
