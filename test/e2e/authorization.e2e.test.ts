import {
  PAST_SESSION,
  agencyWithStaff,
  certificateUpTo,
  creditCode,
  idNumber,
  phone,
  registeredWorker,
  sharedTraining,
  trainingProvider,
  type Scenario,
  type TrainingSetup,
} from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';
import { PUBLIC_ROLE, type Role } from '../../src/domain/actor';

/**
 * DESIGN §6, exactly: every route is called by every role — and by an operator of another agency
 * and a training provider of another provider — and the status is asserted each time. A route
 * missing from this table fails the suite: add its row when you add a route.
 *
 * `publicRole` holds a token signed with the registry's own key that claims the citizen's role
 * (`public`, the actor of a rating): no route that needs a token may let it in (401, as without one).
 */

const CALLERS = [
  'anonymous',
  'publicRole',
  'operator',
  'otherOperator',
  'reviewer',
  'police',
  'trainer',
  'otherTrainer',
  'regulator',
  'auditor',
  'admin',
] as const;
type Caller = (typeof CALLERS)[number];

interface PreparedRequest {
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface Row {
  /** Method and path as the OpenAPI document names it. */
  readonly route: string;
  /** Tells two rows of one route apart (the queue of each gate). */
  readonly variant?: string;
  /** The status of each caller allowed through; everyone else gets 403 (401 without a token). */
  readonly allowed: Partial<Record<Caller, number>>;
  /** Open to everyone, with or without a token: every caller gets `allowed.anonymous`. */
  readonly open?: boolean;
  /** Callers answered 200 that must nevertheless write nothing (per-row refusals of a batch). */
  readonly writesNothing?: readonly Caller[];
  /** A valid request on fresh state: the route would succeed for an allowed caller. */
  prepare(): Promise<PreparedRequest>;
}

describe('authorisation: every route × every role gets exactly the status DESIGN §6 says', () => {
  let registry: RunningRegistry;
  let own: Scenario;
  let other: Scenario;
  let training: TrainingSetup;
  let otherTraining: TrainingSetup;
  let onlineSessionId: string;
  let ratedCode: string | undefined;
  const tokens = {} as Record<Caller, string | null>;

  const worker = (trained = false) => registeredWorker(registry, own, { trained });
  const certificateAt = async (stop: Parameters<typeof certificateUpTo>[3]) =>
    certificateUpTo(registry, own, await worker(stop === 'issue' || stop === 'issued'), stop);
  const write = async (path: string, token: string | null, body?: unknown) => {
    const answer = await registry.request('POST', path, { token, body });
    if (answer.status >= 300) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const session = async (mode: 'offline' | 'online', setup: TrainingSetup) =>
    (
      await write('/api/v1/training-sessions', setup.trainer, {
        mode,
        classHours: 3,
        teacher: '王芳',
        ...(mode === 'offline' ? { place: '徐汇区培训教室' } : {}),
        ...PAST_SESSION,
      })
    ).id as string;

  const ROWS: Row[] = [
    {
      route: 'POST /api/v1/agencies',
      allowed: { admin: 201 },
      prepare: async () => ({
        path: '/api/v1/agencies',
        body: { name: '新家政公司', creditCode: creditCode(), district: '310104' },
      }),
    },
    {
      route: 'POST /api/v1/workers',
      allowed: { operator: 201 },
      prepare: async () => ({
        path: '/api/v1/workers',
        body: { agencyId: own.agencyId, name: '李四', idNumber: idNumber(), phone: phone() },
      }),
    },
    {
      route: 'GET /api/v1/workers/{id}',
      allowed: { operator: 200, reviewer: 200, police: 200, regulator: 200 },
      prepare: async () => ({ path: `/api/v1/workers/${await worker()}` }),
    },
    {
      route: 'PATCH /api/v1/workers/{id}',
      allowed: { operator: 200 },
      prepare: async () => ({ path: `/api/v1/workers/${await worker()}`, body: { phone: phone() } }),
    },
    {
      route: 'POST /api/v1/workers/{id}/consents',
      allowed: { operator: 200 },
      prepare: async () => ({
        path: `/api/v1/workers/${await worker()}/consents`,
        body: { scopes: ['credit', 'criminal_record'], evidenceRef: 'consent-2.pdf' },
      }),
    },
    {
      route: 'GET /api/v1/workers/{id}/access-log',
      allowed: { operator: 200, regulator: 200 },
      prepare: async () => ({ path: `/api/v1/workers/${await worker()}/access-log` }),
    },
    {
      route: 'POST /api/v1/workers/{id}/erasure',
      allowed: { admin: 200, regulator: 200 },
      prepare: async () => ({
        path: `/api/v1/workers/${await worker()}/erasure`,
        body: { reason: 'the worker asked for erasure' },
      }),
    },
    {
      route: 'POST /api/v1/certificates',
      allowed: { operator: 201 },
      prepare: async () => ({ path: '/api/v1/certificates', body: { workerId: await worker() } }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/company-check',
      allowed: { operator: 200 },
      prepare: async () => ({
        path: `/api/v1/certificates/${(await certificateAt('company-check')).id}/company-check`,
        body: { outcome: 'passed' },
      }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/platform-verification',
      allowed: { reviewer: 200 },
      prepare: async () => ({
        path: `/api/v1/certificates/${(await certificateAt('platform-verification')).id}/platform-verification`,
        body: { outcome: 'passed' },
      }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/police-check',
      allowed: { police: 200 },
      prepare: async () => ({
        path: `/api/v1/certificates/${(await certificateAt('police-check')).id}/police-check`,
        body: { outcome: 'clear', reference: 'PSB-7' },
      }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/issue',
      allowed: { reviewer: 200 },
      prepare: async () => ({ path: `/api/v1/certificates/${(await certificateAt('issue')).id}/issue` }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/hand-over',
      allowed: { operator: 200 },
      prepare: async () => ({
        path: `/api/v1/certificates/${(await certificateAt('issued')).id}/hand-over`,
        body: { mode: 'individual' },
      }),
    },
    {
      route: 'POST /api/v1/certificates/{id}/revoke',
      allowed: { operator: 200, reviewer: 200, regulator: 200 },
      prepare: async () => ({
        path: `/api/v1/certificates/${(await certificateAt('company-check')).id}/revoke`,
        body: { reason: 'left the agency' },
      }),
    },
    {
      route: 'GET /api/v1/certificates/{id}',
      allowed: { operator: 200, reviewer: 200, police: 200, regulator: 200, auditor: 200 },
      prepare: async () => ({ path: `/api/v1/certificates/${(await certificateAt('company-check')).id}` }),
    },
    {
      route: 'GET /api/v1/public/certificates/{code}',
      open: true,
      allowed: { anonymous: 200 },
      prepare: async () => ({ path: `/api/v1/public/certificates/${(await certificateAt('issued')).code}` }),
    },
    {
      // Public: every caller is the anonymous citizen, whatever token it sends. One certificate
      // takes every caller's rating.
      route: 'POST /api/v1/public/certificates/{code}/ratings',
      open: true,
      allowed: { anonymous: 201 },
      prepare: async () => {
        ratedCode ??= (await certificateAt('issued')).code!;
        return { path: `/api/v1/public/certificates/${ratedCode}/ratings`, body: { score: 5 } };
      },
    },
    {
      route: 'GET /api/v1/audit/certificates/{id}/history',
      allowed: { auditor: 200, regulator: 200 },
      prepare: async () => ({
        path: `/api/v1/audit/certificates/${(await certificateAt('company-check')).id}/history`,
      }),
    },
    {
      route: 'GET /api/v1/audit/certificates/{id}/accountability',
      allowed: { auditor: 200, regulator: 200 },
      prepare: async () => ({
        path: `/api/v1/audit/certificates/${(await certificateAt('company-check')).id}/accountability`,
      }),
    },
    {
      route: 'GET /api/v1/audit/actors/{actorId}/decisions',
      allowed: { auditor: 200, regulator: 200 },
      prepare: async () => ({ path: '/api/v1/audit/actors/platform_reviewer-city/decisions' }),
    },
    ...(
      [
        ['company-check', { operator: 200, otherOperator: 200 }],
        ['platform-verification', { reviewer: 200 }],
        ['police-check', { police: 200 }],
        ['issue', { reviewer: 200 }],
      ] as const
    ).map(([gate, allowed]): Row => ({
      route: 'GET /api/v1/queues/{gate}',
      variant: gate,
      allowed,
      prepare: async () => ({ path: `/api/v1/queues/${gate}` }),
    })),
    {
      route: 'GET /api/v1/stats',
      allowed: { regulator: 200 },
      prepare: async () => ({ path: '/api/v1/stats?groupBy=district' }),
    },
    {
      route: 'GET /health',
      open: true,
      allowed: { anonymous: 200 },
      prepare: async () => ({ path: '/health' }),
    },
    {
      route: 'GET /.well-known/jwks.json',
      open: true,
      allowed: { anonymous: 200 },
      prepare: async () => ({ path: '/.well-known/jwks.json' }),
    },
    {
      route: 'POST /api/v1/training-providers',
      allowed: { admin: 201 },
      prepare: async () => ({
        path: '/api/v1/training-providers',
        body: { name: '新培训中心', creditCode: creditCode(), district: '310104' },
      }),
    },
    {
      // Each provider schedules its own sessions: the provider comes from the token.
      route: 'POST /api/v1/training-sessions',
      allowed: { trainer: 201, otherTrainer: 201 },
      prepare: async () => ({
        path: '/api/v1/training-sessions',
        body: { mode: 'offline', classHours: 3, teacher: '王芳', place: '教室', ...PAST_SESSION },
      }),
    },
    {
      route: 'GET /api/v1/training-sessions/{id}',
      allowed: { trainer: 200, regulator: 200 },
      prepare: async () => ({ path: `/api/v1/training-sessions/${training.sessionId}` }),
    },
    {
      route: 'POST /api/v1/training-sessions/{id}/attendance',
      allowed: { trainer: 200 },
      prepare: async () => ({
        path: `/api/v1/training-sessions/${training.sessionId}/attendance`,
        body: { workerIds: [await worker()] },
      }),
    },
    {
      route: 'POST /api/v1/training-sessions/{id}/progress',
      allowed: { trainer: 200 },
      prepare: async () => ({
        path: `/api/v1/training-sessions/${onlineSessionId}/progress`,
        body: { workerId: await worker(), hoursDone: 1 },
      }),
    },
    {
      route: 'POST /api/v1/training-sessions/{id}/supervision',
      allowed: { trainer: 200 },
      prepare: async () => ({
        path: `/api/v1/training-sessions/${await session('offline', training)}/supervision`,
        body: { attendees: 12, identityChecked: 12, inspector: '李督导', method: 'on_site' },
      }),
    },
    {
      route: 'POST /api/v1/training-sessions/{id}/exam-scores',
      allowed: { trainer: 200 },
      prepare: async () => {
        const workerId = await worker();
        await write(`/api/v1/training-sessions/${training.sessionId}/attendance`, training.trainer, {
          workerIds: [workerId],
        });
        return {
          path: `/api/v1/training-sessions/${training.sessionId}/exam-scores`,
          body: { scores: [{ workerId, score: 80 }] },
        };
      },
    },
    {
      route: 'GET /api/v1/agencies/{id}/roster',
      allowed: { operator: 200, regulator: 200 },
      prepare: async () => ({ path: `/api/v1/agencies/${own.agencyId}/roster` }),
    },
    {
      route: 'GET /api/v1/training-providers/{id}/roster',
      allowed: { trainer: 200, regulator: 200 },
      prepare: async () => ({ path: `/api/v1/training-providers/${training.providerId}/roster` }),
    },
    {
      route: 'POST /api/v1/police-checks/batch',
      allowed: { police: 200 },
      prepare: async () => ({
        path: '/api/v1/police-checks/batch',
        body: `${(await certificateAt('police-check')).id},clear,PSB-8\r\n`,
        headers: { 'content-type': 'text/csv' },
      }),
    },
    {
      // Another agency's operator is answered row by row: every row refused, nothing written.
      route: 'POST /api/v1/certificates/hand-over-batch',
      allowed: { operator: 200, otherOperator: 200 },
      writesNothing: ['otherOperator'],
      prepare: async () => ({
        path: '/api/v1/certificates/hand-over-batch',
        body: { mode: 'collective', batchRef: 'B-1', certificateIds: [(await certificateAt('issued')).id] },
      }),
    },
  ];

  const methodOf = (row: Row) => row.route.split(' ')[0]!;
  const expected = (row: Row, caller: Caller): number =>
    row.open
      ? row.allowed.anonymous!
      : (row.allowed[caller] ?? (caller === 'anonymous' || caller === 'publicRole' ? 401 : 403));
  const head = async (): Promise<number> => (await registry.request('GET', '/health')).body.eventStore.head;

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 0 });
    own = await agencyWithStaff(registry, '310104');
    other = await agencyWithStaff(registry, '310115');
    training = await sharedTraining(registry);
    otherTraining = await trainingProvider(registry, '310115');
    onlineSessionId = await session('online', training);
    Object.assign(tokens, {
      anonymous: null,
      // Not a role a token may hold (isRole refuses it): signed here as a forger holding the key would.
      publicRole: await registry.token(PUBLIC_ROLE as unknown as Role),
      operator: own.operator,
      otherOperator: other.operator,
      reviewer: own.reviewer,
      police: own.police,
      trainer: training.trainer,
      otherTrainer: otherTraining.trainer,
      regulator: await registry.token('regulator'),
      auditor: await registry.token('auditor'),
      admin: own.admin,
    });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('has a row for every route the service serves, and serves every route of the table', async () => {
    const document = (await registry.request('GET', '/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const table = [...new Set(ROWS.map((row) => row.route))];
    expect(served.filter((route) => !table.includes(route))).toEqual([]);
    expect(table.filter((route) => !served.includes(route))).toEqual([]);
  });

  it.each(ROWS.map((row) => [row.variant ? `${row.route} (${row.variant})` : row.route, row] as const))(
    '%s',
    async (_name, row) => {
      const refusedRequest = await row.prepare();
      const outcomes: string[] = [];
      const wanted: string[] = [];
      for (const caller of CALLERS) {
        const status = expected(row, caller);
        const request = status < 300 ? await row.prepare() : refusedRequest;
        const before = await head();
        const answer = await registry.request(methodOf(row), request.path, {
          token: tokens[caller],
          body: request.body,
          headers: request.headers,
        });
        const wroteNothing = (await head()) === before;
        const mustNotWrite = status >= 400 || (row.writesNothing ?? []).includes(caller);
        outcomes.push(`${caller} ${answer.status}${mustNotWrite && !wroteNothing ? ' (wrote!)' : ''}`);
        wanted.push(`${caller} ${status}`);
        if (answer.status >= 400) {
          expect(answer.body).toEqual(
            expect.objectContaining({ statusCode: answer.status, message: expect.any(String) }),
          );
        }
      }
      expect(outcomes).toEqual(wanted);
    },
  );
});
