import fc from 'fast-check';
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

/**
 * Property: whatever arrives at a write route — random JSON, the right fields with wrong types,
 * huge strings, unicode edge cases, prototype-pollution keys, malformed JSON, wrong media types —
 * the answer is a JSON 4xx error (batch routes: per-row answers, never a 5xx), no event is written,
 * and Object.prototype is untouched.
 *
 * The targets are chosen so that even a body that happens to be valid is refused by the domain
 * (a revoked certificate, an erased worker, a taken credit code, another provider's session): any
 * write would then be a bug, never luck.
 */

interface Target {
  readonly name: string;
  readonly method: 'POST' | 'PATCH';
  readonly path: string;
  readonly token: string;
  /** A body of the right shape (valid, or valid but refused by the domain). */
  readonly template: Record<string, unknown> | string;
  /** Batch routes answer row by row (200) even when every row is refused. */
  readonly batch?: boolean;
}

interface Attempt {
  readonly raw: string | undefined;
  readonly contentType: string;
  readonly label: string;
}

const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uD83D',
  '\u202E\u202Dgnp.exe',
  '\uFEFF',
  '\u200B\u200C\u200D',
  'e\u0301\u0301\u0301',
  '𠮷野家'.repeat(500),
  'A'.repeat(100_000),
  '%00%0a%0d',
  "'; DROP TABLE events; --",
  '{"$gt":""}',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '__proto__',
  'constructor',
  '１３８１２３４５６７８',
];

/** Fixed for a reproducible suite; FUZZ_SEED=… FUZZ_RUNS=… explore further. */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20260101;
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A JSON value of any type, or a value a DTO would never expect. */
const badValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...EDGE_STRINGS),
  fc.jsonValue({ maxDepth: 3 }),
  fc.fullUnicodeString({ maxLength: 40 }),
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, 2 ** 53 + 1, 3.5, [], {}, [[[]]], { a: { b: {} } }),
  fc.array(fc.fullUnicodeString({ maxLength: 5 }), { maxLength: 5 }),
  fc.integer({ min: 10_000, max: 300_000 }).map((n) => 'x'.repeat(n)),
);

/** Counterexamples print short: the label and the start of the body. */
function shown(attempt: Attempt): Attempt {
  const raw = attempt.raw ?? '';
  const text = `${attempt.label} (${attempt.contentType}): ${JSON.stringify(raw.slice(0, 200))}`;
  return Object.assign(attempt, {
    [fc.toStringMethod]: () => (raw.length > 200 ? `${text}… (${raw.length} chars)` : text),
  });
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** Adds a pollution key to an object's JSON text (JSON.stringify would drop a literal __proto__). */
function withPollution(body: Record<string, unknown>, key: string, nested: boolean): string {
  const payload = key === 'constructor' ? '{"prototype":{"polluted":true}}' : '{"polluted":true}';
  const text = json(body);
  const inner = `"${key}":${payload}`;
  if (!nested) return text === '{}' ? `{${inner}}` : `{${inner},${text.slice(1)}`;
  return `{"nested":{${inner}},${text.slice(1)}`;
}

function attempts(template: Record<string, unknown> | string): fc.Arbitrary<Attempt> {
  const fields = typeof template === 'string' ? [] : Object.keys(template);
  const object = typeof template === 'string' ? {} : template;
  const asJson = (label: string, raw: string): Attempt =>
    shown({ raw, contentType: 'application/json', label });
  const generators: fc.Arbitrary<Attempt>[] = [
    fc.jsonValue({ maxDepth: 4 }).map((value) => asJson('random JSON', json(value))),
    fc.fullUnicodeString({ maxLength: 200 }).map((text) => asJson('malformed JSON', text)),
    fc
      .integer({ min: 1, max: Math.max(1, json(object).length - 1) })
      .map((cut) => asJson('truncated JSON', json(object).slice(0, cut))),
    fc
      .integer({ min: 100, max: 20_000 })
      .map((depth) => asJson('deep nesting', '['.repeat(depth) + ']'.repeat(depth))),
    fc
      .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.boolean())
      .map(([key, nested]) => asJson(`pollution ${key}`, withPollution(object, key, nested))),
    fc
      .tuple(
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/xml',
          'multipart/form-data',
        ),
        fc.string(),
      )
      .map(([contentType, text]) =>
        shown({ raw: text || 'a=b', contentType, label: `media type ${contentType}` }),
      ),
    fc.constant<Attempt>(shown({ raw: undefined, contentType: 'application/json', label: 'no body' })),
    fc.constant(asJson('too large', json({ ...object, padding: 'p'.repeat(1_100_000) }))),
  ];
  if (fields.length > 0) {
    generators.push(
      fc
        .tuple(fc.constantFrom(...fields), badValue)
        .map(([field, value]) => asJson(`${field}: wrong value`, json({ ...object, [field]: value }))),
      fc
        .tuple(fc.subarray(fields), fc.dictionary(fc.string({ maxLength: 10 }), badValue, { maxKeys: 3 }))
        .map(([keep, extra]) =>
          asJson(
            'fields missing / unknown fields',
            json({ ...Object.fromEntries(keep.map((f) => [f, object[f]])), ...extra }),
          ),
        ),
    );
  }
  return fc.oneof(...generators);
}

