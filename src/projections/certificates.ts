import type { StoredEvent } from '../application/ports/event-store';
import {
  certificateDecider,
  type CertificateState,
  type CertificateStatus,
  type Gate,
} from '../domain/certificate/certificate';
import {
  awaitedGate,
  certificateEventTypes,
  certificateIdOf,
  type RecordedCertificateEvent,
} from './certificate-events';
import { documentProjection } from './projection';

/** Current state of one certificate, as staff see it. */
export interface CertificateDoc {
  [key: string]: unknown;
  id: string;
  workerId: string;
  agencyId: string;
  district: string;
  status: CertificateStatus;
  awaiting: string | null;
  code: string | null;
  appliedAt: string;
  issuedAt: string | null;
  handedOver: { mode: string; batchRef: string | null; at: string } | null;
  rejection: { gate: string; reason: string; at: string } | null;
  revocation: { reason: string; at: string; byRole: string } | null;
  updatedAt: string;
  revision: number;
  position: number;
}

export const CERTIFICATES = 'certificates';

/** The doc keeps the decider's own state, so the read model can never disagree with the write model. */
function stateOf(doc: CertificateDoc | null): CertificateState {
  if (!doc) return certificateDecider.initialState;
  const base = {
    certificateId: doc.id,
    workerId: doc.workerId,
    agencyId: doc.agencyId,
    district: doc.district,
  };
  // New fields before the spread of `base` (see the certificate decider's evolve).
  switch (doc.status) {
    case 'issued':
      return {
        status: 'issued',
        code: doc.code ?? '',
        handedOver: doc.handedOver
          ? {
              mode: doc.handedOver.mode as 'individual' | 'collective',
              batchRef: doc.handedOver.batchRef ?? undefined,
            }
          : null,
        ...base,
      };
    case 'rejected':
      return {
        status: 'rejected',
        gate: doc.rejection!.gate as Gate,
        reason: doc.rejection!.reason,
        ...base,
      };
    case 'revoked':
      return { status: 'revoked', reason: doc.revocation!.reason, ...base };
    case 'none':
      return certificateDecider.initialState;
    default:
      return { status: doc.status, ...base };
  }
}

export const certificatesProjection = documentProjection<CertificateDoc>({
  name: 'certificates',
  // Read by id only: an index would cost every write of a certificate and serve no query.
  collection: { name: CERTIFICATES, indexes: [] },
  eventTypes: certificateEventTypes,
  idOf: certificateIdOf,
  evolve: (doc, stored: StoredEvent) => {
    const event = stored as RecordedCertificateEvent;
    const state = certificateDecider.evolve(stateOf(doc), event);
    if (state.status === 'none') return doc;
    const at = event.metadata.occurredAt;
    const previous: CertificateDoc = doc ?? {
      id: state.certificateId,
      workerId: state.workerId,
      agencyId: state.agencyId,
      district: state.district,
      status: state.status,
      awaiting: null,
      code: null,
      appliedAt: at,
      issuedAt: null,
      handedOver: null,
      rejection: null,
      revocation: null,
      updatedAt: at,
      revision: event.revision,
      position: event.position,
    };
    // Every field named, not `{ ...previous, … }`: the documents reach here with several hidden
    // classes (made here, or parsed from the store), and a spread over several is a call into V8's
    // runtime: the fold took 1.8–2.4 µs per event with it, 0.8–1.0 without (docs/performance.md,
    // item 99). The type makes a field added to the document a compile error here.
    const next: CertificateDoc = {
      id: previous.id,
      workerId: previous.workerId,
      agencyId: previous.agencyId,
      district: previous.district,
      status: state.status,
      awaiting: awaitedGate(state.status),
      code: previous.code,
      appliedAt: previous.appliedAt,
      issuedAt: previous.issuedAt,
      handedOver: previous.handedOver,
      rejection: previous.rejection,
      revocation: previous.revocation,
      updatedAt: at,
      revision: event.revision,
      position: event.position,
    };
    switch (state.status) {
      case 'issued':
        next.code = state.code;
        if (event.type === 'CertificateIssued') next.issuedAt = at;
        if (state.handedOver && !previous.handedOver) {
          next.handedOver = { mode: state.handedOver.mode, batchRef: state.handedOver.batchRef ?? null, at };
        }
        break;
      case 'rejected':
        next.rejection = { gate: state.gate, reason: state.reason, at };
        break;
      case 'revoked':
        next.revocation = { reason: state.reason, at, byRole: event.metadata.actor.role };
        break;
      default:
        break;
    }
    return next;
  },
});
