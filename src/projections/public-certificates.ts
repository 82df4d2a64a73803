import type { StoredEvent } from '../application/ports/event-store';
import type { CertificateIssued } from '../domain/certificate/certificate';
import { ratingSummary, type CertificateRated } from '../domain/certificate/certificate-ratings';
import type { TrainingCompleted } from '../domain/training/training-record';
import type { WorkerErased, WorkerInfoUpdated } from '../domain/worker/worker';
import { AGENCIES, type AgencyDoc } from './agencies';
import type { RecordedCertificateEvent } from './certificate-events';
import type { Projection, ProjectionContext, Recorded } from './projection';
import { publicTrainingOf, type PublicTraining } from './training-records';
import { WORKERS, type WorkerDoc } from './workers';

/**
 * What a citizen at the door sees, keyed by the code on the card. Never the ID number or the
 * phone; the name only masked (rule 7).
 */
export interface PublicCertificateDoc {
  [key: string]: unknown;
  code: string;
  status: 'valid' | 'revoked';
  holder: string;
  agency: { id: string; name: string; district: string; districtName: string };
  issuedAt: string;
  handedOver: boolean;
  revokedAt: string | null;
  /** Completed or not, class hours, provider name — never scores. Null: no training on record. */
  training: PublicTraining | null;
  /** How many citizens rated the holder and their mean score, rounded to one decimal (null: none). */
  ratings: { count: number; average: number | null };
  /** The sum of every score, so the average is always recomputed exactly (never from a rounded one). */
  ratingTotal: number;
  certificateId: string;
  workerId: string;
}

export const PUBLIC_CERTIFICATES = 'public_certificates';

/**
 * An issued certificate's code and holder, by certificate id: a hand-over or a revocation names only
 * the certificate, and its view is found by code. Kept here rather than read from the certificate
 * detail, so that no projection of the public view depends on that one (a rebuild runs them on
 * different threads: docs/performance.md, item 100).
 */
export interface CertificateCodeDoc {
  [key: string]: unknown;
  id: string;
  code: string;
  workerId: string;
}

export const CERTIFICATE_CODES = 'certificate_codes';

async function update(
  context: ProjectionContext,
  code: string,
  change: (doc: PublicCertificateDoc) => PublicCertificateDoc,
): Promise<void> {
  const doc = await context.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, code);
  if (doc) context.put(PUBLIC_CERTIFICATES, code, change(doc));
}

/**
 * Reads the workers, agencies and training records collections, so it must run after their
 * projections.
 */
export const publicCertificatesProjection: Projection = {
  name: 'public-certificates',
  // Both read by id only (the code; the certificate id).
  collections: [
    { name: PUBLIC_CERTIFICATES, indexes: [] },
    { name: CERTIFICATE_CODES, indexes: [] },
  ],
  eventTypes: new Set([
    'CertificateIssued',
    'CertificateHandedOver',
    'CertificateRevoked',
    'WorkerInfoUpdated',
    'WorkerErased',
    'TrainingCompleted',
    'CertificateRated',
  ]),

  async apply(stored: StoredEvent, context: ProjectionContext): Promise<void> {
    const event = stored as
      | RecordedCertificateEvent
      | Recorded<WorkerInfoUpdated>
      | Recorded<WorkerErased>
      | Recorded<TrainingCompleted>
      | Recorded<CertificateRated>;
    const at = event.metadata.occurredAt;
    switch (event.type) {
      case 'CertificateIssued':
        return issue(event as Recorded<CertificateIssued>, context);
      case 'CertificateHandedOver':
      case 'CertificateRevoked': {
        const code = await codeOf(event.data.certificateId, context);
        if (!code) return;
        return update(context, code, (doc) =>
          event.type === 'CertificateRevoked'
            ? { ...doc, status: 'revoked', revokedAt: at }
            : { ...doc, handedOver: true },
        );
      }
      case 'WorkerInfoUpdated':
      case 'WorkerErased': {
        if (event.type === 'WorkerInfoUpdated' && event.data.personal.name === undefined) return;
        // The workers projection ran first: its masked name is already the new one (or erased).
        const worker = await context.get<WorkerDoc>(WORKERS, event.data.workerId);
        for (const code of worker?.codes ?? [])
          await update(context, code, (doc) => ({ ...doc, holder: worker!.maskedName }));
        return;
      }
      case 'TrainingCompleted': {
        // Certificates issued before training was required: their view shows it once completed.
        const worker = await context.get<WorkerDoc>(WORKERS, event.data.workerId);
        const training = await publicTrainingOf(context, event.data.workerId);
        for (const code of worker?.codes ?? []) await update(context, code, (doc) => ({ ...doc, training }));
        return;
      }
      case 'CertificateRated':
        // The event names the code: the view is found without a lookup.
        return update(context, event.data.code, (doc) => {
          const ratingTotal = doc.ratingTotal + event.data.score;
          return { ...doc, ratings: ratingSummary(doc.ratings.count + 1, ratingTotal), ratingTotal };
        });
      default:
        return;
    }
  },
};

async function codeOf(certificateId: string, context: ProjectionContext): Promise<string | null> {
  const issued = await context.get<CertificateCodeDoc>(CERTIFICATE_CODES, certificateId);
  return issued?.code ?? null;
}

async function issue(event: Recorded<CertificateIssued>, context: ProjectionContext): Promise<void> {
  const { certificateId, code, workerId } = event.data;
  context.put(CERTIFICATE_CODES, certificateId, {
    id: certificateId,
    code,
    workerId,
  } satisfies CertificateCodeDoc);
  const worker = await context.get<WorkerDoc>(WORKERS, workerId);
  if (!worker) return;
  const agency = await context.get<AgencyDoc>(AGENCIES, worker.agencyId);
  const doc: PublicCertificateDoc = {
    code,
    status: 'valid',
    holder: worker.maskedName,
    agency: {
      id: worker.agencyId,
      name: agency?.name ?? '',
      district: agency?.district ?? '',
      districtName: agency?.districtName ?? '',
    },
    issuedAt: event.metadata.occurredAt,
    handedOver: false,
    revokedAt: null,
    training: await publicTrainingOf(context, workerId),
    ratings: ratingSummary(0, 0),
    ratingTotal: 0,
    certificateId,
    workerId,
  };
  context.put(PUBLIC_CERTIFICATES, code, doc);
}
