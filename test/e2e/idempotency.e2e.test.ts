import {
  agencyWithStaff,
  certificateUpTo,
  idNumber,
  phone,
  registeredWorker,
  type Scenario,
} from '../support/fixtures';
import { removeDataDir, startRegistry, type HttpAnswer, type RunningRegistry } from '../support/registry';

let keyCounter = 0;
/** A fresh Idempotency-Key per test, so the tests do not depend on one another. */
const freshKey = (label: string) => `${label}-${Date.now()}-${++keyCounter}`;

describe('Idempotency-Key: a retried write gets the same answer and writes nothing', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;
  let auditor: string;

  beforeAll(async () => {
    registry = await startRegistry();
    scenario = await agencyWithStaff(registry);
    auditor = await registry.token('auditor');
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

  const send = (method: string, path: string, token: string, key: string | undefined, body?: unknown) =>
    registry.request(method, `/api/v1${path}`, {
      token,
      body,
      headers: key === undefined ? {} : { 'idempotency-key': key },
    });

  /** Sends the request, then the identical request again: same status, same body, head unmoved. */
  const sendTwice = async (
    method: string,
    path: string,
    token: string,
    key: string,
    body: unknown,
    expectedStatus: number,
  ): Promise<HttpAnswer> => {
    const first = await send(method, path, token, key, body);
    expect({ path, status: first.status, body: first.body }).toMatchObject({ status: expectedStatus });
    const headAfterFirst = await head();
    expect(first.body.position).toBe(headAfterFirst);
    const second = await send(method, path, token, key, body);
    expect({ status: second.status, body: second.body }).toEqual({ status: first.status, body: first.body });
    expect(await head()).toBe(headAfterFirst);
    return first;
  };

  const historyTypes = async (certificateId: string, minPosition: number): Promise<string[]> => {
    const history = await registry.request(
      'GET',
      `/api/v1/audit/certificates/${certificateId}/history?minPosition=${minPosition}`,
      { token: auditor },
    );
    expect(history.status).toBe(200);
    return history.body.entries.map((entry: { type: string }) => entry.type);
  };

  describe('the same key, sent again by the same operator', () => {
    it('POST /workers: 201 and the same worker both times', async () => {
      const person = { agencyId: scenario.agencyId, name: '张三丰', idNumber: idNumber(), phone: phone() };
      const key = freshKey('register');
      const first = await sendTwice('POST', '/workers', scenario.operator, key, person, 201);
      expect(first.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
      // Still the original answer after the worker has moved on.
      const consent = await send('POST', `/workers/${first.body.id}/consents`, scenario.operator, undefined, {
        scopes: ['credit', 'criminal_record'],
        evidenceRef: 'consent.pdf',
      });
      expect(consent.status).toBe(200);
      const before = await head();
      const later = await send('POST', '/workers', scenario.operator, key, person);
      expect({ status: later.status, body: later.body }).toEqual({ status: 201, body: first.body });
      expect(await head()).toBe(before);
    });

    it('POST /certificates: 201 and the same application both times', async () => {
      const workerId = await registeredWorker(registry, scenario);
      const key = freshKey('apply');
      const first = await sendTwice('POST', '/certificates', scenario.operator, key, { workerId }, 201);
      expect(first.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
      const check = await send(
        'POST',
        `/certificates/${first.body.id}/company-check`,
        scenario.operator,
        undefined,
        {
          outcome: 'passed',
        },
      );
      expect(check.status).toBe(200);
      const before = await head();
      const later = await send('POST', '/certificates', scenario.operator, key, { workerId });
      expect({ status: later.status, body: later.body }).toEqual({ status: 201, body: first.body });
      expect(await head()).toBe(before);
      expect(await historyTypes(first.body.id, before)).toEqual(['CertificateApplied', 'CompanyCheckPassed']);
    });

    it('a gate step: 200 and the same revision both times, even after the next gate', async () => {
      const workerId = await registeredWorker(registry, scenario);
      const { id } = await certificateUpTo(registry, scenario, workerId, 'company-check');
      const key = freshKey('company-check');
      const body = { outcome: 'passed', note: 'employment confirmed' };
      const first = await sendTwice(
        'POST',
        `/certificates/${id}/company-check`,
        scenario.operator,
        key,
        body,
        200,
      );
      expect(first.body).toEqual({ id, revision: 1, position: expect.any(Number) });
      const verified = await sendTwice(
        'POST',
        `/certificates/${id}/platform-verification`,
        scenario.reviewer,
        freshKey('platform-verification'),
        { outcome: 'passed' },
        200,
      );
      expect(verified.body).toEqual({ id, revision: 2, position: expect.any(Number) });
      const before = await head();
      const later = await send('POST', `/certificates/${id}/company-check`, scenario.operator, key, body);
      expect({ status: later.status, body: later.body }).toEqual({ status: 200, body: first.body });
      expect(await head()).toBe(before);
      expect(await historyTypes(id, before)).toEqual([
        'CertificateApplied',
        'CompanyCheckPassed',
        'PlatformVerificationPassed',
      ]);
    });

    it('POST /certificates/:id/issue: 200 and the same code both times', async () => {
      const workerId = await registeredWorker(registry, scenario);
      const { id } = await certificateUpTo(registry, scenario, workerId, 'issue');
      const first = await sendTwice(
        'POST',
        `/certificates/${id}/issue`,
        scenario.reviewer,
        freshKey('issue'),
        undefined,
        200,
      );
      expect(first.body).toEqual({
        id,
        revision: 4,
        position: expect.any(Number),
        code: expect.stringMatching(/^[0-9A-Z]{11}$/),
      });
      const types = await historyTypes(id, first.body.position);
      expect(types.filter((type) => type === 'CertificateIssued')).toHaveLength(1);
      const view = await registry.request(
        'GET',
        `/api/v1/public/certificates/${first.body.code}?minPosition=${first.body.position}`,
      );
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ code: first.body.code, status: 'valid' });
    });
  });

  describe('the same key from different operators, or on a different request, is a different command', () => {
    it('two operators of different agencies using one key each register their own worker', async () => {
      const otherAgency = await agencyWithStaff(registry);
      const key = freshKey('shared');
      const before = await head();
      const mine = await send('POST', '/workers', scenario.operator, key, {
        agencyId: scenario.agencyId,
        name: '张三丰',
        idNumber: idNumber(),
        phone: phone(),
      });
      const afterMine = await head();
      const theirs = await send('POST', '/workers', otherAgency.operator, key, {
        agencyId: otherAgency.agencyId,
        name: '李四',
        idNumber: idNumber(),
        phone: phone(),
      });
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.body.id).not.toBe(mine.body.id);
      // Each registration wrote its own events: the second moved the head as far as the first.
      expect(await head()).toBe(afterMine + (afterMine - before));
    });

    it('two operators of the same agency using one key each act for themselves', async () => {
      const colleague = await registry.token('agency_operator', scenario.agencyId, 'operator-colleague');
      const key = freshKey('shared-apply');
      const [w1, w2] = [
        await registeredWorker(registry, scenario),
        await registeredWorker(registry, scenario),
      ];
      const mine = await send('POST', '/certificates', scenario.operator, key, { workerId: w1 });
      const theirs = await send('POST', '/certificates', colleague, key, { workerId: w2 });
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirs.body.position).toBeGreaterThan(mine.body.position);
      const certificate = await registry.request(
        'GET',
        `/api/v1/certificates/${theirs.body.id}?minPosition=${theirs.body.position}`,
        { token: scenario.operator },
      );
      expect(certificate.body).toMatchObject({ workerId: w2, status: 'awaiting_company_check' });
    });

    it('one key reused by one operator on another route is refused (422), never taken for a retry', async () => {
      const key = freshKey('reused');
      const registered = await send('POST', '/workers', scenario.operator, key, {
        agencyId: scenario.agencyId,
        name: '王五',
        idNumber: idNumber(),
        phone: phone(),
      });
      expect(registered.status).toBe(201);
      const workerId = registered.body.id as string;
      const before = await head();
      const consent = await send('POST', `/workers/${workerId}/consents`, scenario.operator, key, {
        scopes: ['credit', 'criminal_record'],
        evidenceRef: 'consent.pdf',
      });
      expect({ status: consent.status, field: consent.body.field }).toEqual({
        status: 422,
        field: 'Idempotency-Key',
      });
      const applied = await send('POST', '/certificates', scenario.operator, key, { workerId });
      expect(applied.status).toBe(422);
      expect(await head()).toBe(before);
      // With keys of their own, both are new commands and are recorded.
      const recorded = await send(
        'POST',
        `/workers/${workerId}/consents`,
        scenario.operator,
        freshKey('consent'),
        {
          scopes: ['credit', 'criminal_record'],
          evidenceRef: 'consent.pdf',
        },
      );
      expect(recorded.body).toEqual({ id: workerId, revision: 1, position: expect.any(Number) });
    });

    it('refuses the same key on the same route with a different body (422), writing nothing', async () => {
      const key = freshKey('reused');
      const first = { agencyId: scenario.agencyId, name: '张三丰', idNumber: idNumber(), phone: phone() };
      const created = await send('POST', '/workers', scenario.operator, key, first);
      expect(created.status).toBe(201);
      const before = await head();
      const other = { ...first, idNumber: idNumber() };
      const refused = await send('POST', '/workers', scenario.operator, key, other);
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 422,
        body: {
          statusCode: 422,
          error: 'Unprocessable Entity',
          message:
            'Idempotency-Key was already used for a different request; use a new key for a new request',
          field: 'Idempotency-Key',
        },
      });
      expect(await head()).toBe(before);
      // The second ID number was not reserved for the first worker: it registers with a new key.
      const registered = await send('POST', '/workers', scenario.operator, freshKey('new'), other);
      expect(registered.status).toBe(201);
      expect(registered.body.id).not.toBe(created.body.id);
      // Keys are bound to the body, not its formatting: the same fields in another order are a retry.
      const reordered = {
        phone: first.phone,
        idNumber: first.idNumber,
        name: first.name,
        agencyId: first.agencyId,
      };
      const retried = await send('POST', '/workers', scenario.operator, key, reordered);
      expect({ status: retried.status, body: retried.body }).toEqual({ status: 201, body: created.body });
    });

    it('refuses an Idempotency-Key that is not 1 to 200 visible ASCII characters, writing nothing', async () => {
      const before = await head();
      const answer = await send('POST', '/workers', scenario.operator, 'k'.repeat(201), {
        agencyId: scenario.agencyId,
        name: '张三丰',
        idNumber: idNumber(),
        phone: phone(),
      });
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: 400,
        body: {
          statusCode: 400,
          error: 'Bad Request',
          message: 'Idempotency-Key must be 1 to 200 visible ASCII characters',
        },
      });
      expect(await head()).toBe(before);
    });
  });

  describe('five concurrent identical requests produce exactly one set of events', () => {
    /** Sends five identical requests at once; all must get one identical answer. */
    const fiveAtOnce = async (method: string, path: string, token: string, body: unknown, status: number) => {
      const key = freshKey('concurrent');
      const before = await head();
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => send(method, path, token, key, body)),
      );
      const after = await head();
      for (const answer of answers) {
        expect({ status: answer.status, body: answer.body }).toEqual({
          status,
          body: answers[0]!.body,
        });
      }
      expect(answers[0]!.body.position).toBe(after);
      return { body: answers[0]!.body, written: after - before };
    };

    /** How many events one such request writes (with its key's reservation), measured on a single request. */
    const writtenByOne = async (
      method: string,
      path: string,
      token: string,
      body: unknown,
      status: number,
    ) => {
      const before = await head();
      const answer = await send(method, path, token, freshKey('single'), body);
      expect(answer.status).toBe(status);
      return (await head()) - before;
    };

    const person = () => ({
      agencyId: scenario.agencyId,
      name: '赵六',
      idNumber: idNumber(),
      phone: phone(),
    });

    it('POST /workers', async () => {
      const single = await writtenByOne('POST', '/workers', scenario.operator, person(), 201);
      const { written } = await fiveAtOnce('POST', '/workers', scenario.operator, person(), 201);
      expect(written).toBe(single);
    });

    it('POST /certificates', async () => {
      const single = await writtenByOne(
        'POST',
        '/certificates',
        scenario.operator,
        { workerId: await registeredWorker(registry, scenario) },
        201,
      );
      const workerId = await registeredWorker(registry, scenario);
      const { body, written } = await fiveAtOnce(
        'POST',
        '/certificates',
        scenario.operator,
        { workerId },
        201,
      );
      expect(written).toBe(single);
      expect(await historyTypes(body.id, body.position)).toEqual(['CertificateApplied']);
    });

    it('a gate step', async () => {
      const { id } = await certificateUpTo(
        registry,
        scenario,
        await registeredWorker(registry, scenario),
        'company-check',
      );
      const { body, written } = await fiveAtOnce(
        'POST',
        `/certificates/${id}/company-check`,
        scenario.operator,
        { outcome: 'passed' },
        200,
      );
      expect(written).toBe(2); // the key's reservation and the gate's event
      expect(body).toEqual({ id, revision: 1, position: expect.any(Number) });
      expect(await historyTypes(id, body.position)).toEqual(['CertificateApplied', 'CompanyCheckPassed']);
    });

    it('POST /certificates/:id/issue', async () => {
      const reference = await certificateUpTo(
        registry,
        scenario,
        await registeredWorker(registry, scenario),
        'issue',
      );
      const single = await writtenByOne(
        'POST',
        `/certificates/${reference.id}/issue`,
        scenario.reviewer,
        undefined,
        200,
      );
      const { id } = await certificateUpTo(
        registry,
        scenario,
        await registeredWorker(registry, scenario),
        'issue',
      );
      const { body, written } = await fiveAtOnce(
        'POST',
        `/certificates/${id}/issue`,
        scenario.reviewer,
        undefined,
        200,
      );
      expect(written).toBe(single);
      expect(body).toMatchObject({ id, revision: 4, code: expect.any(String) });
      const types = await historyTypes(id, body.position);
      expect(types.filter((type) => type === 'CertificateIssued')).toHaveLength(1);
    });
  });
});
