import type { Actor, Role } from '../../src/domain/actor';
import type { CommandMetadata } from '../../src/domain/decider';
import { parsePersonName } from '../../src/domain/worker/person-name';
import { parsePhone } from '../../src/domain/worker/phone';
import { parseResidentId } from '../../src/domain/worker/resident-id';
import {
  hasFullConsent,
  recordedPersonalData,
  workerDecider,
  type ConsentScope,
  type CurrentCertificateFacts,
  type OpenApplication,
  type RecordConsent,
  type RegisteredWorker,
  type RegisterWorker,
  type UpdateWorkerInfo,
  type WorkerEvent,
  type WorkerState,
} from '../../src/domain/worker/worker';
import { DeciderSpecification } from './decider-specification';

const operatorA: Actor = { id: 'op-1', role: 'agency_operator', agencyId: 'agency-a' };
const operatorB: Actor = { id: 'op-2', role: 'agency_operator', agencyId: 'agency-b' };
const reviewer: Actor = { id: 'rev-1', role: 'platform_reviewer' };
const now = '2026-11-24T08:00:00.000Z';
const by = (actor: Actor): CommandMetadata => ({ actor, now });

const name = parsePersonName('张三丰');
const otherName = parsePersonName('张三');
const idNumber = parseResidentId('11010519491231002X');
const phone = parsePhone('13812345678');
const otherPhone = parsePhone('139 8765 4321');

const spec = DeciderSpecification.for(workerDecider);

function registerWorker(actor: Actor = operatorA, agencyId = 'agency-a'): RegisterWorker {
  return {
    type: 'RegisterWorker',
    data: { workerId: 'worker-1', agencyId, name, idNumber, phone },
    metadata: by(actor),
  };
}

function recordConsent(scopes: readonly ConsentScope[], actor: Actor = operatorA): RecordConsent {
  return {
    type: 'RecordConsent',
    data: { workerId: 'worker-1', scopes, evidenceRef: 'consent-form-2026-0001' },
    metadata: by(actor),
  };
}

/** An info update, compared with the name and phone on record (by default, those registered). */
function updateInfo(
  data: Omit<UpdateWorkerInfo['data'], 'workerId' | 'recorded'>,
  actor: Actor = operatorA,
  recorded: UpdateWorkerInfo['data']['recorded'] = { name, phone },
): UpdateWorkerInfo {
  return {
    type: 'UpdateWorkerInfo',
    data: { workerId: 'worker-1', ...data, recorded },
    metadata: by(actor),
  };
}

function openApplication(
  current: CurrentCertificateFacts | null,
  actor: Actor = operatorA,
  certificateId = 'cert-2',
): OpenApplication {
  return {
    type: 'OpenApplication',
    data: { workerId: 'worker-1', certificateId, current },
    metadata: by(actor),
  };
}

const registered: WorkerEvent = {
  type: 'WorkerRegistered',
  data: { workerId: 'worker-1', agencyId: 'agency-a', personal: { name, idNumber, phone } },
};
const consented: WorkerEvent = {
  type: 'ConsentRecorded',
  data: {
    workerId: 'worker-1',
    scopes: ['credit', 'criminal_record'],
    evidenceRef: 'consent-form-2026-0001',
  },
};
const opened = (certificateId: string): WorkerEvent => ({
  type: 'ApplicationOpened',
  data: { workerId: 'worker-1', certificateId },
});

const NON_OPERATOR_ROLES: Role[] = [
  'platform_reviewer',
  'police_liaison',
  'training_provider',
  'regulator',
  'auditor',
  'platform_admin',
];

