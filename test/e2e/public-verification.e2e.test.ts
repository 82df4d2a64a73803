import { QueryBus } from '@nestjs/cqrs';
import { GetPublicCertificateQuery } from '../../src/application/certificate/certificate-queries';
import { READ_STORE, type ReadStore } from '../../src/application/ports/read-store';
import { createCertificateCode } from '../../src/domain/certificate/certificate-code';
import { PUBLIC_CERTIFICATES } from '../../src/projections/public-certificates';
import { agencyWithStaff, certificateUpTo, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

/**
 * `GET /api/v1/public/certificates/:code` is served by Fastify directly, outside Nest's pipeline:
 * it must still answer exactly what the rest of the API promises — the public fields only, the
 * same error bodies, the public rate limit, read-your-writes, security headers, CORS and its
 * entry in the OpenAPI document.
 */

const ORIGIN = 'https://verify.example.cn';
const PUBLIC = '/api/v1/public/certificates';
const VIEW_FIELDS = [
  'agency',
  'code',
  'handedOver',
  'holder',
  'issuedAt',
  'ratings',
  'revokedAt',
  'status',
  'training',
];

const expectHardened = (headers: Headers) => {
  expect(Object.fromEntries(headers)).toMatchObject({
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'cache-control': 'no-cache',
  });
  expect(headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
};

describe('public verification', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;
  let certificate: { id: string; code: string; position: number };

  const head = async (): Promise<number> => (await registry.request('GET', '/health')).body.eventStore.head;
  const verify = (code: string, headers: Record<string, string> = {}) =>
    registry.request('GET', `${PUBLIC}/${code}`, { headers });

  beforeAll(async () => {
    registry = await startRegistry(undefined, {
      publicRateLimit: 0,
      corsOrigins: [ORIGIN],
      consistencyWaitMs: 1000,
    });
    scenario = await agencyWithStaff(registry, '310104');
    const workerId = await registeredWorker(registry, scenario);
    const issued = await certificateUpTo(registry, scenario, workerId, 'issued');
    certificate = { id: issued.id, code: issued.code!, position: issued.position };
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  describe('the answer', () => {
    it('holds the public fields exactly: no certificate, worker or agency id', async () => {
      const answer = await verify(`${certificate.code}?minPosition=${certificate.position}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(Object.keys(answer.body).sort()).toEqual(VIEW_FIELDS);
      expect(answer.body).toEqual({
        code: certificate.code,
        status: 'valid',
        holder: '张*丰',
        issuedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        handedOver: false,
        revokedAt: null,
        training: {
          completed: true,
          classHours: 3,
          provider: expect.any(String),
          completedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        },
        ratings: { count: 0, average: null },
        agency: { name: expect.any(String), district: '310104', districtName: '徐汇区' },
      });
      const text = JSON.stringify(answer.body);
      for (const id of [certificate.id, scenario.agencyId]) expect(text).not.toContain(id);
      expect(text).not.toMatch(/certificateId|workerId/);
    });

    it('lets only the listed fields leave, whatever else the document gains', async () => {
      const code = createCertificateCode('ABCDE12345');
      await registry.app.get<symbol, ReadStore>(READ_STORE).commit(
        [
          {
            collection: PUBLIC_CERTIFICATES,
            id: code,
            doc: {
              code,
              status: 'revoked',
              holder: '李*',
              agency: {
                id: 'agency-internal',
                name: '某公司',
                district: '310101',
                districtName: '黄浦区',
                x: 1,
              },
              issuedAt: '2024-01-02T03:04:05.000Z',
              handedOver: true,
              revokedAt: '2024-02-03T04:05:06.000Z',
              training: null,
              ratings: { count: 2, average: 4.5, raters: ['someone'] },
              certificateId: 'certificate-internal',
              workerId: 'worker-internal',
              idNumber: '110101199003077777',
            },
          },
        ],
        [],
      );
      const answer = await verify(code);
      expect(answer.body).toEqual({
        code,
        status: 'revoked',
        holder: '李*',
        issuedAt: '2024-01-02T03:04:05.000Z',
        handedOver: true,
        revokedAt: '2024-02-03T04:05:06.000Z',
        training: null,
        ratings: { count: 2, average: 4.5 },
        agency: { name: '某公司', district: '310101', districtName: '黄浦区' },
      });
    });

    it('is the same view the query bus gives any other caller', async () => {
      const viaBus = await registry.app
        .get(QueryBus)
        .execute(new GetPublicCertificateQuery(certificate.code.toLowerCase()));
      expect((await verify(certificate.code)).body).toEqual(viaBus);
    });

    it('accepts the code as printed or typed: grouped with hyphens, in lower case', async () => {
      const { code } = certificate;
      const grouped = `${code.slice(0, 5)}-${code.slice(5, 10)}-${code.slice(10)}`;
      for (const typed of [grouped, code.toLowerCase(), `${code.slice(0, 5)}%20${code.slice(5)}`]) {
        const answer = await verify(typed);
        expect({ typed, status: answer.status, code: answer.body.code }).toEqual({
          typed,
          status: 200,
          code,
        });
      }
    });

    it('needs no token and ignores a bad one; writes nothing', async () => {
      const before = await head();
      const answer = await verify(certificate.code, { authorization: 'Bearer not-a-token' });
      expect(answer.status).toBe(200);
      expect(await head()).toBe(before);
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const answer = await fetch(`${registry.url}${PUBLIC}/${certificate.code}`, { method: 'HEAD' });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expectHardened(answer.headers);
      expect(await answer.text()).toBe('');
    });
  });

  describe('refusals', () => {
    it('answers a mistyped code with 400 naming the field code', async () => {
      const { code } = certificate;
      const last = code[10] === '0' ? '1' : '0';
      const answer = await verify(code.slice(0, 10) + last);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'code is mistyped: its check character does not match the other 10 characters',
          field: 'code',
        },
      });
      expect((await verify('ABC')).body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'code must be 11 characters (got 3)',
        field: 'code',
      });
    });

    it('answers an unknown code with 404', async () => {
      const unknown = createCertificateCode('0000000000');
      const answer = await verify(unknown);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: `no certificate has the code ${unknown}` },
      });
    });

    it('leaves other paths and methods to the router as before', async () => {
      const cannot = (method: string, path: string) => ({
        statusCode: 404,
        error: 'Not Found',
        message: `Cannot ${method} ${path}`,
      });
      for (const path of [`${PUBLIC}/`, `${PUBLIC}/${certificate.code}/`, PUBLIC]) {
        expect((await registry.request('GET', path)).body).toEqual(cannot('GET', path));
      }
      const post = await registry.request('POST', `${PUBLIC}/${certificate.code}`, { body: {} });
      expect(post.body).toEqual(cannot('POST', `${PUBLIC}/${certificate.code}`));
    });
  });

  describe('read your own writes', () => {
    it('waits for ?minPosition= or X-Min-Position before reading', async () => {
      const revoked = await registry.request('POST', `/api/v1/certificates/${certificate.id}/revoke`, {
        token: scenario.operator,
        body: { reason: 'left the agency' },
      });
      expect(revoked.status).toBe(200);
      const viaQuery = await verify(`${certificate.code}?minPosition=${revoked.body.position}`);
      expect(viaQuery.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
      const viaHeader = await verify(certificate.code, { 'x-min-position': String(revoked.body.position) });
      expect(viaHeader.body).toMatchObject({ status: 'revoked' });
    });

    it('answers once the read models reach a position written while it waits', async () => {
      const workerId = await registeredWorker(registry, scenario);
      const { id, code } = await certificateUpTo(registry, scenario, workerId, 'issued');
      const next = (await head()) + 1;
      const waiting = verify(`${code}?minPosition=${next}`);
      const revoked = await registry.request('POST', `/api/v1/certificates/${id}/revoke`, {
        token: scenario.operator,
        body: { reason: 'left the agency' },
      });
      expect(revoked.body.position).toBe(next);
      expect((await waiting).body).toMatchObject({ code, status: 'revoked' });
    });

    it('answers 503 when the read models do not get there in time', async () => {
      const far = (await head()) + 1000;
      const answer = await verify(`${certificate.code}?minPosition=${far}`);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 503,
        body: {
          statusCode: 503,
          error: 'Service Unavailable',
          message: `read models have not reached position ${far} within 1000 ms; retry shortly`,
        },
      });
    });

    it('refuses a malformed minPosition with 400 naming it, before looking at the code', async () => {
      const refusal = {
        statusCode: 400,
        error: 'Bad Request',
        message: 'minPosition must be a non-negative whole number',
        field: 'minPosition',
      };
      for (const query of [
        'minPosition=x',
        'minPosition=-1',
        'minPosition=',
        'minPosition=1&minPosition=2',
      ]) {
        const answer = await verify(`${certificate.code}?${query}`);
        expect({ query, status: answer.status, body: answer.body }).toEqual({
          query,
          status: 400,
          body: refusal,
        });
      }
      expect((await verify(certificate.code, { 'x-min-position': '1.5' })).body).toEqual(refusal);
      expect((await verify('ABC?minPosition=x')).body).toEqual(refusal);
    });
  });

  describe('headers', () => {
    it('carries the security headers on answers and refusals alike', async () => {
      expectHardened((await verify(certificate.code)).headers);
      expectHardened((await verify('ABC')).headers);
      expectHardened((await verify(createCertificateCode('0000000000'))).headers);
      expectHardened((await verify(`${certificate.code}?minPosition=x`)).headers);
    });

    it('answers the configured origin only, preflight included', async () => {
      const allowed = await verify(certificate.code, { origin: ORIGIN });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(allowed.headers.get('vary')).toMatch(/origin/i);
      const other = await verify(certificate.code, { origin: 'https://evil.example' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${registry.url}${PUBLIC}/${certificate.code}`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'GET' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('x-min-position');
    });
  });

  it('is in the OpenAPI document, with the public fields as its answer', async () => {
    const document = (await registry.request('GET', '/docs-json')).body;
    const operation = document.paths['/api/v1/public/certificates/{code}'];
    expect(Object.keys(operation)).toEqual(['get']);
    expect(operation.get.tags).toEqual(['public']);
    expect(operation.get.security).toBeUndefined();
    expect(operation.get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'code', in: 'path', required: true })]),
    );
    const schema = operation.get.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties).sort()).toEqual(VIEW_FIELDS);
    expect(Object.keys(schema.properties.agency.properties).sort()).toEqual([
      'district',
      'districtName',
      'name',
    ]);
  });
});

