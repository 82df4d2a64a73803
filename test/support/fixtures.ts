import { composeCreditCode } from '../../src/domain/agency/credit-code';
import { composeResidentId } from '../../src/domain/worker/resident-id';
import type { RunningRegistry } from './registry';

let counter = 0;
const next = () => ++counter + Math.floor(Math.random() * 1000) * 1000;

/** A valid, unique unified social credit code. */
export function creditCode(): string {
  return composeCreditCode(`91310104MA${String(next()).padStart(7, '0')}`);
}

/** A valid, unique resident ID number (born in Shanghai's Xuhui district). */
export function idNumber(): string {
  const n = next();
  const day = String((n % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(n / 28) % 12) + 1).padStart(2, '0');
  return composeResidentId('310104', `19${70 + (n % 25)}${month}${day}`, String(n % 1000).padStart(3, '0'));
}

export function phone(): string {
  return `139${String(next()).padStart(8, '0')}`;
}

export interface Scenario {
  agencyId: string;
  operator: string;
  reviewer: string;
  police: string;
  admin: string;
}

/** A registered agency and the staff tokens a lifecycle needs. */
export async function agencyWithStaff(registry: RunningRegistry, district = '310104'): Promise<Scenario> {
  const admin = await registry.token('platform_admin');
  const agency = await registry.request('POST', '/api/v1/agencies', {
    token: admin,
    body: { name: `家政公司${next()}`, creditCode: creditCode(), district },
  });
  if (agency.status !== 201) throw new Error(`agency registration failed: ${JSON.stringify(agency.body)}`);
  const agencyId = agency.body.id as string;
  return {
    agencyId,
    admin,
    operator: await registry.token('agency_operator', agencyId),
    reviewer: await registry.token('platform_reviewer'),
    police: await registry.token('police_liaison'),
  };
}

export async function registeredWorker(
  registry: RunningRegistry,
  scenario: Scenario,
  person: { name?: string; idNumber?: string; phone?: string } = {},
): Promise<string> {
  const answer = await registry.request('POST', '/api/v1/workers', {
    token: scenario.operator,
    body: {
      agencyId: scenario.agencyId,
      name: person.name ?? '张三丰',
      idNumber: person.idNumber ?? idNumber(),
      phone: person.phone ?? phone(),
    },
  });
  if (answer.status !== 201) throw new Error(`worker registration failed: ${JSON.stringify(answer.body)}`);
  const workerId = answer.body.id as string;
  const consent = await registry.request('POST', `/api/v1/workers/${workerId}/consents`, {
    token: scenario.operator,
    body: { scopes: ['credit', 'criminal_record'], evidenceRef: 'consent.pdf' },
  });
  if (consent.status !== 200) throw new Error(`consent failed: ${JSON.stringify(consent.body)}`);
  return workerId;
}

/** Applies and passes every gate up to (not including) the given step. */
export async function certificateUpTo(
  registry: RunningRegistry,
  scenario: Scenario,
  workerId: string,
  stop: 'company-check' | 'platform-verification' | 'police-check' | 'issue' | 'issued',
): Promise<{ id: string; code?: string; position: number }> {
  const steps: [string, string, unknown][] = [
    ['company-check', scenario.operator, { outcome: 'passed' }],
    ['platform-verification', scenario.reviewer, { outcome: 'passed' }],
    ['police-check', scenario.police, { outcome: 'clear', reference: 'PSB-1' }],
    ['issue', scenario.reviewer, undefined],
  ];
  const applied = await registry.request('POST', '/api/v1/certificates', {
    token: scenario.operator,
    body: { workerId },
  });
  if (applied.status !== 201) throw new Error(`apply failed: ${JSON.stringify(applied.body)}`);
  const id = applied.body.id as string;
  let last = applied.body;
  for (const [step, token, body] of steps) {
    if (step === stop) break;
    const answer = await registry.request('POST', `/api/v1/certificates/${id}/${step}`, { token, body });
    if (answer.status !== 200) throw new Error(`${step} failed: ${JSON.stringify(answer.body)}`);
    last = answer.body;
  }
  return { id, code: last.code, position: last.position };
}