describe('worker decider', () => {
  describe('RegisterWorker', () => {
    it('given no worker, when an operator of the agency registers one, then WorkerRegistered holds the personal data', () => {
      const state = spec.given([]).when(registerWorker()).then([registered]);

      expect(state).toEqual<WorkerState>({
        status: 'registered',
        workerId: 'worker-1',
        agencyId: 'agency-a',
        consentScopes: [],
        lastCertificateId: null,
      });
      expect(recordedPersonalData([registered])).toEqual({
        name: '张三丰',
        idNumber: '11010519491231002X',
        phone: '13812345678',
      });
    });

    it("given no worker, when another agency's operator registers one for agency-a, then it is forbidden", () => {
      spec
        .given([])
        .when(registerWorker(operatorB, 'agency-a'))
        .thenFails('forbidden', 'only an operator of agency agency-a may do this');
    });

    it.each(NON_OPERATOR_ROLES)(
      'given no worker, when a %s (even one bound to agency-a) registers one, then it is forbidden',
      (role) => {
        spec
          .given([])
          .when(registerWorker({ id: 'user-1', role, agencyId: 'agency-a' }))
          .thenFails('forbidden', 'agency-a');
      },
    );

    it('given no worker, when an operator bound to no agency registers one, then it is forbidden', () => {
      spec
        .given([])
        .when(registerWorker({ id: 'op-9', role: 'agency_operator' }))
        .thenFails('forbidden', 'agency-a');
    });

    it('given a registered worker, when registered again, then it is a conflict', () => {
      spec
        .given([registered])
        .when(registerWorker())
        .thenFails('conflict', 'worker worker-1 is already registered');
    });
  });

  describe('RecordConsent', () => {
    it('given a registered worker, when consent with both scopes is recorded, then ConsentRecorded holds them', () => {
      const state = spec
        .given([registered])
        .when(recordConsent(['credit', 'criminal_record']))
        .then([consented]);

      expect(state).toMatchObject({ consentScopes: ['credit', 'criminal_record'] });
    });

    it.each<[readonly ConsentScope[], string]>([
      [['credit'], 'scopes must include criminal_record'],
      [['criminal_record'], 'scopes must include credit'],
      [[], 'scopes must include credit and criminal_record'],
      [['credit', 'credit'], 'scopes must include criminal_record'],
    ])(
      'given a registered worker, when consent with scopes %j is recorded, then it is invalid',
      (scopes, message) => {
        const error = spec.given([registered]).when(recordConsent(scopes)).thenFails('invalid', message);

        expect(error.field).toBe('scopes');
      },
    );

    it('given a registered worker, when consent repeats a scope, then the scopes are recorded once each', () => {
      spec
        .given([registered])
        .when(recordConsent(['criminal_record', 'credit', 'criminal_record', 'credit']))
        .then([
          {
            type: 'ConsentRecorded',
            data: {
              workerId: 'worker-1',
              scopes: ['criminal_record', 'credit'],
              evidenceRef: 'consent-form-2026-0001',
            },
          },
        ]);
    });

    it('given consent already on file, when consent is recorded again, then it is recorded again', () => {
      spec
        .given([registered, consented])
        .when(recordConsent(['credit', 'criminal_record']))
        .then([consented]);
    });
  });

  describe('UpdateWorkerInfo', () => {
    it('given a registered worker, when the name changes, then only the name is in the event', () => {
      const update: WorkerEvent = {
        type: 'WorkerInfoUpdated',
        data: { workerId: 'worker-1', personal: { name: '张三' } },
      };
      spec
        .given([registered])
        .when(updateInfo({ name: otherName }))
        .then([update]);

      expect(recordedPersonalData([registered, update])).toEqual({ name: '张三', idNumber, phone });
    });

    it('given a registered worker, when the phone changes, then only the phone is in the event', () => {
      const update: WorkerEvent = {
        type: 'WorkerInfoUpdated',
        data: { workerId: 'worker-1', personal: { phone: '13987654321' } },
      };
      spec
        .given([registered])
        .when(updateInfo({ phone: otherPhone }))
        .then([update]);

      expect(recordedPersonalData([registered, update])).toEqual({ name, idNumber, phone: '13987654321' });
    });

    it('given a registered worker, when both change, then both are in the event', () => {
      spec
        .given([registered])
        .when(updateInfo({ name: otherName, phone: otherPhone }))
        .then([
          {
            type: 'WorkerInfoUpdated',
            data: { workerId: 'worker-1', personal: { name: '张三', phone: '13987654321' } },
          },
        ]);
    });

    it('given a registered worker, when the same name and a new phone are sent, then only the phone is in the event', () => {
      spec
        .given([registered])
        .when(updateInfo({ name, phone: otherPhone }))
        .then([
          { type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { phone: '13987654321' } } },
        ]);
    });

    it('given a registered worker, when the same name and phone are sent, then nothing happens', () => {
      spec.given([registered]).when(updateInfo({ name, phone })).thenNothingHappens();
    });

    it('given a registered worker, when nothing is sent, then nothing happens', () => {
      spec.given([registered]).when(updateInfo({})).thenNothingHappens();
    });

    it('given a phone changed earlier, when the original phone is sent back, then it is a change', () => {
      const changed: WorkerEvent = {
        type: 'WorkerInfoUpdated',
        data: { workerId: 'worker-1', personal: { phone: otherPhone } },
      };
      spec
        .given([registered, changed])
        .when(updateInfo({ phone }, operatorA, recordedPersonalData([registered, changed])))
        .then([{ type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { phone } } }]);
    });
  });

  describe('OpenApplication', () => {
    it('given a worker with no certificate, when an application is opened, then ApplicationOpened names it', () => {
      const state = spec
        .given([registered])
        .when(openApplication(null))
        .then([opened('cert-2')]);

      expect(state).toMatchObject({ lastCertificateId: 'cert-2' });
    });

    it('given a worker whose last certificate is no longer active, when an application is opened, then it is allowed', () => {
      spec
        .given([registered, opened('cert-1')])
        .when(openApplication({ certificateId: 'cert-1', active: false }))
        .then([opened('cert-2')]);
    });

    it('given a worker with an active certificate, when an application is opened, then it is a conflict with the existing id', () => {
      const error = spec
        .given([registered, opened('cert-1')])
        .when(openApplication({ certificateId: 'cert-1', active: true }))
        .thenFails('conflict', 'worker worker-1 already has an open application or valid certificate');

      expect(error.details).toEqual({ existingId: 'cert-1' });
    });
  });

  describe('on an unregistered worker', () => {
    it.each([
      ['RecordConsent', recordConsent(['credit', 'criminal_record'])],
      ['UpdateWorkerInfo', updateInfo({ phone: otherPhone })],
      ['OpenApplication', openApplication(null)],
    ])('when %s, then it is a conflict', (_type, command) => {
      spec.given([]).when(command).thenFails('conflict', 'worker worker-1 is not registered');
    });
  });

  describe("by another agency's operator or a non-operator", () => {
    it.each([
      ['RecordConsent', (actor: Actor) => recordConsent(['credit', 'criminal_record'], actor)],
      ['UpdateWorkerInfo', (actor: Actor) => updateInfo({ phone: otherPhone }, actor)],
      ['OpenApplication', (actor: Actor) => openApplication(null, actor)],
    ])('when %s, then it is forbidden', (_type, command) => {
      for (const actor of [operatorB, reviewer]) {
        spec
          .given([registered])
          .when(command(actor))
          .thenFails('forbidden', 'only an operator of agency agency-a may do this');
      }
    });
  });

  describe('evolve', () => {
    it('starts unregistered', () => {
      expect(spec.given([]).state).toEqual({ status: 'unregistered' });
    });

    it('ignores events that arrive before registration', () => {
      expect(spec.given([consented, opened('cert-1')]).state).toEqual({ status: 'unregistered' });
    });

    it('tracks consent scopes (the latest recording wins) and the last certificate, never personal data', () => {
      const { state } = spec.given([
        registered,
        {
          type: 'ConsentRecorded',
          data: { workerId: 'worker-1', scopes: ['credit'], evidenceRef: 'form-1' },
        },
        opened('cert-1'),
        { type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { name: otherName } } },
        consented,
        opened('cert-2'),
        { type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { phone: otherPhone } } },
      ]);

      expect(state).toEqual<WorkerState>({
        status: 'registered',
        workerId: 'worker-1',
        agencyId: 'agency-a',
        consentScopes: ['credit', 'criminal_record'],
        lastCertificateId: 'cert-2',
      });
      expect(JSON.stringify(state)).not.toMatch(/张三|11010519491231002X|1398765432/);
    });
  });

  describe('recordedPersonalData', () => {
    it('folds the registration and every info update, field by field', () => {
      expect(
        recordedPersonalData([
          registered,
          consented,
          { type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { name: otherName } } },
          { type: 'WorkerInfoUpdated', data: { workerId: 'worker-1', personal: { phone: otherPhone } } },
        ]),
      ).toEqual({ name: '张三', idNumber: '11010519491231002X', phone: '13987654321' });
    });

    it('is null before registration and after erasure', () => {
      expect(recordedPersonalData([])).toBeNull();
      expect(
        recordedPersonalData([
          registered,
          { type: 'WorkerErased', data: { workerId: 'worker-1', reason: 'request of the worker' } },
        ]),
      ).toBeNull();
    });
  });

  describe('hasFullConsent', () => {
    const workerAfter = (events: WorkerEvent[]): RegisteredWorker => {
      const { state } = spec.given(events);
      if (state.status !== 'registered') throw new Error('expected a registered worker');
      return state;
    };

    it('is false for a worker without consent', () => {
      expect(hasFullConsent(workerAfter([registered]))).toBe(false);
    });

    it('is false when only one scope is on file', () => {
      const partial: WorkerEvent = {
        type: 'ConsentRecorded',
        data: { workerId: 'worker-1', scopes: ['criminal_record'], evidenceRef: 'form-1' },
      };
      expect(hasFullConsent(workerAfter([registered, partial]))).toBe(false);
    });

    it('is true when both scopes are on file, in any order', () => {
      expect(hasFullConsent(workerAfter([registered, consented]))).toBe(true);
      const reversed: WorkerEvent = {
        type: 'ConsentRecorded',
        data: { workerId: 'worker-1', scopes: ['criminal_record', 'credit'], evidenceRef: 'form-2' },
      };
      expect(hasFullConsent(workerAfter([registered, reversed]))).toBe(true);
    });
  });
});
