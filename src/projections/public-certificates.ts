import type { StoredEvent } from '../application/ports/event-store';
import type { CertificateIssued } from '../domain/certificate/certificate';
import { ratingSummary, type CertificateRated } from '../domain/certificate/certificate-ratings';
import type { TrainingCompleted } from '../domain/training/training-record';
import type { WorkerErased, WorkerInfoUpdated } from '../domain/worker/worker';
import { AGENCIES, type AgencyDoc } from './agencies';
import type { RecordedCertificateEvent } from './certificate-events';
import { allDone, type Projection, type ProjectionContext, type Recorded, withDocument } from './projection';
import { type PublicTraining, withPublicTraining } from './training-records';
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

/** Changes the view of `code`, if there is one (at once when the context knows it: `withDocument`). */
function update(
  context: ProjectionContext,
  code: string,
  change: (doc: PublicCertificateDoc) => PublicCertificateDoc,
): Promise<void> | void {
  return withDocument<PublicCertificateDoc, void>(context, PUBLIC_CERTIFICATES, code, (doc) => {
    if (doc) context.put(PUBLIC_CERTIFICATES, code, change(doc));
  });
}

/** Changes the views of all these codes, side by side (each is a document of its own). */
function updateEach(
  context: ProjectionContext,
  codes: readonly string[],
  change: (doc: PublicCertificateDoc) => PublicCertificateDoc,
): Promise<void> | void {
  return allDone(codes.map((code) => update(context, code, change)));
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

  // Not an async function: every document it needs is nearly always known (written in the batch or
  // cached), and `withDocument` then answers at once, sparing a promise and a turn of the microtask
  // queue per read (~1.5 million reads in a rebuild's first thread: docs/performance.md, item 102).
  apply(stored: StoredEvent, context: ProjectionContext): Promise<void> | void {
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
        const revoked = event.type === 'CertificateRevoked';
        const { certificateId } = event.data;
        return withDocument<CertificateCodeDoc, void>(context, CERTIFICATE_CODES, certificateId, (issued) => {
          if (!issued) return;
          return update(context, issued.code, (doc) =>
            revoked ? { ...doc, status: 'revoked', revokedAt: at } : { ...doc, handedOver: true },
          );
        });
      }
      case 'WorkerInfoUpdated':
      case 'WorkerErased': {
        if (event.type === 'WorkerInfoUpdated' && event.data.personal.name === undefined) return;
        // The workers projection ran first: its masked name is already the new one (or erased).
        return withDocument<WorkerDoc, void>(context, WORKERS, event.data.workerId, (worker) => {
          if (!worker) return;
          return updateEach(context, worker.codes, (doc) => ({ ...doc, holder: worker.maskedName }));
        });
      }
      case 'TrainingCompleted': {
        // Certificates issued before training was required: their view shows it once completed.
        // Most workers complete training before any certificate: then there is no view to change,
        // and their training record and provider are not read.
        const { workerId } = event.data;
        return withDocument<WorkerDoc, void>(context, WORKERS, workerId, (worker) => {
          if (!worker || worker.codes.length === 0) return;
          return withPublicTraining(context, workerId, (training) =>
            updateEach(context, worker.codes, (doc) => ({ ...doc, training })),
          );
        });
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

function issue(event: Recorded<CertificateIssued>, context: ProjectionContext): Promise<void> | void {
  const { certificateId, code, workerId } = event.data;
  context.put(CERTIFICATE_CODES, certificateId, {
    id: certificateId,
    code,
    workerId,
  } satisfies CertificateCodeDoc);
  return withDocument<WorkerDoc, void>(context, WORKERS, workerId, (worker) => {
    if (!worker) return;
    return withDocument<AgencyDoc, void>(context, AGENCIES, worker.agencyId, (agency) =>
      withPublicTraining(context, workerId, (training) => {
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
          training,
          ratings: ratingSummary(0, 0),
          ratingTotal: 0,
          certificateId,
          workerId,
        };
        context.put(PUBLIC_CERTIFICATES, code, doc);
      }),
    );
  });
}
