import type { Actor } from '../actor';
import type { Command, Decider, Decision, DomainEvent } from '../decider';
import { assertNever } from '../decider';
import { conflict, forbidden, invalidField, type DomainError } from '../errors';
import type { PersonName } from './person-name';
import type { Phone } from './phone';
import type { ResidentId } from './resident-id';

export const CONSENT_SCOPES = ['credit', 'criminal_record'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

/** Personal data: the only worker fields that identify a person (encrypted at rest, shredded on erasure). */
export interface PersonalData {
  readonly name: string;
  readonly idNumber: string;
  readonly phone: string;
}

/** What the worker decider needs to know about the worker's current certificate, if any. */
export interface CurrentCertificateFacts {
  readonly certificateId: string;
  /** True while the application is open or the certificate is valid. */
  readonly active: boolean;
}

export type RegisterWorker = Command<
  'RegisterWorker',
  { workerId: string; agencyId: string; name: PersonName; idNumber: ResidentId; phone: Phone }
>;
export type RecordConsent = Command<
  'RecordConsent',
  { workerId: string; scopes: readonly ConsentScope[]; evidenceRef: string }
>;
/**
 * `recorded`: the name and phone the worker's events record (recordedPersonalData), which the
 * update is compared with; null when none is readable.
 */
export type UpdateWorkerInfo = Command<
  'UpdateWorkerInfo',
  {
    workerId: string;
    name?: PersonName;
    phone?: Phone;
    recorded: Pick<PersonalData, 'name' | 'phone'> | null;
  }
>;
/** Rule 2: the worker stream serialises applications, so two can never be open at once. */
export type OpenApplication = Command<
  'OpenApplication',
  { workerId: string; certificateId: string; current: CurrentCertificateFacts | null }
>;
/** Crypto-shredding (PIPL art. 47): the worker's data key is deleted once this is recorded. */
export type EraseWorker = Command<'EraseWorker', { workerId: string; reason: string }>;
export type WorkerCommand = RegisterWorker | RecordConsent | UpdateWorkerInfo | OpenApplication | EraseWorker;

export type WorkerRegistered = DomainEvent<
  'WorkerRegistered',
  { workerId: string; agencyId: string; personal: PersonalData }
>;
export type ConsentRecorded = DomainEvent<
  'ConsentRecorded',
  { workerId: string; scopes: ConsentScope[]; evidenceRef: string }
>;
export type WorkerInfoUpdated = DomainEvent<
  'WorkerInfoUpdated',
  { workerId: string; personal: Partial<Pick<PersonalData, 'name' | 'phone'>> }
>;
export type ApplicationOpened = DomainEvent<'ApplicationOpened', { workerId: string; certificateId: string }>;
/** Who erased the worker's personal data and why (the actor is in the event's metadata). */
export type WorkerErased = DomainEvent<'WorkerErased', { workerId: string; reason: string }>;
export type WorkerEvent =
  WorkerRegistered | ConsentRecorded | WorkerInfoUpdated | ApplicationOpened | WorkerErased;

/**
 * Holds no personal data: the one decision that depends on it (an info update that changes nothing
 * records nothing) is given the recorded values with its command, as an application is given the
 * facts of the current certificate. So a folded worker stream can be kept without names or numbers.
 */
export type WorkerState =
  | { status: 'unregistered' }
  | {
      status: 'registered';
      workerId: string;
      agencyId: string;
      consentScopes: readonly ConsentScope[];
      /** The last application opened for this worker, whatever became of it. */
      lastCertificateId: string | null;
    }
  | {
      /** Personal data crypto-shredded: nothing more may be recorded about this worker. */
      status: 'erased';
      workerId: string;
      agencyId: string;
      consentScopes: readonly ConsentScope[];
      lastCertificateId: string | null;
    };

export type RegisteredWorker = Extract<WorkerState, { status: 'registered' }>;

export function hasFullConsent(worker: RegisteredWorker): boolean {
  return CONSENT_SCOPES.every((scope) => worker.consentScopes.includes(scope));
}

/** Rule 4: only an operator of the worker's own agency acts on the worker as agency. */
export function refuseUnlessOwnAgency(actor: Actor, agencyId: string): DomainError | null {
  if (actor.role === 'agency_operator' && actor.agencyId === agencyId) return null;
  return forbidden(`only an operator of agency ${agencyId} may do this`);
}

/** Roles that may erase a worker's personal data. */
export const ERASING_ROLES: readonly Actor['role'][] = ['platform_admin', 'regulator'];

function eraseWorker(command: EraseWorker, state: Exclude<WorkerState, { status: 'unregistered' }>) {
  if (!ERASING_ROLES.includes(command.metadata.actor.role)) {
    return forbidden(`only a ${ERASING_ROLES.join(' or ')} may erase a worker's personal data`);
  }
  if (state.status === 'erased') return conflict(`worker ${state.workerId} was already erased`);
  const reason = command.data.reason.trim();
  if (reason === '') return invalidField('reason', 'is required');
  return [{ type: 'WorkerErased' as const, data: { workerId: state.workerId, reason } }];
}

export const workerDecider: Decider<WorkerCommand, WorkerEvent, WorkerState> = {
  initialState: { status: 'unregistered' },

  decide(command: WorkerCommand, state: WorkerState): Decision<WorkerEvent> {
    const { actor } = command.metadata;
    if (command.type === 'RegisterWorker') {
      const refusal = refuseUnlessOwnAgency(actor, command.data.agencyId);
      if (refusal) return refusal;
      if (state.status !== 'unregistered') return conflict(`worker ${state.workerId} is already registered`);
      const { workerId, agencyId, name, idNumber, phone } = command.data;
      return [
        { type: 'WorkerRegistered', data: { workerId, agencyId, personal: { name, idNumber, phone } } },
      ];
    }
    if (state.status === 'unregistered') return conflict(`worker ${command.data.workerId} is not registered`);
    if (command.type === 'EraseWorker') return eraseWorker(command, state);
    const refusal = refuseUnlessOwnAgency(actor, state.agencyId);
    if (refusal) return refusal;
    if (state.status === 'erased') {
      return conflict(`worker ${state.workerId} was erased; nothing more can be recorded about them`);
    }

    switch (command.type) {
      case 'RecordConsent': {
        const scopes = [...new Set(command.data.scopes)];
        const missing = CONSENT_SCOPES.filter((scope) => !scopes.includes(scope));
        if (missing.length > 0) return invalidField('scopes', `must include ${missing.join(' and ')}`);
        return [
          {
            type: 'ConsentRecorded',
            data: { workerId: state.workerId, scopes, evidenceRef: command.data.evidenceRef },
          },
        ];
      }
      case 'UpdateWorkerInfo': {
        const { name, phone, recorded } = command.data;
        const personal: { name?: string; phone?: string } = {};
        if (name !== undefined && name !== recorded?.name) personal.name = name;
        if (phone !== undefined && phone !== recorded?.phone) personal.phone = phone;
        if (Object.keys(personal).length === 0) return [];
        return [{ type: 'WorkerInfoUpdated', data: { workerId: state.workerId, personal } }];
      }
      case 'OpenApplication': {
        const { current, certificateId } = command.data;
        if (current?.active) {
          return conflict(`worker ${state.workerId} already has an open application or valid certificate`, {
            existingId: current.certificateId,
          });
        }
        return [{ type: 'ApplicationOpened', data: { workerId: state.workerId, certificateId } }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state: WorkerState, event: WorkerEvent): WorkerState {
    if (event.type === 'WorkerRegistered') {
      return {
        status: 'registered',
        workerId: event.data.workerId,
        agencyId: event.data.agencyId,
        consentScopes: [],
        lastCertificateId: null,
      };
    }
    if (state.status !== 'registered') return state;
    switch (event.type) {
      case 'ConsentRecorded':
        return { ...state, consentScopes: event.data.scopes };
      case 'WorkerInfoUpdated':
        return state;
      case 'ApplicationOpened':
        return { ...state, lastCertificateId: event.data.certificateId };
      case 'WorkerErased': {
        const { workerId, agencyId, consentScopes, lastCertificateId } = state;
        return { status: 'erased', workerId, agencyId, consentScopes, lastCertificateId };
      }
      default:
        return assertNever(event);
    }
  },
};

/** The personal data the worker's events record: null before registration and after erasure. */
export function recordedPersonalData(events: readonly WorkerEvent[]): PersonalData | null {
  return events.reduce<PersonalData | null>((recorded, event) => {
    switch (event.type) {
      case 'WorkerRegistered':
        return event.data.personal;
      case 'WorkerInfoUpdated':
        return recorded && { ...recorded, ...event.data.personal };
      case 'WorkerErased':
        return null;
      default:
        return recorded;
    }
  }, null);
}
