import { KEY_STORE, type KeyStore } from '../../src/application/ports/key-store';
import { agencyWithStaff, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

const ALLOWED_ORIGIN = 'https://verify.example.cn';

describe('hardening: headers, CORS, body limits, error bodies', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;

  beforeAll(async () => {
    registry = await startRegistry(undefined, { corsOrigins: [ALLOWED_ORIGIN] });
    scenario = await agencyWithStaff(registry);
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  describe('security headers', () => {
    const expectHardened = (headers: Headers, cacheControl: string) => {
      expect(Object.fromEntries(headers)).toMatchObject({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-resource-policy': 'same-origin',
        'cache-control': cacheControl,
      });
      expect(headers.get('content-security-policy')).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('server')).toBeNull();
    };

    it('are on staff answers (never cached), public answers (revalidated) and errors', async () => {
      const workerId = await registeredWorker(registry, scenario, { trained: false });
      expectHardened(
        (await registry.request('GET', `/api/v1/workers/${workerId}`, { token: scenario.operator })).headers,
        'no-store',
      );
      expectHardened(
        (await registry.request('GET', '/api/v1/public/certificates/00000000000')).headers,
        'no-cache',
      );
      expectHardened((await registry.request('GET', '/api/v1/workers/nope')).headers, 'no-store');
      expectHardened((await registry.request('GET', '/api/v1/no-such-route')).headers, 'no-store');
    });

    it('let the API docs load their own scripts, framed by nobody', async () => {
      const docs = await registry.request('GET', '/docs');
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-security-policy')).toMatch(
        /default-src 'self'.*frame-ancestors 'none'/,
      );
    });
  });

  describe('CORS', () => {
    it('answers a preflight from a configured origin, and only from it', async () => {
      const preflight = (origin: string) =>
        fetch(`${registry.url}/api/v1/certificates`, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type,idempotency-key',
          },
        });
      const allowed = await preflight(ALLOWED_ORIGIN);
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
      expect(allowed.headers.get('access-control-allow-credentials')).toBeNull();
      const refused = await preflight('https://evil.example');
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('names the allowed origin on answers to it, never another', async () => {
      const from = (origin: string) => registry.request('GET', '/health', { headers: { origin } });
      const allowed = await from(ALLOWED_ORIGIN);
      expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(allowed.headers.get('vary')).toMatch(/origin/i);
      expect((await from('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
      expect((await from('null')).headers.get('access-control-allow-origin')).toBeNull();
    });

    it('is off entirely when CORS_ORIGINS is not set', async () => {
      const plain = await startRegistry();
      try {
        const answer = await plain.request('GET', '/health', { headers: { origin: ALLOWED_ORIGIN } });
        expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await plain.close();
        removeDataDir(plain.dataDir);
      }
    });
  });

  describe('request bodies', () => {
    const postAgency = (body: string, contentType = 'application/json') =>
      registry.request('POST', '/api/v1/agencies', {
        token: scenario.admin,
        body,
        headers: { 'content-type': contentType },
      });

    it('refuses a body over 1 MiB with 413, as JSON', async () => {
      const answer = await postAgency(JSON.stringify({ name: 'x'.repeat(1_100_000) }));
      expect(answer.status).toBe(413);
      expect(answer.body).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: expect.any(String),
      });
    });

    it('refuses JSON nested deeper than 32 levels before anything parses it further', async () => {
      const answer = await postAgency('['.repeat(5000) + ']'.repeat(5000));
      expect(answer.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'the JSON body is nested too deeply (more than 32 levels)',
      });
    });

    it('refuses prototype-pollution keys and bodies that are not JSON', async () => {
      expect((await postAgency('{"__proto__":{"admin":true}}')).status).toBe(400);
      expect((await postAgency('{"constructor":{"prototype":{"admin":true}}}')).status).toBe(400);
      expect((await postAgency('name=x&district=310104', 'application/x-www-form-urlencoded')).status).toBe(
        415,
      );
      expect(({} as Record<string, unknown>).admin).toBeUndefined();
    });
  });

  describe('errors', () => {
    it('never carry a stack trace or internals, even for a 500', async () => {
      const broken = await startRegistry();
      try {
        const own = await agencyWithStaff(broken);
        const workerId = await registeredWorker(broken, own, { trained: false });
        // Read once first, so the read models have caught up (they also decrypt, with the same store).
        const before = await broken.request('GET', `/api/v1/workers/${workerId}`, { token: own.operator });
        expect(before.status).toBe(200);
        // The key store goes away under the running service: reading personal data now fails.
        await broken.app.get<symbol, KeyStore>(KEY_STORE).close();
        const answer = await broken.request('GET', `/api/v1/workers/${workerId}`, { token: own.operator });
        expect(answer.status).toBe(500);
        expect(answer.body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'internal error',
        });
      } finally {
        await broken.close().catch(() => undefined);
        removeDataDir(broken.dataDir);
      }
    });
  });
});
