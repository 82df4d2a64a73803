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

/** The status of an application waiting at each gate: one table for both directions. */
export const STATUS_AT_GATE = {
  'company-check': 'awaiting_company_check',
  'platform-verification': 'awaiting_platform_verification',
  'police-check': 'awaiting_police_check',
  issue: 'awaiting_issue',
} as const satisfies Record<QueueGate, CertificateStatus>;

const GATE_AT_STATUS: Partial<Record<CertificateStatus, QueueGate>> = Object.fromEntries(
  QUEUE_GATES.map((gate) => [STATUS_AT_GATE[gate], gate]),
);

export function awaitedGate(status: CertificateStatus): QueueGate | null {
  return GATE_AT_STATUS[status] ?? null;
}

export const GATE_OF_REJECTION: Record<string, Gate> = {
  CompanyCheckFailed: 'company_check',
  PlatformVerificationFailed: 'platform_verification',
  PoliceRecordFound: 'police_check',
};
