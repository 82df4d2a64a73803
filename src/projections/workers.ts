import type { StoredEvent } from '../application/ports/event-store';
import {
  ERASED,
  type SealedPersonalData,
  type WithOpenedPersonalData,
} from '../application/ports/personal-data-cipher';
import type { Actor } from '../domain/actor';
import type { CertificateApplied, CertificateIssued } from '../domain/certificate/certificate';
import { maskName } from '../domain/worker/person-name';
import type { WorkerEvent } from '../domain/worker/worker';
import { documentProjection, type Recorded } from './projection';

/** One event's personal data as the event store keeps it: sealed under the worker's data key. */
export interface SealedPersonalEntry {
  streamId: string;
  eventId: string;
  sealed: SealedPersonalData;
}

/**
 * Staff view of a worker. Personal data is NOT held in clear: `sealedPersonal` keeps the envelopes
 * of the worker's events (opened, in order, by `PersonalDataReader`, which also records the access);
 * `maskedName` is the public form. Erasure empties `sealedPersonal` and masks the name as erased.
 */
export interface WorkerDoc {
  [key: string]: unknown;
  id: string;
  agencyId: string;
  maskedName: string;
  sealedPersonal: SealedPersonalEntry[];
  erased: { at: string; reason: string; by: Actor } | null;
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

/** The envelope an event's personal data was read from, unless its key is already destroyed. */
function sealedEntry(event: StoredEvent): SealedPersonalEntry[] {
  const opened = (event as StoredEvent & WithOpenedPersonalData).personalData;
  if (!opened || opened.erased) return [];
  return [{ streamId: event.streamId, eventId: event.id, sealed: opened.sealed }];
}

function masked(name: string | undefined): string {
  return name === undefined || name === ERASED ? ERASED : maskName(name);
}

export const workersProjection = documentProjection<WorkerDoc>({
  name: 'workers',
  // Read by id only.
  collection: { name: WORKERS, indexes: [] },
  eventTypes: [
    'WorkerRegistered',
    'ConsentRecorded',
    'WorkerInfoUpdated',
    'ApplicationOpened',
    'WorkerErased',
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
        maskedName: masked(personal.name),
        sealedPersonal: sealedEntry(event),
        erased: null,
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
        if (doc.erased) return doc;
        return {
          ...doc,
          ...(event.data.personal.name !== undefined ? { maskedName: masked(event.data.personal.name) } : {}),
          sealedPersonal: [...doc.sealedPersonal, ...sealedEntry(event)],
          updatedAt: at,
          revision: event.revision,
        };
      case 'WorkerErased':
        return {
          ...doc,
          maskedName: ERASED,
          sealedPersonal: [],
          erased: { at, reason: event.data.reason, by: event.metadata.actor },
          updatedAt: at,
          revision: event.revision,
        };
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
