import { readReadModels } from '../support/read-models';
import { agencyWithStaff, idNumber, phone, trainingProvider, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';
import { rebuildReadModels } from '../../src/infrastructure/rebuild';
import { join } from 'node:path';

describe('a worker goes through the whole certificate lifecycle over HTTP', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;
  const person = { name: '张三丰', idNumber: idNumber(), phone: phone() };
  let workerId: string;
  let certificateId: string;
  let code: string;
  let lastPosition = 0;

  beforeAll(async () => {
    registry = await startRegistry();
    scenario = await agencyWithStaff(registry, '310104');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  const post = async (path: string, token: string, body?: unknown, expected = 200) => {
    const answer = await registry.request('POST', `/api/v1${path}`, { token, body });
    expect({ path, status: answer.status, body: answer.body }).toMatchObject({ status: expected });
    expect(answer.body.position).toBeGreaterThan(lastPosition);
    lastPosition = answer.body.position;
    return answer.body;
  };

  it('registers the worker and records consent', async () => {
    const registered = await post(
      '/workers',
      scenario.operator,
      { agencyId: scenario.agencyId, ...person },
      201,
    );
    expect(registered).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
    workerId = registered.id;
    const consent = await post(`/workers/${workerId}/consents`, scenario.operator, {
      scopes: ['credit', 'criminal_record'],
      evidenceRef: 'signed-0001.pdf',
    });
    expect(consent).toMatchObject({ id: workerId, revision: 1 });
  });

  it('applies and passes the three gates in order', async () => {
    const applied = await post('/certificates', scenario.operator, { workerId }, 201);
    certificateId = applied.id;
    expect(applied.revision).toBe(0);
    expect(
      (await post(`/certificates/${certificateId}/company-check`, scenario.operator, { outcome: 'passed' }))
        .revision,
    ).toBe(1);
    expect(
      (
        await post(`/certificates/${certificateId}/platform-verification`, scenario.reviewer, {
          outcome: 'passed',
        })
      ).revision,
    ).toBe(2);
    expect(
      (
        await post(`/certificates/${certificateId}/police-check`, scenario.police, {
          outcome: 'clear',
          reference: 'PSB-2026-7',
        })
      ).revision,
    ).toBe(3);
  });

  it('refuses to issue until the worker has completed training, naming the unmet requirement', async () => {
    const refused = await registry.request('POST', `/api/v1/certificates/${certificateId}/issue`, {
      token: scenario.reviewer,
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      message: expect.stringContaining(
        'the worker has not completed training (0 of 3 class hours done, no passed exam)',
      ),
      unmet: ['the worker has not completed training (0 of 3 class hours done, no passed exam)'],
    });

    // A training provider records the worker's attendance at a 3-class-hour session: hours, no exam yet.
    const training = await trainingProvider(registry);
    await post(`/training-sessions/${training.sessionId}/attendance`, training.trainer, {
      workerIds: [workerId],
    });
    const stillRefused = await registry.request('POST', `/api/v1/certificates/${certificateId}/issue`, {
      token: scenario.reviewer,
    });
    expect(stillRefused.status).toBe(409);
    expect(stillRefused.body.unmet).toEqual([
      'the worker has not completed training (3 of 3 class hours done, no passed exam)',
    ]);

    // The exam is passed: training is complete.
    await post(`/training-sessions/${training.sessionId}/exam-scores`, training.trainer, {
      scores: [{ workerId, score: 75 }],
    });
  });

  it('issues a code with a valid check character once training is complete', async () => {
    const issued = await post(`/certificates/${certificateId}/issue`, scenario.reviewer);
    expect(issued).toMatchObject({
      id: certificateId,
      revision: 4,
      code: expect.stringMatching(/^[0-9A-Z]{11}$/),
    });
    code = issued.code;
  });

  it('shows the certificate to its agency with the state every step left', async () => {
    const answer = await registry.request(
      'GET',
      `/api/v1/certificates/${certificateId}?minPosition=${lastPosition}`,
      {
        token: scenario.operator,
      },
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      id: certificateId,
      workerId,
      agencyId: scenario.agencyId,
      district: '310104',
      status: 'issued',
      code,
      awaiting: null,
      revision: 4,
      worker: { id: workerId, name: '张三丰' },
    });
  });

  it('lets a citizen verify the code: valid, masked name, agency — never the ID number or phone', async () => {
    const answer = await registry.request(
      'GET',
      `/api/v1/public/certificates/${code}?minPosition=${lastPosition}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      code,
      status: 'valid',
      holder: '张*丰',
      agency: { district: '310104', districtName: '徐汇区' },
      handedOver: false,
      training: { completed: true, classHours: 3, provider: expect.stringMatching(/^家政培训中心/) },
    });
    expect(answer.body.training).not.toHaveProperty('examScore');
    const text = JSON.stringify(answer.body);
    expect(text).not.toContain(person.idNumber);
    expect(text).not.toContain(person.phone);
    expect(text).not.toContain('张三丰');
    expect(text).not.toContain(workerId);
  });

  it('lets citizens rate the service without a token; the public view counts them', async () => {
    await post(`/public/certificates/${code}/ratings`, '', { score: 5, comment: '准时，认真' }, 201);
    await post(`/public/certificates/${code}/ratings`, '', { score: 4 }, 201);
    const view = await registry.request(
      'GET',
      `/api/v1/public/certificates/${code}?minPosition=${lastPosition}`,
    );
    expect(view.body.ratings).toEqual({ count: 2, average: 4.5 });
  });

  it('hands the certificate over and then revokes it; the public view follows', async () => {
    await post(`/certificates/${certificateId}/hand-over`, scenario.operator, { mode: 'individual' });
    let view = await registry.request(
      'GET',
      `/api/v1/public/certificates/${code}?minPosition=${lastPosition}`,
    );
    expect(view.body).toMatchObject({ status: 'valid', handedOver: true });
    await post(`/certificates/${certificateId}/revoke`, scenario.operator, { reason: 'left the agency' });
    view = await registry.request('GET', `/api/v1/public/certificates/${code}?minPosition=${lastPosition}`);
    expect(view.body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
  });

  it('gives auditors the full history with actor and time, and the state as of any moment', async () => {
    const auditor = await registry.token('auditor');
    const history = await registry.request('GET', `/api/v1/audit/certificates/${certificateId}/history`, {
      token: auditor,
    });
    expect(history.status).toBe(200);
    expect(history.body.entries.map((entry: { type: string }) => entry.type)).toEqual([
      'CertificateApplied',
      'CompanyCheckPassed',
      'PlatformVerificationPassed',
      'PoliceComparisonClear',
      'CertificateIssued',
      'CertificateHandedOver',
      'CertificateRevoked',
    ]);
    expect(history.body.state.status).toBe('revoked');
    for (const entry of history.body.entries) {
      expect(entry.actor).toEqual(
        expect.objectContaining({ id: expect.any(String), role: expect.any(String) }),
      );
      expect(Date.parse(entry.occurredAt)).not.toBeNaN();
    }
    const issuedAt = history.body.entries[4].occurredAt;
    const asOf = await registry.request(
      'GET',
      `/api/v1/audit/certificates/${certificateId}/history?asOf=${encodeURIComponent(issuedAt)}`,
      { token: auditor },
    );
    expect(asOf.body.entries).toHaveLength(5);
    expect(asOf.body.state).toMatchObject({ status: 'issued', code, handedOver: null });
  });

  it('answers who decided each step (accountability) and everything one person decided', async () => {
    const regulator = await registry.token('regulator');
    const chain = await registry.request(
      'GET',
      `/api/v1/audit/certificates/${certificateId}/accountability`,
      {
        token: regulator,
      },
    );
    expect(chain.status).toBe(200);
    expect(chain.body).toMatchObject({
      applied: { by: { role: 'agency_operator', agencyId: scenario.agencyId } },
      companyCheck: { outcome: 'passed', by: { role: 'agency_operator' } },
      platformVerification: { outcome: 'passed', by: { role: 'platform_reviewer' } },
      policeCheck: { outcome: 'clear', reference: 'PSB-2026-7', by: { role: 'police_liaison' } },
      issued: { code, by: { role: 'platform_reviewer' } },
      handedOver: { mode: 'individual' },
      revoked: { reason: 'left the agency', by: { role: 'agency_operator' } },
    });
    const reviewerId = chain.body.issued.by.id;
    const decisions = await registry.request('GET', `/api/v1/audit/actors/${reviewerId}/decisions`, {
      token: regulator,
    });
    expect(decisions.status).toBe(200);
    expect(decisions.body.items.map((item: { type: string }) => item.type)).toEqual(
      expect.arrayContaining(['PlatformVerificationPassed', 'CertificateIssued']),
    );
  });

  it('counts the certificate in the statistics, by district and by agency', async () => {
    const regulator = await registry.token('regulator');
    const byDistrict = await registry.request(
      'GET',
      `/api/v1/stats?groupBy=district&minPosition=${lastPosition}`,
      {
        token: regulator,
      },
    );
    expect(byDistrict.status).toBe(200);
    expect(byDistrict.body.total).toMatchObject({ applications: 1, revoked: 1, issued: 0, pendingReview: 0 });
    expect(byDistrict.body.groups).toHaveLength(16);
    expect(
      byDistrict.body.groups.find((group: { district: string }) => group.district === '310104'),
    ).toMatchObject({
      name: '徐汇区',
      applications: 1,
      revoked: 1,
    });
    const byAgency = await registry.request('GET', '/api/v1/stats?groupBy=agency', { token: regulator });
    expect(byAgency.body.groups).toEqual([
      expect.objectContaining({ agencyId: scenario.agencyId, applications: 1, revoked: 1 }),
    ]);
  });

  it('keeps everything after the service is closed and reopened on the same DATA_DIR', async () => {
    const before = await readReadModels(join(registry.dataDir, 'read.db'));
    await registry.close();
    registry = await startRegistry(registry.dataDir);
    const answer = await registry.request('GET', `/api/v1/public/certificates/${code}`);
    expect(answer.status).toBe(200);
    expect(answer.body.status).toBe('revoked');
    const health = await registry.request('GET', '/health');
    expect(health.body.eventStore.head).toBe(lastPosition);
    expect(health.body.projections.position).toBe(lastPosition);
    expect(await readReadModels(join(registry.dataDir, 'read.db'))).toEqual(before);
    // The worker can apply again now that the certificate is revoked (rule 2), and writes continue.
    await post('/certificates', scenario.operator, { workerId }, 201);
  });

  it('rebuilds every read model from position 0 into exactly what the live projections hold', async () => {
    const health = await registry.request('GET', `/health?minPosition=${lastPosition}`);
    expect(health.body.projections.position).toBe(lastPosition);
    const target = join(registry.dataDir, 'rebuilt.db');
    const report = await rebuildReadModels(registry.dataDir, { target });
    expect(report.position).toBe(lastPosition);
    // The workers' names were opened on the second thread and handed to the first (the masked names).
    expect(report.personalData.relayed).toBeGreaterThan(0);
    expect(report.personalData.openedHere).toBe(0);
    const live = await readReadModels(join(registry.dataDir, 'read.db'));
    const rebuilt = await readReadModels(target);
    expect(Object.keys(live.collections).length).toBeGreaterThanOrEqual(9);
    expect(live.collections.certificates!.length).toBe(2);
    // The second application waits at the company check: the queues (on the rebuild's other thread) too.
    expect(live.collections.queue).toEqual([
      { id: expect.any(String), doc: expect.objectContaining({ gate: 'company-check' }) },
    ]);
    // Indexes too: each thread's, built in its own file, the second's copied in with its part.
    expect(live.indexes).toEqual(
      expect.arrayContaining(['UNIQUE ON "certificates" (id)', 'UNIQUE ON "workers" (id)']),
    );
    expect(rebuilt).toEqual(live);
  });
});
