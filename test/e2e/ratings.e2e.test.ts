import { randomUUID } from 'node:crypto';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store';
import { streams } from '../../src/application/streams';
import { createCertificateCode } from '../../src/domain/certificate/certificate-code';
import { agencyWithStaff, certificateUpTo, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

/**
 * `POST /api/v1/public/certificates/:code/ratings` (评价): a citizen, without logging in, rates the
 * worker who served them; the public view's `ratings: {count, average}` follows.
 */

const PUBLIC = '/api/v1/public/certificates';

describe('citizens rate a certificate holder', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;

  const head = async (): Promise<number> => (await registry.request('GET', '/health')).body.eventStore.head;
  const rate = (code: string, body: unknown, headers: Record<string, string> = {}, token?: string) =>
    registry.request('POST', `${PUBLIC}/${code}/ratings`, { body, headers, token: token ?? null });
  const view = (code: string, minPosition: number) =>
    registry.request('GET', `${PUBLIC}/${code}?minPosition=${minPosition}`);
  const issuedCertificate = async () => {
    const issued = await certificateUpTo(
      registry,
      scenario,
      await registeredWorker(registry, scenario),
      'issued',
    );
    return { id: issued.id, code: issued.code!, position: issued.position };
  };
  const ratingEvents = (certificateId: string) =>
    registry.app.get<symbol, EventStore>(EVENT_STORE).readStream(streams.certificateRatings(certificateId));

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 0, consistencyWaitMs: 1000 });
    scenario = await agencyWithStaff(registry, '310104');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  describe('a rating', () => {
    it('answers 201 {id, revision, position} and the next public view counts it, cached view or not', async () => {
      const certificate = await issuedCertificate();
      // The view is read (and cached) before the rating: the projection's commit must evict it.
      const before = await view(certificate.code, certificate.position);
      expect(before.body.ratings).toEqual({ count: 0, average: null });
      expect((await view(certificate.code, certificate.position)).body.ratings).toEqual({
        count: 0,
        average: null,
      });

      const first = await rate(certificate.code, { score: 5 });
      expect({ status: first.status, body: first.body }).toEqual({
        status: 201,
        body: { id: expect.any(String), revision: 0, position: expect.any(Number) },
      });
      expect(first.body.position).toBeGreaterThan(certificate.position);
      expect(first.body.id).not.toBe(certificate.id);
      expect(first.headers.get('etag')).toBe('"0"');
      expect((await view(certificate.code, first.body.position)).body.ratings).toEqual({
        count: 1,
        average: 5,
      });

      const second = await rate(certificate.code, { score: 4, comment: '准时，认真。' });
      expect(second.body).toMatchObject({ revision: 1 });
      expect((await view(certificate.code, second.body.position)).body.ratings).toEqual({
        count: 2,
        average: 4.5,
      });

      // 13 / 3 = 4.333…: shown rounded to one decimal.
      const third = await rate(certificate.code, { score: 4 });
      expect((await view(certificate.code, third.body.position)).body).toMatchObject({
        code: certificate.code,
        status: 'valid',
        ratings: { count: 3, average: 4.3 },
      });
    });

    it('accepts the code as printed or typed (grouped, lower case), like the public view', async () => {
      const { code } = await issuedCertificate();
      const grouped = `${code.slice(0, 5)}-${code.slice(5, 10)}-${code.slice(10)}`;
      const a = await rate(grouped, { score: 3 });
      const b = await rate(code.toLowerCase(), { score: 2 });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect((await view(code, b.body.position)).body.ratings).toEqual({ count: 2, average: 2.5 });
    });

    it('needs no token, ignores any token sent, and records the anonymous citizen — never the address', async () => {
      const certificate = await issuedCertificate();
      const withStaffToken = await rate(certificate.code, { score: 5 }, {}, scenario.operator);
      const withBadToken = await rate(
        certificate.code,
        { score: 4 },
        { authorization: 'Bearer not-a-token' },
      );
      expect([withStaffToken.status, withBadToken.status]).toEqual([201, 201]);
      const events = await ratingEvents(certificate.id);
      expect(events.map((event) => [event.type, event.metadata.actor])).toEqual([
        ['CertificateRated', { id: 'citizen', role: 'public' }],
        ['CertificateRated', { id: 'citizen', role: 'public' }],
      ]);
      expect(events[0]!.data).toEqual({
        ratingId: withStaffToken.body.id,
        certificateId: certificate.id,
        code: certificate.code,
        score: 5,
      });
      expect(JSON.stringify(events)).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    });

    it('keeps the certificate history the lifecycle: ratings live on their own stream', async () => {
      const certificate = await issuedCertificate();
      await rate(certificate.code, { score: 5, comment: '很好' });
      const history = await registry.request('GET', `/api/v1/audit/certificates/${certificate.id}/history`, {
        token: await registry.token('auditor'),
      });
      expect(history.status).toBe(200);
      expect(history.body.entries.map((entry: { type: string }) => entry.type)).toEqual([
        'CertificateApplied',
        'CompanyCheckPassed',
        'PlatformVerificationPassed',
        'PoliceComparisonClear',
        'CertificateIssued',
      ]);
      expect((await ratingEvents(certificate.id)).map((event) => event.streamId)).toEqual([
        `certificateratings-${certificate.id}`,
      ]);
    });

    it('keeps the comment trimmed in the event, and never shows it in the public view', async () => {
      const certificate = await issuedCertificate();
      const answer = await rate(certificate.code, { score: 4, comment: '   干活仔细   ' });
      expect(answer.status).toBe(201);
      expect((await ratingEvents(certificate.id))[0]!.data.comment).toBe('干活仔细');
      const shown = await view(certificate.code, answer.body.position);
      expect(JSON.stringify(shown.body)).not.toContain('干活仔细');
    });
  });

  describe('refusals write nothing', () => {
    let code: string;

    beforeAll(async () => {
      code = (await issuedCertificate()).code;
    });

    it.each<[string, Record<string, unknown>]>([
      ['0', { score: 0 }],
      ['6', { score: 6 }],
      ['2.5', { score: 2.5 }],
      ['"5" (a string)', { score: '5' }],
      ['missing', { comment: '很好' }],
      ['null', { score: null }],
    ])('refuses the score %s with 400 naming score', async (_name, body) => {
      const before = await head();
      const answer = await rate(code, body);
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'score must be a whole number from 1 to 5',
          field: 'score',
        },
      });
      expect(await head()).toBe(before);
    });

    it('refuses a comment longer than 500 characters with 400 naming comment; 500 after trimming pass', async () => {
      const before = await head();
      const answer = await rate(code, { score: 4, comment: '好'.repeat(501) });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'comment must be at most 500 characters',
          field: 'comment',
        },
      });
      const notAString = await rate(code, { score: 4, comment: 5 });
      expect({ status: notAString.status, field: notAString.body.field }).toEqual({
        status: 400,
        field: 'comment',
      });
      expect(await head()).toBe(before);
      const longest = await rate(code, { score: 4, comment: `  ${'好'.repeat(500)}  ` });
      expect(longest.status).toBe(201);
    });

    it('refuses a phone or ID number in a comment with 400 naming comment (comments are kept in clear)', async () => {
      const before = await head();
      const answer = await rate(code, { score: 1, comment: '有事打她电话13812345678' });
      expect({ status: answer.status, field: answer.body.field }).toEqual({ status: 400, field: 'comment' });
      expect(answer.body.message).toMatch(/^comment must not contain a phone number/);
      expect(await head()).toBe(before);
    });

    it('refuses unknown fields with 400 naming them', async () => {
      const before = await head();
      const answer = await rate(code, { score: 4, ip: '10.0.0.1' });
      expect({ status: answer.status, field: answer.body.field }).toEqual({ status: 400, field: 'ip' });
      expect(await head()).toBe(before);
    });

    it('answers a mistyped code with 400 naming code, and an unknown one with 404', async () => {
      const before = await head();
      const last = code[10] === '0' ? '1' : '0';
      const mistyped = await rate(code.slice(0, 10) + last, { score: 5 });
      expect({ status: mistyped.status, body: mistyped.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'code is mistyped: its check character does not match the other 10 characters',
          field: 'code',
        },
      });
      const unknown = createCertificateCode('0000000000');
      const missing = await rate(unknown, { score: 5 });
      expect({ status: missing.status, body: missing.body }).toEqual({
        status: 404,
        body: { statusCode: 404, error: 'Not Found', message: `no certificate has the code ${unknown}` },
      });
      expect(await head()).toBe(before);
    });

    it('refuses to rate a revoked certificate with 409', async () => {
      const certificate = await issuedCertificate();
      await rate(certificate.code, { score: 5 });
      const revoked = await registry.request('POST', `/api/v1/certificates/${certificate.id}/revoke`, {
        token: scenario.operator,
        body: { reason: 'left the agency' },
      });
      expect(revoked.status).toBe(200);
      const before = await head();
      const answer = await rate(certificate.code, { score: 1 });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 409,
        body: {
          statusCode: 409,
          error: 'Conflict',
          message: `certificate ${certificate.code} is revoked; only a valid certificate can be rated`,
        },
      });
      expect(await head()).toBe(before);
      // The ratings given while it was valid stay in its public view.
      expect((await view(certificate.code, revoked.body.position)).body).toMatchObject({
        status: 'revoked',
        ratings: { count: 1, average: 5 },
      });
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the same key and body as the first time and writes nothing more', async () => {
      const certificate = await issuedCertificate();
      const key = randomUUID();
      const first = await rate(certificate.code, { score: 4, comment: '好' }, { 'idempotency-key': key });
      expect(first.status).toBe(201);
      const after = await head();
      const retry = await rate(certificate.code, { score: 4, comment: '好' }, { 'idempotency-key': key });
      expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: first.body });
      expect(await head()).toBe(after);
      expect(await ratingEvents(certificate.id)).toHaveLength(1);
      expect((await view(certificate.code, after)).body.ratings).toEqual({ count: 1, average: 4 });
    });

    it('refuses the same key on another rating with 422, writing nothing', async () => {
      const certificate = await issuedCertificate();
      const key = randomUUID();
      expect((await rate(certificate.code, { score: 4 }, { 'idempotency-key': key })).status).toBe(201);
      const before = await head();
      const other = await rate(certificate.code, { score: 1 }, { 'idempotency-key': key });
      expect({ status: other.status, field: other.body.field }).toEqual({
        status: 422,
        field: 'Idempotency-Key',
      });
      expect(await head()).toBe(before);
    });

    it('gives two citizens with their own random keys two ratings, even with the same body', async () => {
      const certificate = await issuedCertificate();
      const a = await rate(certificate.code, { score: 5 }, { 'idempotency-key': randomUUID() });
      const b = await rate(certificate.code, { score: 5 }, { 'idempotency-key': randomUUID() });
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.id).not.toBe(b.body.id);
      expect((await view(certificate.code, b.body.position)).body.ratings).toEqual({ count: 2, average: 5 });
    });

    it('refuses a key that is not a random UUID from a caller without a token (400, nothing written)', async () => {
      const { code } = await issuedCertificate();
      const before = await head();
      for (const key of ['1', 'rating', 'not-a-uuid-at-all-but-long-enough-0123456789']) {
        const answer = await rate(code, { score: 5 }, { 'idempotency-key': key });
        expect({ key, status: answer.status, field: answer.body.field }).toEqual({
          key,
          status: 400,
          field: 'Idempotency-Key',
        });
      }
      expect(await head()).toBe(before);
    });

    it('keeps a staff key apart from the citizen key space, whatever the token says', async () => {
      // A staff token is ignored on the public route: the key is still a citizen's, so it must be a UUID.
      const { code } = await issuedCertificate();
      const answer = await rate(code, { score: 5 }, { 'idempotency-key': 'staff-key-1' }, scenario.operator);
      expect({ status: answer.status, field: answer.body.field }).toEqual({
        status: 400,
        field: 'Idempotency-Key',
      });
    });
  });

  describe('beside the public verification route', () => {
    it('coexists with GET /public/certificates/:code; other methods and paths stay unrouted', async () => {
      const { code } = await issuedCertificate();
      const rated = await rate(code, { score: 5 });
      expect(rated.status).toBe(201);
      expect((await view(code, rated.body.position)).status).toBe(200);
      const cannot = (method: string, path: string) => ({
        statusCode: 404,
        error: 'Not Found',
        message: `Cannot ${method} ${path}`,
      });
      const ratingsPath = `${PUBLIC}/${code}/ratings`;
      expect((await registry.request('GET', ratingsPath)).body).toEqual(cannot('GET', ratingsPath));
      const post = await registry.request('POST', `${PUBLIC}/${code}`, { body: { score: 5 } });
      expect(post.body).toEqual(cannot('POST', `${PUBLIC}/${code}`));
    });

    it('is in the OpenAPI document as a public route, without bearer auth', async () => {
      const document = (await registry.request('GET', '/docs-json')).body;
      expect(Object.keys(document.paths['/api/v1/public/certificates/{code}'])).toEqual(['get']);
      const operations = document.paths['/api/v1/public/certificates/{code}/ratings'];
      expect(Object.keys(operations)).toEqual(['post']);
      expect(operations.post.tags).toEqual(['public']);
      expect(operations.post.security).toBeUndefined();
      expect(operations.post.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'code', in: 'path', required: true })]),
      );
      const ref: string = operations.post.requestBody.content['application/json'].schema.$ref;
      const body = document.components.schemas[ref.split('/').pop()!];
      expect(body.required).toEqual(['score']);
      expect(body.properties.score).toMatchObject({ type: 'integer', minimum: 1, maximum: 5 });
      expect(body.properties.comment).toMatchObject({ type: 'string', maxLength: 500 });
      expect(Object.keys(operations.post.responses)).toEqual(
        expect.arrayContaining(['201', '400', '404', '409', '429']),
      );
    });
  });
});

describe('ratings count against the public rate limit', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(undefined, { publicRateLimit: 2 });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('shares one allowance with public verification, answering 429 with Retry-After and writing nothing', async () => {
    const scenario = await agencyWithStaff(registry, '310104');
    const { code } = await certificateUpTo(
      registry,
      scenario,
      await registeredWorker(registry, scenario),
      'issued',
    );
    const head = async (): Promise<number> => (await registry.request('GET', '/health')).body.eventStore.head;
    expect((await registry.request('GET', `${PUBLIC}/${code}`)).status).toBe(200);
    const rated = await registry.request('POST', `${PUBLIC}/${code}/ratings`, { body: { score: 5 } });
    expect(rated.status).toBe(201);
    const before = await head();
    const limited = await registry.request('POST', `${PUBLIC}/${code}/ratings`, {
      body: { score: 4 },
      headers: { 'idempotency-key': randomUUID() },
    });
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
    expect(await head()).toBe(before);
    // The reads share the allowance that the rating used up.
    expect((await registry.request('GET', `${PUBLIC}/${code}`)).status).toBe(429);
    // Staff routes are not counted.
    expect((await registry.request('GET', '/health')).status).toBe(200);
  });
});
