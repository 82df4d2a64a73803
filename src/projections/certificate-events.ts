import type { StoredEvent } from '../application/ports/event-store';
import {
  CERTIFICATE_EVENT_TYPES,
  type CertificateEvent,
  type CertificateStatus,
  type Gate,
} from '../domain/certificate/certificate';
import type { Recorded } from './projection';

export type RecordedCertificateEvent = Recorded<CertificateEvent>;

export const certificateEventTypes = [...CERTIFICATE_EVENT_TYPES];

export function certificateIdOf(event: StoredEvent): string | null {
  return CERTIFICATE_EVENT_TYPES.has(event.type)
    ? (event.data as { certificateId: string }).certificateId
    : null;
}

/** Queue names as they appear in URLs (`/queues/:gate`). */
export const QUEUE_GATES = ['company-check', 'platform-verification', 'police-check', 'issue'] as const;
export type QueueGate = (typeof QUEUE_GATES)[number];

export function awaitedGate(status: CertificateStatus): QueueGate | null {
  switch (status) {
    case 'awaiting_company_check':
      return 'company-check';
    case 'awaiting_platform_verification':
      return 'platform-verification';
    case 'awaiting_police_check':
      return 'police-check';
    case 'awaiting_issue':
      return 'issue';
    default:
      return null;
  }
}

export const GATE_OF_REJECTION: Record<string, Gate> = {
  CompanyCheckFailed: 'company_check',
  PlatformVerificationFailed: 'platform_verification',
  PoliceRecordFound: 'police_check',
};
