import { agencyWithStaff, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

describe('concurrent writers never break a rule', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;

  beforeAll(async () => {
    registry = await startRegistry();
    scenario = await agencyWithStaff(registry);
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  it('lets exactly one of many simultaneous applications for one worker through (rule 2)', async () => {
    const workerId = await registeredWorker(registry, scenario);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        registry.request('POST', '/api/v1/certificates', { token: scenario.operator, body: { workerId } }),
      ),
    );
    const created = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const answer of refused) expect(answer.body.existingId).toBe(created[0]!.body.id);
  });

  it('registers one worker when the same ID number arrives many times at once (rule 1)', async () => {
    const body = {
      agencyId: scenario.agencyId,
      name: '李四',
      idNumber: '11010519491231002X',
      phone: '13800000001',
    };
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        registry.request('POST', '/api/v1/workers', { token: scenario.operator, body }),
      ),
    );
    const created = answers.filter((answer) => answer.status === 201);
    expect(created).toHaveLength(1);
    for (const answer of answers.filter((a) => a.status !== 201)) {
      expect(answer.status).toBe(409);
      expect(answer.body.existingId).toBe(created[0]!.body.id);
    }
  });

  it('applies one of two simultaneous gate decisions and refuses the other', async () => {
    const workerId = await registeredWorker(registry, scenario);
    const applied = await registry.request('POST', '/api/v1/certificates', {
      token: scenario.operator,
      body: { workerId },
    });
    const path = `/api/v1/certificates/${applied.body.id}/company-check`;
    const answers = await Promise.all([
      registry.request('POST', path, { token: scenario.operator, body: { outcome: 'passed' } }),
      registry.request('POST', path, {
        token: scenario.operator,
        body: { outcome: 'failed', note: 'no contract' },
      }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const history = await registry.request(
      'GET',
      `/api/v1/audit/certificates/${applied.body.id}/history?minPosition=${Math.max(...answers.map((a) => a.body.position ?? 0))}`,
      {
        token: await registry.token('auditor'),
      },
    );
    expect(history.body.entries).toHaveLength(2);
  });
});
