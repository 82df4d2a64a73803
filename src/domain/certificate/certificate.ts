import type { Actor } from '../actor';
import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { conflict, forbidden, invalidField, type DomainError } from '../errors';
import { refuseUnlessOwnAgency } from '../worker/worker';
import type { CertificateCode } from './certificate-code';
import { unmetIssuingRequirements, type WorkerReadiness } from './issuing-requirements';

export type Gate = 'company_check' | 'platform_verification' | 'police_check';
export type HandOverMode = 'individual' | 'collective';

type CertificateCommandOf<Type extends string, Data> = Command<Type, Data & { certificateId: string }>;

export type ApplyForCertificate = CertificateCommandOf<
  'ApplyForCertificate',
  { workerId: string; agencyId: string; district: string }
>;
export type RecordCompanyCheck = CertificateCommandOf<
  'RecordCompanyCheck',
  { outcome: 'passed' | 'failed'; note?: string }
>;
export type RecordPlatformVerification = CertificateCommandOf<
  'RecordPlatformVerification',
  { outcome: 'passed' | 'failed'; note?: string }
>;
export type RecordPoliceComparison = CertificateCommandOf<
  'RecordPoliceComparison',
  { outcome: 'clear' | 'record_found'; reference: string }
>;
export type IssueCertificate = CertificateCommandOf<
  'IssueCertificate',
  { code: CertificateCode; worker: WorkerReadiness }
>;
export type HandOverCertificate = CertificateCommandOf<
  'HandOverCertificate',
  { mode: HandOverMode; batchRef?: string }
>;
export type RevokeCertificate = CertificateCommandOf<'RevokeCertificate', { reason: string }>;

export type CertificateCommand =
  | ApplyForCertificate
  | RecordCompanyCheck
  | RecordPlatformVerification
  | RecordPoliceComparison
  | IssueCertificate
  | HandOverCertificate
  | RevokeCertificate;

type Ref = { certificateId: string };
export type CertificateApplied = DomainEvent<
  'CertificateApplied',
  Ref & { workerId: string; agencyId: string; district: string }
>;
export type CompanyCheckPassed = DomainEvent<'CompanyCheckPassed', Ref & { note?: string }>;
export type CompanyCheckFailed = DomainEvent<'CompanyCheckFailed', Ref & { reason: string }>;
export type PlatformVerificationPassed = DomainEvent<'PlatformVerificationPassed', Ref & { note?: string }>;
export type PlatformVerificationFailed = DomainEvent<'PlatformVerificationFailed', Ref & { reason: string }>;
export type PoliceComparisonClear = DomainEvent<'PoliceComparisonClear', Ref & { reference: string }>;
export type PoliceRecordFound = DomainEvent<'PoliceRecordFound', Ref & { reference: string }>;
export type CertificateIssued = DomainEvent<'CertificateIssued', Ref & { code: string; workerId: string }>;
export type CertificateHandedOver = DomainEvent<
  'CertificateHandedOver',
  Ref & { mode: HandOverMode; batchRef?: string }
>;
export type CertificateRevoked = DomainEvent<'CertificateRevoked', Ref & { reason: string }>;

export type CertificateEvent =
  | CertificateApplied
  | CompanyCheckPassed
  | CompanyCheckFailed
  | PlatformVerificationPassed
  | PlatformVerificationFailed
  | PoliceComparisonClear
  | PoliceRecordFound
  | CertificateIssued
  | CertificateHandedOver
  | CertificateRevoked;

export const CERTIFICATE_EVENT_TYPES: ReadonlySet<string> = new Set<CertificateEvent['type']>([
  'CertificateApplied',
  'CompanyCheckPassed',
  'CompanyCheckFailed',
  'PlatformVerificationPassed',
  'PlatformVerificationFailed',
  'PoliceComparisonClear',
  'PoliceRecordFound',
  'CertificateIssued',
  'CertificateHandedOver',
  'CertificateRevoked',
]);

interface Applied {
  certificateId: string;
  workerId: string;
  agencyId: string;
  district: string;
}

