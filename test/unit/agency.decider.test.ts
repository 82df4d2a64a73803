import type { Actor } from '../../src/domain/actor';
import {
  agencyDecider,
  type AgencyEvent,
  type AgencyState,
  type RegisterAgency,
} from '../../src/domain/agency/agency';
import { composeCreditCode } from '../../src/domain/agency/credit-code';
import { parseDistrict } from '../../src/domain/agency/district';
import { DeciderSpecification } from './decider-specification';

const admin: Actor = { id: 'admin-1', role: 'platform_admin' };
const now = '2026-11-24T08:00:00.000Z';
const creditCode = composeCreditCode('91310101MA1FL0000');
const district = parseDistrict('310101');

const spec = DeciderSpecification.for(agencyDecider);

function registerAgency(agencyId = 'agency-a', name = '上海安心家政服务有限公司'): RegisterAgency {
  return {
    type: 'RegisterAgency',
    data: { agencyId, name, creditCode, district },
    metadata: { actor: admin, now },
  };
}

const registered: AgencyEvent = {
  type: 'AgencyRegistered',
  data: { agencyId: 'agency-a', name: '上海安心家政服务有限公司', creditCode, district: '310101' },
};

describe('agency decider', () => {
  describe('RegisterAgency', () => {
    it('given no agency, when registered, then AgencyRegistered records name, credit code and district', () => {
      const state = spec.given([]).when(registerAgency()).then([registered]);

      expect(state).toEqual<AgencyState>({
        status: 'registered',
        agencyId: 'agency-a',
        name: '上海安心家政服务有限公司',
        creditCode,
        district: '310101',
      });
    });

    it('given a registered agency, when registered again, then it is a conflict naming the agency', () => {
      spec
        .given([registered])
        .when(registerAgency())
        .thenFails('conflict', 'agency agency-a is already registered');
    });

    it('given a registered agency, when registered again with other details, then it is still a conflict', () => {
      spec
        .given([registered])
        .when(registerAgency('agency-a', '另一家政公司'))
        .thenFails('conflict', /already registered/);
    });
  });

  describe('evolve', () => {
    it('starts unregistered', () => {
      expect(spec.given([]).state).toEqual({ status: 'unregistered' });
    });
  });
});
