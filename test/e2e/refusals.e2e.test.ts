import {
  createCertificateCode,
  CERTIFICATE_CODE_ALPHABET,
} from '../../src/domain/certificate/certificate-code';
import { loadTokenKeys } from '../../src/infrastructure/auth/token-keys';
import { signToken } from '../../src/infrastructure/auth/tokens';
import { loadConfig } from '../../src/infrastructure/config/config';
import {
  agencyWithStaff,
  certificateUpTo,
  creditCode,
  idNumber,
  phone,
  registeredWorker,
  type Scenario,
} from '../support/fixtures';
import {
  removeDataDir,
  startRegistry,
  temporaryDataDir,
  type HttpAnswer,
  type RequestOptions,
  type RunningRegistry,
} from '../support/registry';

/** An id nothing in the registry has (well-formed, so the route's id check lets it through). */
const UNKNOWN_ID = '00000000-0000-5000-8000-000000000000';

type Body = Record<string, unknown>;

const error = (statusCode: number, reason: string, message: unknown, extra: Body = {}): Body => ({
  statusCode,
  error: reason,
  message,
  ...extra,
});
const badRequest = (field: string, problem: string | RegExp = '') =>
  error(
    400,
    'Bad Request',
    problem instanceof RegExp
      ? expect.stringMatching(problem)
      : expect.stringContaining(`${field}${problem}`),
    { field },
  );
const unauthorized = (message: unknown) => error(401, 'Unauthorized', message);
const forbidden = (message: unknown) => error(403, 'Forbidden', message);
const notFound = (message: unknown) => error(404, 'Not Found', message);
const conflict = (message: unknown, extra: Body = {}) => error(409, 'Conflict', message, extra);

/** ISO 7064 MOD 11-2, so tests can build ID numbers whose only fault is the one under test. */
function withResidentIdCheck(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((total, weight, i) => total + weight * Number(first17[i]), 0);
  return first17 + '10X98765432'[sum % 11];
}

/** The same string with its last character replaced by another one of `alphabet`. */
function withWrongLastCharacter(value: string, alphabet: string): string {
  const last = value[value.length - 1]!;
  const other = alphabet[(alphabet.indexOf(last) + 1) % alphabet.length]!;
  return value.slice(0, -1) + other;
}

