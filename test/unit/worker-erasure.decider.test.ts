import type { Actor, Role } from '../../src/domain/actor';
import type { CommandMetadata } from '../../src/domain/decider';
import { parsePersonName } from '../../src/domain/worker/person-name';
import { parsePhone } from '../../src/domain/worker/phone';
import { parseResidentId } from '../../src/domain/worker/resident-id';
import {
  workerDecider,
  type EraseWorker,
  type WorkerCommand,
  type WorkerEvent,
} from '../../src/domain/worker/worker';
import { DeciderSpecification } from './decider-specification';

const now = '2026-11-24T08:00:00.000Z';
const actor = (role: Role, agencyId?: string): Actor => ({
  id: `${role}-1`,
  role,
  ...(agencyId ? { agencyId } : {}),
});
const by = (who: Actor): CommandMetadata => ({ actor: who, now });
const operator = actor('agency_operator', 'agency-a');
const otherOperator = actor('agency_operator', 'agency-b');
const spec = DeciderSpecification.for(workerDecider);

const registered: WorkerEvent = {
  type: 'WorkerRegistered',
  data: {
    workerId: 'worker-1',
    agencyId: 'agency-a',
    personal: { name: '张三丰', idNumber: '11010519491231002X', phone: '13812345678' },
  },
};
const consented: WorkerEvent = {
  type: 'ConsentRecorded',
  data: { workerId: 'worker-1', scopes: ['credit', 'criminal_record'], evidenceRef: 'form-1' },
};
const erased: WorkerEvent = {
  type: 'WorkerErased',
  data: { workerId: 'worker-1', reason: 'worker request' },
};

const erase = (who: Actor, reason = 'worker request'): EraseWorker => ({
  type: 'EraseWorker',
  data: { workerId: 'worker-1', reason },
  metadata: by(who),
});

describe('worker erasure (crypto-shredding is decided like any other change)', () => {
  it.each<Role>(['platform_admin', 'regulator'])(
    'a %s erases a registered worker, with the reason',
    (role) => {
      spec
        .given([registered, consented])
        .when(erase(actor(role), '  PIPL art. 47 request  '))
        .then([{ type: 'WorkerErased', data: { workerId: 'worker-1', reason: 'PIPL art. 47 request' } }]);
    },
  );

  it.each<Role>(['agency_operator', 'platform_reviewer', 'police_liaison', 'training_provider', 'auditor'])(
    'a %s may not erase',
    (role) => {
      spec
        .given([registered])
        .when(erase(actor(role, 'agency-a')))
        .thenFails('forbidden', 'only a platform_admin or regulator may erase');
    },
  );

  it('needs a reason', () => {
    spec
      .given([registered])
      .when(erase(actor('regulator'), '   '))
      .thenFails('invalid', 'reason is required');
  });

  it('erases once: a second erasure is a conflict', () => {
    spec
      .given([registered, erased])
      .when(erase(actor('regulator')))
      .thenFails('conflict', 'was already erased');
  });

  it('cannot erase a worker who does not exist', () => {
    spec
      .given([])
      .when(erase(actor('regulator')))
      .thenFails('conflict', 'is not registered');
  });

  it('leaves an erased state that keeps ids and facts, not personal data', () => {
    const state = spec.given([registered, consented, erased]).state;
    expect(state).toEqual({
      status: 'erased',
      workerId: 'worker-1',
      agencyId: 'agency-a',
      consentScopes: ['credit', 'criminal_record'],
      lastCertificateId: null,
    });
    expect(JSON.stringify(state)).not.toContain('张三丰');
  });

  describe('after erasure nothing more is recorded', () => {
    const commands: [string, WorkerCommand][] = [
      [
        'consent',
        {
          type: 'RecordConsent',
          data: { workerId: 'worker-1', scopes: ['credit', 'criminal_record'], evidenceRef: 'x' },
          metadata: by(operator),
        },
      ],
      [
        'info update',
        {
          type: 'UpdateWorkerInfo',
          data: {
            workerId: 'worker-1',
            phone: parsePhone('13900000000'),
            recorded: { name: '张三丰', phone: '13812345678' },
          },
          metadata: by(operator),
        },
      ],
      [
        'application',
        {
          type: 'OpenApplication',
          data: { workerId: 'worker-1', certificateId: 'c-1', current: null },
          metadata: by(operator),
        },
      ],
      [
        're-registration',
        {
          type: 'RegisterWorker',
          data: {
            workerId: 'worker-1',
            agencyId: 'agency-a',
            name: parsePersonName('张三丰'),
            idNumber: parseResidentId('11010519491231002X'),
            phone: parsePhone('13812345678'),
          },
          metadata: by(operator),
        },
      ],
    ];

    it.each(commands)('%s: conflict', (_name, command) => {
      spec.given([registered, erased]).when(command).thenFails('conflict');
    });

    it("another agency's operator still gets 403 first: erasure is not revealed to them", () => {
      spec
        .given([registered, erased])
        .when({ ...commands[0]![1], metadata: by(otherOperator) })
        .thenFails('forbidden');
    });
  });

  it('replays a stream whose personal data reads as erased (its key destroyed)', () => {
    const shredded: WorkerEvent = {
      ...registered,
      data: {
        ...registered.data,
        personal: { name: '[erased]', idNumber: '[erased]', phone: '[erased]' },
      },
    } as WorkerEvent;
    expect(spec.given([shredded, consented, erased]).state.status).toBe('erased');
  });
});