export type CertificateState =
  | { status: 'none' }
  | (Applied & { status: 'awaiting_company_check' })
  | (Applied & { status: 'awaiting_platform_verification' })
  | (Applied & { status: 'awaiting_police_check' })
  | (Applied & { status: 'awaiting_issue' })
  | (Applied & {
      status: 'issued';
      code: string;
      handedOver: null | { mode: HandOverMode; batchRef?: string };
    })
  | (Applied & { status: 'rejected'; gate: Gate; reason: string })
  | (Applied & { status: 'revoked'; reason: string });

export type CertificateStatus = CertificateState['status'];

/** Open application or valid certificate: what rule 2 allows only one of per worker. */
export function isActive(state: CertificateState): boolean {
  return state.status !== 'none' && state.status !== 'rejected' && state.status !== 'revoked';
}

const GATE_LABEL: Record<Gate | 'issue', string> = {
  company_check: 'company check',
  platform_verification: 'platform verification',
  police_check: 'police comparison',
  issue: 'issue',
};

function describeStatus(state: CertificateState): string {
  switch (state.status) {
    case 'none':
      return 'does not exist';
    case 'awaiting_company_check':
    case 'awaiting_platform_verification':
    case 'awaiting_police_check':
    case 'awaiting_issue':
      return `is awaiting ${GATE_LABEL[state.status.slice('awaiting_'.length) as Gate | 'issue']}`;
    case 'issued':
      return 'is already issued';
    case 'rejected':
      return `was rejected at ${GATE_LABEL[state.gate]}`;
    case 'revoked':
      return 'is revoked';
    default:
      return assertNever(state);
  }
}

function outOfOrder(state: CertificateState, certificateId: string, step: Gate | 'issue'): DomainError {
  return conflict(
    `certificate ${certificateId} ${describeStatus(state)}; ${GATE_LABEL[step]} cannot be recorded now`,
  );
}

function refuseUnlessRole(actor: Actor, role: Actor['role'], step: string): DomainError | null {
  return actor.role === role ? null : forbidden(`only a ${role} may record ${step}`);
}

/** Rule 4: revoke as the worker's own agency, or as a platform reviewer or regulator. */
function refuseRevocation(actor: Actor, agencyId: string): DomainError | null {
  if (actor.role === 'platform_reviewer' || actor.role === 'regulator') return null;
  if (actor.role === 'agency_operator') return refuseUnlessOwnAgency(actor, agencyId);
  return forbidden(`a ${actor.role} may not revoke certificates`);
}