describe('refused requests get the right status and error body, and write nothing', () => {
  let registry: RunningRegistry;
  let own: Scenario;
  let other: Scenario;

  beforeAll(async () => {
    registry = await startRegistry();
    own = await agencyWithStaff(registry, '310104');
    other = await agencyWithStaff(registry, '310115');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  const head = async (): Promise<number> => {
    const health = await registry.request('GET', '/health');
    expect(health.status).toBe(200);
    return health.body.eventStore.head as number;
  };

  /** Sends a request that must be refused: exact status, exact error body, event head unmoved. */
  const refused = async (
    method: string,
    path: string,
    options: RequestOptions,
    status: number,
    body: Body,
  ): Promise<HttpAnswer> => {
    const before = await head();
    const answer = await registry.request(method, `/api/v1${path}`, options);
    expect({ method, path, status: answer.status, body: answer.body }).toEqual({
      method,
      path,
      status,
      body,
    });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await head()).toBe(before);
    return answer;
  };

  const ok = async (method: string, path: string, options: RequestOptions, status = 200): Promise<Body> => {
    const answer = await registry.request(method, `/api/v1${path}`, options);
    expect({ method, path, status: answer.status, body: answer.body }).toMatchObject({ status });
    return answer.body as Body;
  };

  describe('gates out of order: 409 saying what the certificate awaits', () => {
    it('refuses platform verification before the company check', async () => {
      const { id } = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'company-check',
      );
      await refused(
        'POST',
        `/certificates/${id}/platform-verification`,
        { token: own.reviewer, body: { outcome: 'passed' } },
        409,
        conflict(expect.stringContaining(`certificate ${id} is awaiting company check`)),
      );
    });

    it('refuses the police comparison before platform verification', async () => {
      const { id } = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'platform-verification',
      );
      await refused(
        'POST',
        `/certificates/${id}/police-check`,
        { token: own.police, body: { outcome: 'clear', reference: 'PSB-9' } },
        409,
        conflict(expect.stringContaining(`certificate ${id} is awaiting platform verification`)),
      );
      // A gate already passed cannot be recorded again either.
      await refused(
        'POST',
        `/certificates/${id}/company-check`,
        { token: own.operator, body: { outcome: 'passed' } },
        409,
        conflict(expect.stringContaining(`certificate ${id} is awaiting platform verification`)),
      );
    });

    it('refuses the issue before the police comparison', async () => {
      const { id } = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'police-check',
      );
      await refused(
        'POST',
        `/certificates/${id}/issue`,
        { token: own.reviewer },
        409,
        conflict(expect.stringContaining(`certificate ${id} is awaiting police comparison`)),
      );
    });

    it('refuses the hand-over before the issue', async () => {
      const { id } = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issue');
      await refused(
        'POST',
        `/certificates/${id}/hand-over`,
        { token: own.operator, body: { mode: 'individual' } },
        409,
        conflict(
          expect.stringContaining(
            `certificate ${id} is awaiting issue; only an issued certificate can be handed over`,
          ),
        ),
      );
    });

    it('refuses a second hand-over', async () => {
      const { id } = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issued');
      await ok('POST', `/certificates/${id}/hand-over`, {
        token: own.operator,
        body: { mode: 'collective', batchRef: 'BATCH-1' },
      });
      await refused(
        'POST',
        `/certificates/${id}/hand-over`,
        { token: own.operator, body: { mode: 'individual' } },
        409,
        conflict(`certificate ${id} was already handed over`),
      );
    });
  });

  describe("another agency's operator: 403", () => {
    let workerId: string;
    let awaitingCheck: string;
    let issued: { id: string; position: number };

    beforeAll(async () => {
      workerId = await registeredWorker(registry, own);
      awaitingCheck = (await certificateUpTo(registry, own, workerId, 'company-check')).id;
      issued = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issued');
    });

    const onlyOwn = () => forbidden(`only an operator of agency ${own.agencyId} may do this`);

    it('may not do the company check, hand over or revoke', async () => {
      await refused(
        'POST',
        `/certificates/${awaitingCheck}/company-check`,
        { token: other.operator, body: { outcome: 'passed' } },
        403,
        onlyOwn(),
      );
      await refused(
        'POST',
        `/certificates/${issued.id}/hand-over`,
        { token: other.operator, body: { mode: 'individual' } },
        403,
        onlyOwn(),
      );
      await refused(
        'POST',
        `/certificates/${issued.id}/revoke`,
        { token: other.operator, body: { reason: 'not ours to revoke' } },
        403,
        onlyOwn(),
      );
    });

    it("may not record consent for, update or apply for another agency's worker", async () => {
      await refused(
        'POST',
        `/workers/${workerId}/consents`,
        { token: other.operator, body: { scopes: ['credit', 'criminal_record'], evidenceRef: 'forged.pdf' } },
        403,
        onlyOwn(),
      );
      await refused(
        'PATCH',
        `/workers/${workerId}`,
        { token: other.operator, body: { phone: phone() } },
        403,
        onlyOwn(),
      );
      const second = await registeredWorker(registry, own);
      await refused(
        'POST',
        '/certificates',
        { token: other.operator, body: { workerId: second } },
        403,
        onlyOwn(),
      );
    });

    it('may not register a worker into another agency, and reserves nothing when refused', async () => {
      const person = { name: '李四', idNumber: idNumber(), phone: phone() };
      await refused(
        'POST',
        '/workers',
        { token: other.operator, body: { agencyId: own.agencyId, ...person } },
        403,
        onlyOwn(),
      );
      // The ID number was not claimed by the refused request: its own agency registers it.
      await ok('POST', '/workers', { token: own.operator, body: { agencyId: own.agencyId, ...person } }, 201);
    });

    it("may not read another agency's certificate, while its own agency and the reviewer may", async () => {
      await refused(
        'GET',
        `/certificates/${issued.id}?minPosition=${issued.position}`,
        { token: other.operator },
        403,
        forbidden('this certificate is outside your scope'),
      );
      await ok('GET', `/certificates/${issued.id}?minPosition=${issued.position}`, { token: own.operator });
      await ok('GET', `/certificates/${issued.id}?minPosition=${issued.position}`, { token: own.reviewer });
    });
  });

  describe('wrong role for the route: 403; missing or bad token: 401', () => {
    it('refuses each role outside its own steps', async () => {
      const awaitingIssue = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'issue',
      );
      await refused(
        'POST',
        `/certificates/${awaitingIssue.id}/issue`,
        { token: own.police },
        403,
        forbidden('role police_liaison may not do this'),
      );
      const awaitingVerification = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'platform-verification',
      );
      await refused(
        'POST',
        `/certificates/${awaitingVerification.id}/platform-verification`,
        { token: own.operator, body: { outcome: 'passed' } },
        403,
        forbidden('role agency_operator may not do this'),
      );
      const trainer = await registry.token('training_provider', 'provider-1');
      await refused(
        'POST',
        '/certificates',
        { token: trainer, body: { workerId: await registeredWorker(registry, own) } },
        403,
        forbidden('role training_provider may not do this'),
      );
      const { id } = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'company-check',
      );
      await refused(
        'POST',
        `/certificates/${id}/company-check`,
        { token: own.reviewer, body: { outcome: 'passed' } },
        403,
        forbidden('role platform_reviewer may not do this'),
      );
      await refused(
        'POST',
        `/certificates/${id}/revoke`,
        { token: await registry.token('auditor'), body: { reason: 'auditors only read' } },
        403,
        forbidden('role auditor may not do this'),
      );
      await refused(
        'POST',
        '/agencies',
        { token: own.operator, body: { name: '冒名公司', creditCode: creditCode(), district: '310101' } },
        403,
        forbidden('role agency_operator may not do this'),
      );
      await refused(
        'GET',
        `/certificates/${id}`,
        { token: trainer },
        403,
        forbidden('role training_provider may not do this'),
      );
    });

    it('answers 401 without a token, with a malformed one and with one signed by another key', async () => {
      const workerId = await registeredWorker(registry, own);
      const apply = (headers: Record<string, string>) => ({ headers, body: { workerId } });
      await refused('POST', '/certificates', apply({}), 401, unauthorized('a bearer token is required'));
      await refused(
        'POST',
        '/certificates',
        apply({ authorization: `Basic ${Buffer.from('operator:secret').toString('base64')}` }),
        401,
        unauthorized('a bearer token is required'),
      );
      await refused(
        'POST',
        '/certificates',
        apply({ authorization: 'Bearer not-a-token' }),
        401,
        unauthorized(expect.stringMatching(/^invalid token: /)),
      );
      const strangerDir = temporaryDataDir();
      try {
        const strangerKeys = await loadTokenKeys(strangerDir);
        const forged = await signToken(strangerKeys, loadConfig({}).tokenIssuer, {
          sub: 'intruder',
          role: 'agency_operator',
          agencyId: own.agencyId,
        });
        await refused(
          'POST',
          '/certificates',
          apply({ authorization: `Bearer ${forged}` }),
          401,
          unauthorized(expect.stringMatching(/^invalid token: .*signature/)),
        );
      } finally {
        removeDataDir(strangerDir);
      }
      // The registry's own key, but another issuer.
      const wrongIssuer = await signToken(await loadTokenKeys(registry.dataDir), 'someone-else', {
        sub: 'operator',
        role: 'agency_operator',
        agencyId: own.agencyId,
      });
      await refused(
        'POST',
        '/certificates',
        apply({ authorization: `Bearer ${wrongIssuer}` }),
        401,
        unauthorized(expect.stringMatching(/^invalid token: .*iss/)),
      );
      // The same request with a good token goes through.
      await ok('POST', '/certificates', { token: own.operator, body: { workerId } }, 201);
    });
  });

  describe('one ID number, one worker; one credit code, one agency: 409 with the existing id', () => {
    it('refuses a second registration of an ID number, by the same agency or by another', async () => {
      const number = idNumber();
      const first = await registeredWorker(registry, own, { idNumber: number });
      const duplicate = conflict(`this ID number is already registered as ${first}`, { existingId: first });
      await refused(
        'POST',
        '/workers',
        {
          token: own.operator,
          body: { agencyId: own.agencyId, name: '王五', idNumber: number, phone: phone() },
        },
        409,
        duplicate,
      );
      await refused(
        'POST',
        '/workers',
        {
          token: other.operator,
          body: {
            agencyId: other.agencyId,
            name: '王五',
            idNumber: ` ${number.toLowerCase()} `,
            phone: phone(),
          },
        },
        409,
        duplicate,
      );
    });

    it('refuses a second agency with the same credit code', async () => {
      const code = creditCode();
      const first = await ok(
        'POST',
        '/agencies',
        { token: own.admin, body: { name: '上海好帮手家政', creditCode: code, district: '310101' } },
        201,
      );
      for (const again of [code, code.toLowerCase()]) {
        await refused(
          'POST',
          '/agencies',
          { token: own.admin, body: { name: '另一家公司', creditCode: again, district: '310105' } },
          409,
          conflict(`credit code ${code} is already registered as ${first.id}`, { existingId: first.id }),
        );
      }
    });
  });

  describe('one open application per worker', () => {
    it('refuses a second open application with the existing id, and accepts one after a rejection', async () => {
      const workerId = await registeredWorker(registry, own);
      const first = await certificateUpTo(registry, own, workerId, 'company-check');
      await refused(
        'POST',
        '/certificates',
        { token: own.operator, body: { workerId } },
        409,
        conflict(`worker ${workerId} already has an open application or valid certificate`, {
          existingId: first.id,
        }),
      );
      await ok('POST', `/certificates/${first.id}/company-check`, {
        token: own.operator,
        body: { outcome: 'failed', note: 'not employed by this agency' },
      });
      // Rejected is terminal: no gate can be recorded on it any more.
      await refused(
        'POST',
        `/certificates/${first.id}/company-check`,
        { token: own.operator, body: { outcome: 'passed' } },
        409,
        conflict(expect.stringContaining(`certificate ${first.id} was rejected at company check`)),
      );
      const second = await ok('POST', '/certificates', { token: own.operator, body: { workerId } }, 201);
      expect(second.id).not.toBe(first.id);
      await refused(
        'POST',
        '/certificates',
        { token: own.operator, body: { workerId } },
        409,
        conflict(`worker ${workerId} already has an open application or valid certificate`, {
          existingId: second.id,
        }),
      );
    });
  });

  describe('bad input: 400 naming the field', () => {
    const worker = (overrides: Body) => ({
      token: own.operator,
      body: { agencyId: own.agencyId, name: '张三丰', idNumber: idNumber(), phone: phone(), ...overrides },
    });

    it('refuses a bad resident ID number: wrong check character, impossible or future birth date', async () => {
      const number = idNumber();
      await refused(
        'POST',
        '/workers',
        worker({ idNumber: withWrongLastCharacter(number, '0123456789X') }),
        400,
        badRequest('idNumber', ' has a check character that does not match'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ idNumber: withResidentIdCheck('31010419900230123') }),
        400,
        badRequest('idNumber', ' contains an impossible birth date'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ idNumber: withResidentIdCheck('31010421990101123') }),
        400,
        badRequest('idNumber', ' contains a birth date in the future'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ idNumber: '31010419900101' }),
        400,
        badRequest('idNumber', ' must be 18 characters (got 14)'),
      );
    });

    it('refuses a bad phone, a bad name, wrong types, unknown and missing fields', async () => {
      await refused(
        'POST',
        '/workers',
        worker({ phone: '12345678901' }),
        400,
        badRequest('phone', ' must be a mainland mobile number'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ phone: '1381234' }),
        400,
        badRequest('phone', ' must have 11 digits (got 7)'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ name: 12345 }),
        400,
        badRequest('name', ' must be a string'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ name: '张三3' }),
        400,
        badRequest('name', ' must not contain digits'),
      );
      await refused(
        'POST',
        '/workers',
        worker({ nickname: '小张' }),
        400,
        badRequest('nickname', /^nickname: property nickname should not exist$/),
      );
      await refused(
        'POST',
        '/workers',
        { token: own.operator, body: { agencyId: own.agencyId, name: '张三丰' } },
        400,
        error(
          400,
          'Bad Request',
          expect.stringMatching(/idNumber must be a string.*phone must be a string/),
          { field: 'idNumber' },
        ),
      );
      await refused(
        'PATCH',
        `/workers/${await registeredWorker(registry, own)}`,
        { token: own.operator, body: { phone: 13812345678 } },
        400,
        badRequest('phone', ' must be a string'),
      );
    });

    it('refuses a bad credit code, an unknown district and a district given as a number', async () => {
      const agency = (overrides: Body) => ({
        token: own.admin,
        body: { name: '上海家政', creditCode: creditCode(), district: '310101', ...overrides },
      });
      await refused(
        'POST',
        '/agencies',
        agency({ creditCode: withWrongLastCharacter(creditCode(), '0123456789ABCDEFGHJKLMNPQRTUWXY') }),
        400,
        badRequest('creditCode', ' has a check character that does not match'),
      );
      await refused(
        'POST',
        '/agencies',
        agency({ creditCode: '91310104MA1FL' }),
        400,
        badRequest('creditCode', ' must be 18 characters (got 13)'),
      );
      await refused(
        'POST',
        '/agencies',
        agency({ district: '310199' }),
        400,
        badRequest('district', " must be one of Shanghai's 16 district codes"),
      );
      await refused(
        'POST',
        '/agencies',
        agency({ district: 310101 }),
        400,
        badRequest('district', ' must be a string'),
      );
      await refused(
        'POST',
        '/agencies',
        agency({ name: '' }),
        400,
        badRequest('name', ' must be longer than'),
      );
    });

    it('refuses a failed outcome without a note, a collective hand-over without batchRef and bad gate input', async () => {
      const awaitingCheck = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'company-check',
      );
      await refused(
        'POST',
        `/certificates/${awaitingCheck.id}/company-check`,
        { token: own.operator, body: { outcome: 'failed' } },
        400,
        badRequest('note', ' is required when outcome is failed'),
      );
      await refused(
        'POST',
        `/certificates/${awaitingCheck.id}/company-check`,
        { token: own.operator, body: { outcome: 'approved' } },
        400,
        badRequest('outcome', ' must be one of the following values: passed, failed'),
      );
      await refused(
        'POST',
        `/certificates/${awaitingCheck.id}/company-check`,
        { token: own.operator },
        400,
        badRequest('outcome', ' must be one of the following values'),
      );
      const issued = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issued');
      await refused(
        'POST',
        `/certificates/${issued.id}/hand-over`,
        { token: own.operator, body: { mode: 'collective' } },
        400,
        badRequest('batchRef', ' is required when mode is collective'),
      );
      const awaitingPolice = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'police-check',
      );
      await refused(
        'POST',
        `/certificates/${awaitingPolice.id}/police-check`,
        { token: own.police, body: { outcome: 'clear' } },
        400,
        badRequest('reference', ' must be a string'),
      );
      await refused(
        'POST',
        `/workers/${await registeredWorker(registry, own)}/consents`,
        { token: own.operator, body: { scopes: ['credit'], evidenceRef: 'scan.pdf' } },
        400,
        badRequest('scopes', ' must include criminal_record'),
      );
      await refused(
        'POST',
        `/certificates/${issued.id}/revoke`,
        { token: own.operator, body: {} },
        400,
        badRequest('reason', ' must be'),
      );
    });

    it('refuses a malformed JSON body and a malformed If-Match header', async () => {
      await refused(
        'POST',
        '/workers',
        { token: own.operator, body: `{"agencyId": "${own.agencyId}", "name": ` },
        400,
        error(400, 'Bad Request', expect.stringMatching(/JSON/)),
      );
      const workerId = await registeredWorker(registry, own);
      await refused(
        'PATCH',
        `/workers/${workerId}`,
        { token: own.operator, body: { phone: phone() }, headers: { 'if-match': 'yesterday' } },
        400,
        error(400, 'Bad Request', 'If-Match must be a revision number, e.g. If-Match: "3"'),
      );
    });

    it('tells a mistyped public code (400) from a well-formed unknown one (404)', async () => {
      const { code } = await certificateUpTo(registry, own, await registeredWorker(registry, own), 'issued');
      const mistyped = withWrongLastCharacter(code!, CERTIFICATE_CODE_ALPHABET);
      await refused(
        'GET',
        `/public/certificates/${mistyped}`,
        {},
        400,
        badRequest('code', ' is mistyped: its check character does not match'),
      );
      await refused(
        'GET',
        '/public/certificates/ABC',
        {},
        400,
        badRequest('code', ' must be 11 characters (got 3)'),
      );
      const unknown = createCertificateCode('0000000000');
      await refused(
        'GET',
        `/public/certificates/${unknown}`,
        {},
        404,
        notFound(`no certificate has the code ${unknown}`),
      );
    });
  });

  describe('unknown ids: 404 on every :id route', () => {
    const noCertificate = notFound(`certificate ${UNKNOWN_ID} does not exist`);
    const noWorker = notFound(`worker ${UNKNOWN_ID} does not exist`);

    it('answers 404 for every certificate step on an unknown certificate', async () => {
      const steps: [string, string, unknown][] = [
        ['company-check', own.operator, { outcome: 'passed' }],
        ['platform-verification', own.reviewer, { outcome: 'passed' }],
        ['police-check', own.police, { outcome: 'clear', reference: 'PSB-1' }],
        ['issue', own.reviewer, undefined],
        ['hand-over', own.operator, { mode: 'individual' }],
        ['revoke', own.operator, { reason: 'left' }],
        ['revoke', own.reviewer, { reason: 'fraud' }],
      ];
      for (const [step, token, body] of steps) {
        await refused('POST', `/certificates/${UNKNOWN_ID}/${step}`, { token, body }, 404, noCertificate);
      }
    });

    it('answers 404 for reads of an unknown certificate, including its audit history and accountability', async () => {
      const auditor = await registry.token('auditor');
      await refused('GET', `/certificates/${UNKNOWN_ID}`, { token: own.operator }, 404, noCertificate);
      await refused('GET', `/certificates/${UNKNOWN_ID}`, { token: own.reviewer }, 404, noCertificate);
      await refused(
        'GET',
        `/audit/certificates/${UNKNOWN_ID}/history`,
        { token: auditor },
        404,
        noCertificate,
      );
      await refused(
        'GET',
        `/audit/certificates/${UNKNOWN_ID}/accountability`,
        { token: auditor },
        404,
        noCertificate,
      );
    });

    it('answers 404 for consent, info update and application for an unknown worker', async () => {
      await refused(
        'POST',
        `/workers/${UNKNOWN_ID}/consents`,
        { token: own.operator, body: { scopes: ['credit', 'criminal_record'], evidenceRef: 'x.pdf' } },
        404,
        noWorker,
      );
      await refused(
        'PATCH',
        `/workers/${UNKNOWN_ID}`,
        { token: own.operator, body: { phone: phone() } },
        404,
        noWorker,
      );
      await refused(
        'POST',
        '/certificates',
        { token: own.operator, body: { workerId: UNKNOWN_ID } },
        404,
        noWorker,
      );
    });

    it('answers 404 for a worker registered into an agency that does not exist', async () => {
      const phantom = await registry.token('agency_operator', UNKNOWN_ID);
      await refused(
        'POST',
        '/workers',
        {
          token: phantom,
          body: { agencyId: UNKNOWN_ID, name: '张三丰', idNumber: idNumber(), phone: phone() },
        },
        404,
        notFound(`agency ${UNKNOWN_ID} does not exist`),
      );
    });

    it('answers 404 for an id that cannot be an id at all', async () => {
      await refused(
        'POST',
        '/certificates/not_an_id!/issue',
        { token: own.reviewer },
        404,
        notFound('nothing has the id "not_an_id!"'),
      );
    });
  });

  describe('If-Match: a stale revision is 409 and writes nothing; the current one goes through', () => {
    it('guards a certificate step', async () => {
      const { id } = await certificateUpTo(
        registry,
        own,
        await registeredWorker(registry, own),
        'platform-verification',
      );
      await refused(
        'POST',
        `/certificates/${id}/platform-verification`,
        { token: own.reviewer, body: { outcome: 'passed' }, headers: { 'if-match': '"0"' } },
        409,
        conflict(`revision 0 is stale: certificate-${id} is at revision 1; reload and retry`, {
          field: 'If-Match',
          currentRevision: 1,
          stale: true,
        }),
      );
      const passed = await ok('POST', `/certificates/${id}/platform-verification`, {
        token: own.reviewer,
        body: { outcome: 'passed' },
        headers: { 'if-match': '"1"' },
      });
      expect(passed).toEqual({ id, revision: 2, position: expect.any(Number) });
    });

    it('guards a worker info update', async () => {
      const workerId = await registeredWorker(registry, own);
      const current = await ok('PATCH', `/workers/${workerId}`, { token: own.operator, body: {} });
      const revision = current.revision as number;
      await refused(
        'PATCH',
        `/workers/${workerId}`,
        { token: own.operator, body: { phone: phone() }, headers: { 'if-match': `"${revision - 1}"` } },
        409,
        conflict(
          `revision ${revision - 1} is stale: worker-${workerId} is at revision ${revision}; reload and retry`,
          { field: 'If-Match', currentRevision: revision, stale: true },
        ),
      );
      const updated = await ok('PATCH', `/workers/${workerId}`, {
        token: own.operator,
        body: { phone: phone() },
        headers: { 'if-match': `W/"${revision}"` },
      });
      expect(updated).toEqual({ id: workerId, revision: revision + 1, position: expect.any(Number) });
    });
  });
});

