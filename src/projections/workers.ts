import type { StoredEvent } from '../application/ports/event-store';
import type { CertificateApplied, CertificateIssued } from '../domain/certificate/certificate';
import type { WorkerEvent } from '../domain/worker/worker';
import { documentProjection, type Recorded } from './projection';

/** Staff view of a worker, with personal data: only ever shown within the worker's agency scope. */
export interface WorkerDoc {
  [key: string]: unknown;
  id: string;
  agencyId: string;
  name: string;
  idNumber: string;
  phone: string;
  consentScopes: string[];
  consentEvidenceRef: string | null;
  certificateIds: string[];
  codes: string[];
  registeredAt: string;
  updatedAt: string;
  revision: number;
}

export const WORKERS = 'workers';

type WorkerRelevant = WorkerEvent | CertificateApplied | CertificateIssued;

export const workersProjection = documentProjection<WorkerDoc>({
  name: 'workers',
  collection: { name: WORKERS, indexes: ['agencyId'] },
  eventTypes: [
    'WorkerRegistered',
    'ConsentRecorded',
    'WorkerInfoUpdated',
    'ApplicationOpened',
    'CertificateApplied',
    'CertificateIssued',
  ],
  idOf: (event) => (event.data as { workerId?: string }).workerId ?? null,
  evolve: (doc, stored: StoredEvent) => {
    const event = stored as Recorded<WorkerRelevant>;
    const at = event.metadata.occurredAt;
    if (event.type === 'WorkerRegistered') {
      const { workerId, agencyId, personal } = event.data;
      return {
        id: workerId,
        agencyId,
        ...personal,
        consentScopes: [],
        consentEvidenceRef: null,
        certificateIds: [],
        codes: [],
        registeredAt: at,
        updatedAt: at,
        revision: event.revision,
      };
    }
    if (!doc) return null;
    switch (event.type) {
      case 'ConsentRecorded':
        return {
          ...doc,
          consentScopes: event.data.scopes,
          consentEvidenceRef: event.data.evidenceRef,
          updatedAt: at,
          revision: event.revision,
        };
      case 'WorkerInfoUpdated':
        return { ...doc, ...event.data.personal, updatedAt: at, revision: event.revision };
      case 'ApplicationOpened':
        return { ...doc, revision: event.revision };
      case 'CertificateApplied':
        return { ...doc, certificateIds: [...doc.certificateIds, event.data.certificateId] };
      case 'CertificateIssued':
        return { ...doc, codes: [...doc.codes, event.data.code] };
      default:
        return doc;
    }
  },
});