describe('property: malformed input to any write route is a 4xx JSON error and writes nothing', () => {
  let registry: RunningRegistry;
  let own: Scenario;
  let training: TrainingSetup;
  let stranger: TrainingSetup;
  const targets: Target[] = [];

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 0 });
    own = await agencyWithStaff(registry, '310104');
    training = await sharedTraining(registry);
    stranger = await trainingProvider(registry, '310115');
    const regulator = await registry.token('regulator');
    const takenAgencyCode = creditCode();
    await registry.request('POST', '/api/v1/agencies', {
      token: own.admin,
      body: { name: '已登记公司', creditCode: takenAgencyCode, district: '310104' },
    });
    const takenProviderCode = creditCode();
    await registry.request('POST', '/api/v1/training-providers', {
      token: own.admin,
      body: { name: '已登记培训', creditCode: takenProviderCode, district: '310104' },
    });
    const takenIdNumber = idNumber();
    const erased = await registeredWorker(registry, own, { idNumber: takenIdNumber, trained: false });
    await registry.request('POST', `/api/v1/workers/${erased}/erasure`, {
      token: regulator,
      body: { reason: 'fuzz target' },
    });
    const revoked = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issued');
    await registry.request('POST', `/api/v1/certificates/${revoked.id}/revoke`, {
      token: own.operator,
      body: { reason: 'fuzz target' },
    });
    const cert = `/api/v1/certificates/${revoked.id}`;
    const session = `/api/v1/training-sessions/${training.sessionId}`;
    targets.push(
      {
        name: 'register agency',
        method: 'POST',
        path: '/api/v1/agencies',
        token: own.admin,
        template: { name: '公司', creditCode: takenAgencyCode, district: '310104' },
      },
      {
        name: 'register worker',
        method: 'POST',
        path: '/api/v1/workers',
        token: own.operator,
        template: { agencyId: own.agencyId, name: '张三', idNumber: takenIdNumber, phone: phone() },
      },
      {
        name: 'consent',
        method: 'POST',
        path: `/api/v1/workers/${erased}/consents`,
        token: own.operator,
        template: { scopes: ['credit', 'criminal_record'], evidenceRef: 'c.pdf' },
      },
      {
        name: 'update worker',
        method: 'PATCH',
        path: `/api/v1/workers/${erased}`,
        token: own.operator,
        template: { name: '李四', phone: phone() },
      },
      {
        name: 'erase worker',
        method: 'POST',
        path: `/api/v1/workers/${erased}/erasure`,
        token: regulator,
        template: { reason: 'again' },
      },
      {
        name: 'apply',
        method: 'POST',
        path: '/api/v1/certificates',
        token: own.operator,
        template: { workerId: erased },
      },
      {
        name: 'company check',
        method: 'POST',
        path: `${cert}/company-check`,
        token: own.operator,
        template: { outcome: 'passed', note: 'ok' },
      },
      {
        name: 'platform verification',
        method: 'POST',
        path: `${cert}/platform-verification`,
        token: own.reviewer,
        template: { outcome: 'failed', note: 'no' },
      },
      {
        name: 'police check',
        method: 'POST',
        path: `${cert}/police-check`,
        token: own.police,
        template: { outcome: 'clear', reference: 'PSB-1' },
      },
      { name: 'issue', method: 'POST', path: `${cert}/issue`, token: own.reviewer, template: {} },
      {
        name: 'hand over',
        method: 'POST',
        path: `${cert}/hand-over`,
        token: own.operator,
        template: { mode: 'collective', batchRef: 'B-9' },
      },
      {
        name: 'revoke',
        method: 'POST',
        path: `${cert}/revoke`,
        token: own.operator,
        template: { reason: 'again' },
      },
      {
        // Public: the token is ignored. A revoked certificate refuses even a valid rating (409).
        name: 'rate',
        method: 'POST',
        path: `/api/v1/public/certificates/${revoked.code}/ratings`,
        token: own.operator,
        template: { score: 5, comment: '很好' },
      },
      {
        name: 'register training provider',
        method: 'POST',
        path: '/api/v1/training-providers',
        token: own.admin,
        template: { name: '培训', creditCode: takenProviderCode, district: '310104' },
      },
      {
        // A provider that is not registered: a valid session is refused (403) after validation.
        name: 'schedule session',
        method: 'POST',
        path: '/api/v1/training-sessions',
        token: await registry.token('training_provider', 'unregistered-provider'),
        template: { mode: 'offline', classHours: 3, teacher: '王芳', place: '教室', ...PAST_SESSION },
      },
      {
        name: 'attendance',
        method: 'POST',
        path: `${session}/attendance`,
        token: stranger.trainer,
        template: { workerIds: [erased] },
      },
      {
        name: 'progress',
        method: 'POST',
        path: `${session}/progress`,
        token: stranger.trainer,
        template: { workerId: erased, hoursDone: 1 },
      },
      {
        name: 'supervision',
        method: 'POST',
        path: `${session}/supervision`,
        token: stranger.trainer,
        template: { attendees: 1, identityChecked: 1, inspector: '李督导', method: 'on_site' },
      },
      {
        name: 'exam scores',
        method: 'POST',
        path: `${session}/exam-scores`,
        token: stranger.trainer,
        template: { scores: [{ workerId: erased, score: 90 }] },
      },
      {
        name: 'police-check batch',
        method: 'POST',
        path: '/api/v1/police-checks/batch',
        token: own.police,
        template: `${revoked.id},clear,PSB-2\r\n`,
        batch: true,
      },
      {
        name: 'hand-over batch',
        method: 'POST',
        path: '/api/v1/certificates/hand-over-batch',
        token: own.operator,
        template: { mode: 'collective', batchRef: 'B-1', certificateIds: [revoked.id] },
        batch: true,
      },
    );
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  const head = async (): Promise<number> => (await registry.request('GET', '/health')).body.eventStore.head;

  async function send(target: Target, attempt: Attempt) {
    const headers: Record<string, string> = { authorization: `Bearer ${target.token}` };
    if (attempt.raw !== undefined) headers['content-type'] = attempt.contentType;
    const response = await fetch(`${registry.url}${target.path}`, {
      method: target.method,
      headers,
      body: attempt.raw,
    });
    const text = await response.text();
    return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
  }

  it('covers every write route of the service', async () => {
    const document = (await registry.request('GET', '/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    const writes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => method !== 'get')
        .map((method) => `${method.toUpperCase()} ${path}`),
    );
    const covered = new Set(
      targets.map(
        (target) =>
          `${target.method} ${target.path
            .replace(/\/[0-9a-f]{8}-[0-9a-f-]{27}/g, '/{id}')
            .replace(/\/public\/certificates\/[0-9A-Z]{11}\//, '/public/certificates/{code}/')}`,
      ),
    );
    expect(writes.filter((route) => !covered.has(route))).toEqual([]);
  });

  it('answers every attempt with a JSON 4xx (batches: < 500) and writes no event', async () => {
    const before = await head();
    const seen = new Map<string, number>();
    for (const target of targets) {
      await fc.assert(
        fc.asyncProperty(attempts(target.template), async (attempt) => {
          const answer = await send(target, attempt);
          const key = `${answer.status}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          const context = `${target.name} / ${attempt.label}: ${answer.status} ${answer.text.slice(0, 300)}`;
          if (target.batch) expect({ context, ok: answer.status < 500 }).toEqual({ context, ok: true });
          else
            expect({ context, ok: answer.status >= 400 && answer.status < 500 }).toEqual({
              context,
              ok: true,
            });
          if (answer.status >= 400) {
            expect(answer.contentType).toMatch(/^application\/json/);
            const body = JSON.parse(answer.text) as Record<string, unknown>;
            expect(body).toEqual(
              expect.objectContaining({
                statusCode: answer.status,
                error: expect.any(String),
                message: expect.any(String),
              }),
            );
            expect(answer.text).not.toMatch(/\bat .+\(.+:\d+:\d+\)|node_modules|\/src\//);
          }
          expect({ context, head: await head() }).toEqual({ context, head: before });
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect([...seen.keys()].every((status) => Number(status) < 500)).toBe(true);
  });
});