describe('public verification is rate-limited per client', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 2 });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('counts every answer, refusals included, and answers beyond the limit with 429 and Retry-After', async () => {
    expect((await registry.request('GET', `${PUBLIC}/ABC`)).status).toBe(400);
    expect((await registry.request('GET', `${PUBLIC}/${createCertificateCode('0000000000')}`)).status).toBe(
      404,
    );
    const limited = await registry.request('GET', `${PUBLIC}/${createCertificateCode('0000000000')}`);
    expect({ status: limited.status, body: limited.body }).toEqual({
      status: 429,
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^too many requests: at most 2 a minute; retry in \d+ s$/),
      },
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.message).toContain(`retry in ${retryAfter} s`);
    expectHardened(limited.headers);
    // Staff and system routes do not count against it.
    expect((await registry.request('GET', '/health')).status).toBe(200);
  });
});

describe('public verification when the read store fails', () => {
  it('answers 500 without internals', async () => {
    const broken = await startRegistry(undefined, { publicRateLimit: 0 });
    try {
      await broken.app.get<symbol, ReadStore>(READ_STORE).close();
      const answer = await broken.request('GET', `${PUBLIC}/${createCertificateCode('0000000000')}`);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 500,
        body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' },
      });
    } finally {
      await broken.close();
      removeDataDir(broken.dataDir);
    }
  });
});

describe('public verification with the view cache turned off (PUBLIC_VIEW_CACHE_SIZE=0)', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 0, publicViewCacheSize: 0 });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('answers every request from the read models, and follows revocation', async () => {
    const scenario = await agencyWithStaff(registry, '310104');
    const workerId = await registeredWorker(registry, scenario);
    const issued = await certificateUpTo(registry, scenario, workerId, 'issued');
    const view = await registry.request('GET', `${PUBLIC}/${issued.code}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ code: issued.code, status: 'valid', holder: '张*丰' });
    const revoked = await registry.request('POST', `/api/v1/certificates/${issued.id}/revoke`, {
      token: scenario.operator,
      body: { reason: 'left the agency' },
    });
    expect(revoked.status).toBe(200);
    const after = await registry.request(
      'GET',
      `${PUBLIC}/${issued.code}?minPosition=${revoked.body.position}`,
    );
    expect(after.body).toMatchObject({ status: 'revoked' });
    expect((await registry.request('GET', `${PUBLIC}/ZZ`)).status).toBe(400);
  });
});
