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

/** A registered training provider, its token, and one offline 3-class-hour session it ran. */
export interface TrainingSetup {
  providerId: string;
  trainer: string;
  sessionId: string;
}

const trainingSetups = new WeakMap<RunningRegistry, Promise<TrainingSetup>>();

/** A fixed past session, so the attendance and exam it records are never "before it starts". */
export const PAST_SESSION = { startsAt: '2024-03-04T01:00:00.000Z', endsAt: '2024-03-04T04:00:00.000Z' };

/** Registers a training provider with one offline session of 3 class hours. */
export async function trainingProvider(
  registry: RunningRegistry,
  district = '310104',
): Promise<TrainingSetup> {
  const admin = await registry.token('platform_admin');
  const provider = await registry.request('POST', '/api/v1/training-providers', {
    token: admin,
    body: { name: `家政培训中心${next()}`, creditCode: creditCode(), district },
  });
  if (provider.status !== 201)
    throw new Error(`provider registration failed: ${JSON.stringify(provider.body)}`);
  const providerId = provider.body.id as string;
  const trainer = await registry.token('training_provider', providerId);
  const session = await registry.request('POST', '/api/v1/training-sessions', {
    token: trainer,
    body: { mode: 'offline', classHours: 3, teacher: '王芳', place: '徐汇区培训教室', ...PAST_SESSION },
  });
  if (session.status !== 201) throw new Error(`session scheduling failed: ${JSON.stringify(session.body)}`);
  return { providerId, trainer, sessionId: session.body.id as string };
}

/** One provider and session per running registry, shared by every worker the fixtures train. */
export function sharedTraining(registry: RunningRegistry): Promise<TrainingSetup> {
  let setup = trainingSetups.get(registry);
  if (!setup) {
    setup = trainingProvider(registry);
    trainingSetups.set(registry, setup);
  }
  return setup;
}

/** Takes the worker through training: attends a 3-class-hour session and passes its exam. */
export async function trainWorker(
  registry: RunningRegistry,
  workerId: string,
  options: { setup?: TrainingSetup; score?: number } = {},
): Promise<{ position: number }> {
  const { trainer, sessionId } = options.setup ?? (await sharedTraining(registry));
  const attended = await registry.request('POST', `/api/v1/training-sessions/${sessionId}/attendance`, {
    token: trainer,
    body: { workerIds: [workerId] },
  });
  if (attended.status !== 200) throw new Error(`attendance failed: ${JSON.stringify(attended.body)}`);
  const scored = await registry.request('POST', `/api/v1/training-sessions/${sessionId}/exam-scores`, {
    token: trainer,
    body: { scores: [{ workerId, score: options.score ?? 86 }] },
  });
  if (scored.status !== 200) throw new Error(`exam score failed: ${JSON.stringify(scored.body)}`);
  return { position: scored.body.position as number };
}

/** Registers a worker with consent on file and, unless `trained: false`, completed training. */
export async function registeredWorker(
  registry: RunningRegistry,
  scenario: Scenario,
  person: { name?: string; idNumber?: string; phone?: string; trained?: boolean } = {},
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
  if (person.trained !== false) await trainWorker(registry, workerId);
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