describe('read-your-writes waits only briefly', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(temporaryDataDir(), { consistencyWaitMs: 200 });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('answers 503 when the read models do not reach ?minPosition= within the configured wait', async () => {
    const scenario = await agencyWithStaff(registry);
    const { id, position } = await certificateUpTo(
      registry,
      scenario,
      await registeredWorker(registry, scenario),
      'platform-verification',
    );
    const far = position + 1_000_000;
    const started = Date.now();
    const answer = await registry.request('GET', `/api/v1/certificates/${id}?minPosition=${far}`, {
      token: scenario.reviewer,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(195);
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 503,
      body: {
        statusCode: 503,
        error: 'Service Unavailable',
        message: `read models have not reached position ${far} within 200 ms; retry shortly`,
      },
    });
    const byHeader = await registry.request('GET', `/api/v1/certificates/${id}`, {
      token: scenario.reviewer,
      headers: { 'x-min-position': String(far) },
    });
    expect(byHeader.status).toBe(503);
    // A position already reached answers at once.
    const reached = await registry.request('GET', `/api/v1/certificates/${id}?minPosition=${position}`, {
      token: scenario.reviewer,
    });
    expect(reached.status).toBe(200);
    expect(reached.body).toMatchObject({ id, status: 'awaiting_platform_verification' });
  });

  it('answers 400 naming minPosition when it is not a whole number', async () => {
    for (const raw of ['soon', '-1', '1.5', '1e3']) {
      const answer = await registry.request('GET', `/health?minPosition=${raw}`);
      expect({ raw, status: answer.status, body: answer.body }).toEqual({
        raw,
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'minPosition must be a non-negative whole number',
          field: 'minPosition',
        },
      });
    }
  });
});

describe('the public routes are rate-limited per client', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry(temporaryDataDir(), { publicRateLimit: 3 });
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('answers the 4th public request in a minute with 429 and Retry-After', async () => {
    const unknown = createCertificateCode('0000000000');
    for (let i = 0; i < 3; i++) {
      const answer = await registry.request('GET', `/api/v1/public/certificates/${unknown}`);
      expect(answer.status).toBe(404);
      expect(answer.headers.get('retry-after')).toBeNull();
    }
    const limited = await registry.request('GET', `/api/v1/public/certificates/${unknown}`);
    expect({ status: limited.status, body: limited.body }).toEqual({
      status: 429,
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^too many requests: at most 3 a minute; retry in \d+ s$/),
      },
    });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.message).toContain(`retry in ${retryAfter} s`);
    // Staff routes are not counted against the public limit.
    const staff = await registry.request('GET', '/health');
    expect(staff.status).toBe(200);
  });
});
