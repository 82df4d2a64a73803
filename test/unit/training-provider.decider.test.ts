import type { Actor, Role } from '../../src/domain/actor';
import { composeCreditCode } from '../../src/domain/agency/credit-code';
import { parseDistrict } from '../../src/domain/agency/district';
import {
  trainingProviderDecider,
  type RegisterTrainingProvider,
  type TrainingProviderEvent,
  type TrainingProviderState,
} from '../../src/domain/training/training-provider';
import { DeciderSpecification } from './decider-specification';

const admin: Actor = { id: 'admin-1', role: 'platform_admin' };
const now = '2026-11-24T08:00:00.000Z';
const creditCode = composeCreditCode('52310104MJ0000001');
const district = parseDistrict('310104');

const spec = DeciderSpecification.for(trainingProviderDecider);

function register(actor: Actor = admin, name = '上海家政职业培训中心'): RegisterTrainingProvider {
  return {
    type: 'RegisterTrainingProvider',
    data: { providerId: 'provider-1', name, creditCode, district },
    metadata: { actor, now },
  };
}

const registered: TrainingProviderEvent = {
  type: 'TrainingProviderRegistered',
  data: { providerId: 'provider-1', name: '上海家政职业培训中心', creditCode, district: '310104' },
};

describe('training provider decider', () => {
  it('given nothing, when a platform admin registers a provider, then TrainingProviderRegistered records it', () => {
    const state = spec.given([]).when(register()).then([registered]);

    expect(state).toEqual<TrainingProviderState>({
      status: 'registered',
      providerId: 'provider-1',
      name: '上海家政职业培训中心',
      creditCode,
      district: '310104',
    });
  });

  it('given a registered provider, when registered again, then it is a conflict naming the provider', () => {
    spec
      .given([registered])
      .when(register(admin, '另一家培训机构'))
      .thenFails('conflict', 'training provider provider-1 is already registered');
  });

  it.each<Role>([
    'agency_operator',
    'platform_reviewer',
    'police_liaison',
    'training_provider',
    'regulator',
    'auditor',
  ])('given nothing, when a %s registers a provider, then it is forbidden', (role) => {
    spec
      .given([])
      .when(register({ id: 'someone', role, agencyId: 'provider-1' }))
      .thenFails('forbidden', 'only a platform_admin may register training providers');
  });
});
