import type { StoredEvent } from '../application/ports/event-store';
import type { Actor } from '../domain/actor';
import { certificateEventTypes, certificateIdOf, type RecordedCertificateEvent } from './certificate-events';
import { documentProjection } from './projection';

export interface Accountable {
  by: Actor;
  at: string;
  eventId: string;
  position: number;
  outcome?: string;
  note?: string;
  reason?: string;
  reference?: string;
  mode?: string;
  batchRef?: string;
  code?: string;
}

/** Who passed each gate, issued, handed out and revoked, and when (谁发证谁负责). */
export interface AccountabilityDoc {
  [key: string]: unknown;
  id: string;
  applied: Accountable | null;
  companyCheck: Accountable | null;
  platformVerification: Accountable | null;
  policeCheck: Accountable | null;
  issued: Accountable | null;
  handedOver: Accountable | null;
  revoked: Accountable | null;
}

export const ACCOUNTABILITY = 'accountability';

type Step = Exclude<keyof AccountabilityDoc, 'id'>;

function stepOf(event: RecordedCertificateEvent): [Step, Partial<Accountable>] {
  switch (event.type) {
    case 'CertificateApplied':
      return ['applied', {}];
    case 'CompanyCheckPassed':
      return ['companyCheck', { outcome: 'passed', ...(event.data.note ? { note: event.data.note } : {}) }];
    case 'CompanyCheckFailed':
      return ['companyCheck', { outcome: 'failed', reason: event.data.reason }];
    case 'PlatformVerificationPassed':
      return [
        'platformVerification',
        { outcome: 'passed', ...(event.data.note ? { note: event.data.note } : {}) },
      ];
    case 'PlatformVerificationFailed':
      return ['platformVerification', { outcome: 'failed', reason: event.data.reason }];
    case 'PoliceComparisonClear':
      return ['policeCheck', { outcome: 'clear', reference: event.data.reference }];
    case 'PoliceRecordFound':
      return ['policeCheck', { outcome: 'record_found', reference: event.data.reference }];
    case 'CertificateIssued':
      return ['issued', { code: event.data.code }];
    case 'CertificateHandedOver':
      return [
        'handedOver',
        { mode: event.data.mode, ...(event.data.batchRef ? { batchRef: event.data.batchRef } : {}) },
      ];
    case 'CertificateRevoked':
      return ['revoked', { reason: event.data.reason }];
  }
}

export const accountabilityProjection = documentProjection<AccountabilityDoc>({
  name: 'accountability',
  collection: { name: ACCOUNTABILITY, indexes: [] },
  eventTypes: certificateEventTypes,
  idOf: certificateIdOf,
  evolve: (doc, stored: StoredEvent) => {
    const event = stored as RecordedCertificateEvent;
    const [step, facts] = stepOf(event);
    const base: AccountabilityDoc = doc ?? {
      id: event.data.certificateId,
      applied: null,
      companyCheck: null,
      platformVerification: null,
      policeCheck: null,
      issued: null,
      handedOver: null,
      revoked: null,
    };
    const accountable: Accountable = {
      by: event.metadata.actor,
      at: event.metadata.occurredAt,
      eventId: event.id,
      position: event.position,
      ...facts,
    };
    return { ...base, [step]: accountable };
  },
});