export const certificateDecider: Decider<CertificateCommand, CertificateEvent, CertificateState> = {
  initialState: { status: 'none' },

  decide(command: CertificateCommand, state: CertificateState): Decision<CertificateEvent> {
    const { actor } = command.metadata;
    const { certificateId } = command.data;
    if (command.type === 'ApplyForCertificate') {
      const refusal = refuseUnlessOwnAgency(actor, command.data.agencyId);
      if (refusal) return refusal;
      if (state.status !== 'none') return conflict(`certificate ${certificateId} already exists`);
      const { workerId, agencyId, district } = command.data;
      return [{ type: 'CertificateApplied', data: { certificateId, workerId, agencyId, district } }];
    }
    if (state.status === 'none') return conflict(`certificate ${certificateId} does not exist`);

    switch (command.type) {
      case 'RecordCompanyCheck': {
        const refusal = refuseUnlessOwnAgency(actor, state.agencyId);
        if (refusal) return refusal;
        if (state.status !== 'awaiting_company_check')
          return outOfOrder(state, certificateId, 'company_check');
        const { outcome, note } = command.data;
        return outcome === 'passed'
          ? [{ type: 'CompanyCheckPassed', data: { certificateId, ...(note ? { note } : {}) } }]
          : [{ type: 'CompanyCheckFailed', data: { certificateId, reason: note || 'company check failed' } }];
      }
      case 'RecordPlatformVerification': {
        const refusal = refuseUnlessRole(actor, 'platform_reviewer', 'platform verification');
        if (refusal) return refusal;
        if (state.status !== 'awaiting_platform_verification') {
          return outOfOrder(state, certificateId, 'platform_verification');
        }
        const { outcome, note } = command.data;
        return outcome === 'passed'
          ? [{ type: 'PlatformVerificationPassed', data: { certificateId, ...(note ? { note } : {}) } }]
          : [
              {
                type: 'PlatformVerificationFailed',
                data: { certificateId, reason: note || 'platform verification failed' },
              },
            ];
      }
      case 'RecordPoliceComparison': {
        const refusal = refuseUnlessRole(actor, 'police_liaison', 'police comparison');
        if (refusal) return refusal;
        if (state.status !== 'awaiting_police_check') return outOfOrder(state, certificateId, 'police_check');
        const { outcome, reference } = command.data;
        return outcome === 'clear'
          ? [{ type: 'PoliceComparisonClear', data: { certificateId, reference } }]
          : [{ type: 'PoliceRecordFound', data: { certificateId, reference } }];
      }
      case 'IssueCertificate': {
        const refusal = refuseUnlessRole(actor, 'platform_reviewer', 'the issue');
        if (refusal) return refusal;
        if (state.status !== 'awaiting_issue') return outOfOrder(state, certificateId, 'issue');
        const unmet = unmetIssuingRequirements(command.data.worker);
        if (unmet.length > 0) {
          return conflict(`certificate ${certificateId} cannot be issued: ${unmet.join('; ')}`, { unmet });
        }
        return [
          {
            type: 'CertificateIssued',
            data: { certificateId, code: command.data.code, workerId: state.workerId },
          },
        ];
      }
      case 'HandOverCertificate': {
        const refusal = refuseUnlessOwnAgency(actor, state.agencyId);
        if (refusal) return refusal;
        if (state.status !== 'issued')
          return conflict(
            `certificate ${certificateId} ${describeStatus(state)}; only an issued certificate can be handed over`,
          );
        if (state.handedOver) return conflict(`certificate ${certificateId} was already handed over`);
        const { mode, batchRef } = command.data;
        if (mode === 'collective' && !batchRef) {
          return invalidField('batchRef', 'is required for a collective hand-over (集体领卡)');
        }
        return [
          { type: 'CertificateHandedOver', data: { certificateId, mode, ...(batchRef ? { batchRef } : {}) } },
        ];
      }
      case 'RevokeCertificate': {
        const refusal = refuseRevocation(actor, state.agencyId);
        if (refusal) return refusal;
        if (state.status === 'rejected' || state.status === 'revoked') {
          return conflict(`certificate ${certificateId} ${describeStatus(state)}; it cannot be revoked`);
        }
        return [{ type: 'CertificateRevoked', data: { certificateId, reason: command.data.reason } }];
      }
      default:
        return assertNever(command);
    }
  },

  // The new fields come before the spread of `applied`, which holds none of them: an object made as
  // `{ ...applied, status }` gets a hidden class of its own in V8 (Node 20), costly to make and to
  // read (docs/performance.md, item 67).
  evolve(state: CertificateState, event: CertificateEvent): CertificateState {
    if (event.type === 'CertificateApplied') return { status: 'awaiting_company_check', ...event.data };
    if (state.status === 'none') return state;
    const applied: Applied = {
      certificateId: state.certificateId,
      workerId: state.workerId,
      agencyId: state.agencyId,
      district: state.district,
    };
    switch (event.type) {
      case 'CompanyCheckPassed':
        return { status: 'awaiting_platform_verification', ...applied };
      case 'CompanyCheckFailed':
        return { status: 'rejected', gate: 'company_check', reason: event.data.reason, ...applied };
      case 'PlatformVerificationPassed':
        return { status: 'awaiting_police_check', ...applied };
      case 'PlatformVerificationFailed':
        return { status: 'rejected', gate: 'platform_verification', reason: event.data.reason, ...applied };
      case 'PoliceComparisonClear':
        return { status: 'awaiting_issue', ...applied };
      case 'PoliceRecordFound':
        return {
          status: 'rejected',
          gate: 'police_check',
          reason: `police comparison found a record (reference ${event.data.reference})`,
          ...applied,
        };
      case 'CertificateIssued':
        return { status: 'issued', code: event.data.code, handedOver: null, ...applied };
      case 'CertificateHandedOver':
        if (state.status !== 'issued') return state;
        return {
          status: 'issued',
          code: state.code,
          handedOver: { mode: event.data.mode, batchRef: event.data.batchRef },
          ...applied,
        };
      case 'CertificateRevoked':
        return { status: 'revoked', reason: event.data.reason, ...applied };
      default:
        return assertNever(event);
    }
  },
};
