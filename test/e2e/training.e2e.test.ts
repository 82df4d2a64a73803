import {
  PAST_SESSION,
  agencyWithStaff,
  certificateUpTo,
  creditCode,
  registeredWorker,
  trainingProvider,
  type Scenario,
  type TrainingSetup,
} from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

describe('training over HTTP: providers, sessions, attendance, progress, supervision, exam scores', () => {
  let registry: RunningRegistry;
  let scenario: Scenario;
  let training: TrainingSetup;
  let admin: string;

  beforeAll(async () => {
    registry = await startRegistry();
    scenario = await agencyWithStaff(registry);
    training = await trainingProvider(registry);
    admin = scenario.admin;
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  const api = (method: string, path: string, token: string | null, body?: unknown, headers = {}) =>
    registry.request(method, `/api/v1${path}`, { token, body, headers });

  const untrainedWorker = () => registeredWorker(registry, scenario, { trained: false });

  async function schedule(body: Record<string, unknown> = {}, token = training.trainer) {
    return api('POST', '/training-sessions', token, {
      mode: 'offline',
      classHours: 3,
      teacher: '王芳',
      place: '徐汇区培训教室',
      ...PAST_SESSION,
      ...body,
    });
  }

  async function eventCount(): Promise<number> {
    return (await registry.request('GET', '/health')).body.eventStore.head as number;
  }

  describe('POST /training-providers', () => {
    it('registers a provider (201) for the platform admin', async () => {
      const answer = await api('POST', '/training-providers', admin, {
        name: '上海家政职业培训中心',
        creditCode: creditCode(),
        district: '310105',
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
    });

    it('refuses a second provider with the same credit code (409 with the existing id)', async () => {
      const code = creditCode();
      const first = await api('POST', '/training-providers', admin, {
        name: '甲',
        creditCode: code,
        district: '310105',
      });
      const second = await api('POST', '/training-providers', admin, {
        name: '乙',
        creditCode: code,
        district: '310105',
      });
      expect(second.status).toBe(409);
      expect(second.body).toMatchObject({ existingId: first.body.id });
    });

    it('lets a company that is an agency register as a training provider with its credit code', async () => {
      const code = creditCode();
      const agency = await api('POST', '/agencies', admin, {
        name: '家政公司',
        creditCode: code,
        district: '310104',
      });
      const provider = await api('POST', '/training-providers', admin, {
        name: '家政公司培训部',
        creditCode: code,
        district: '310104',
      });
      expect([agency.status, provider.status]).toEqual([201, 201]);
    });

    it.each([
      [{ name: '', creditCode: 'x', district: '310104' }, 'name'],
      [{ name: '甲', creditCode: '91310104MA0000000O', district: '310104' }, 'creditCode'],
      [{ name: '甲', creditCode: creditCode(), district: '999999' }, 'district'],
    ])('refuses bad input with 400 naming the field (%#)', async (body, field) => {
      const before = await eventCount();
      const answer = await api('POST', '/training-providers', admin, body);
      expect(answer.status).toBe(400);
      expect(answer.body.field).toBe(field);
      expect(await eventCount()).toBe(before);
    });

    it('is for the platform admin only (403)', async () => {
      const answer = await api('POST', '/training-providers', scenario.operator, {
        name: '甲',
        creditCode: creditCode(),
        district: '310104',
      });
      expect(answer.status).toBe(403);
    });
  });

  describe('POST /training-sessions', () => {
    it('schedules an offline and an online session (201)', async () => {
      const offline = await schedule();
      const online = await schedule({ mode: 'online', place: undefined });
      expect([offline.status, online.status]).toEqual([201, 201]);
      expect(offline.body).toEqual({ id: expect.any(String), revision: 0, position: expect.any(Number) });
    });

    it.each<[Record<string, unknown>, string]>([
      [{ mode: 'classroom' }, 'mode'],
      [{ classHours: 0 }, 'classHours'],
      [{ classHours: 1.2 }, 'classHours'],
      [{ classHours: '3' }, 'classHours'],
      [{ teacher: '王2' }, 'teacher'],
      [{ place: undefined }, 'place'],
      [{ startsAt: 'yesterday' }, 'startsAt'],
      [{ startsAt: '2024-03-04T09:00:00' }, 'startsAt'],
      [{ endsAt: PAST_SESSION.startsAt }, 'endsAt'],
      [{ room: 'A' }, 'room'],
    ])('refuses %p with 400 naming %s, writing nothing', async (change, field) => {
      const before = await eventCount();
      const answer = await schedule(change);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, field });
      expect(answer.body.message).toContain(field);
      expect(await eventCount()).toBe(before);
    });

    it('is for training providers (403 for others) registered on the platform (403 for an unknown provider)', async () => {
      expect((await schedule({}, scenario.operator)).status).toBe(403);
      const stranger = await registry.token('training_provider', 'no-such-provider');
      const answer = await schedule({}, stranger);
      expect(answer.status).toBe(403);
      expect(answer.body.message).toContain('is not registered');
    });

    it('shows the session to its provider and the regulator, not to other providers (403) ', async () => {
      const session = (await schedule()).body.id as string;
      const own = await api('GET', `/training-sessions/${session}`, training.trainer);
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({
        id: session,
        providerId: training.providerId,
        mode: 'offline',
        classHours: 3,
        teacher: '王芳',
        place: '徐汇区培训教室',
        startsAt: PAST_SESSION.startsAt,
        attendees: [],
        supervision: null,
      });
      const regulator = await registry.token('regulator');
      expect((await api('GET', `/training-sessions/${session}`, regulator)).status).toBe(200);
      const other = await trainingProvider(registry);
      expect((await api('GET', `/training-sessions/${session}`, other.trainer)).status).toBe(403);
      expect((await api('GET', '/training-sessions/no-such-session', regulator)).status).toBe(404);
    });
  });

  describe('attendance, supervision and exam scores of an offline session', () => {
    it('records them, and the worker may then be issued a certificate', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      const certificate = await certificateUpTo(registry, scenario, workerId, 'issue');

      const attended = await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [workerId],
      });
      expect(attended.status).toBe(200);
      expect(attended.body).toMatchObject({ id: session, revision: 1 });

      const supervised = await api('POST', `/training-sessions/${session}/supervision`, training.trainer, {
        attendees: 1,
        identityChecked: 1,
        inspector: '李督导',
        method: 'video',
      });
      expect(supervised.status).toBe(200);

      const scored = await api('POST', `/training-sessions/${session}/exam-scores`, training.trainer, {
        scores: [{ workerId, score: 60 }],
      });
      expect(scored.status).toBe(200);

      const view = await api(
        'GET',
        `/training-sessions/${session}?minPosition=${scored.body.position}`,
        training.trainer,
      );
      expect(view.body).toMatchObject({
        attendees: [workerId],
        scores: { [workerId]: 60 },
        supervision: {
          startsAt: PAST_SESSION.startsAt,
          endsAt: PAST_SESSION.endsAt,
          place: '徐汇区培训教室',
          teacher: '王芳',
          attendees: 1,
          identityChecked: 1,
          inspector: '李督导',
          method: 'video',
          recordedAt: expect.any(String),
        },
      });

      const issued = await api('POST', `/certificates/${certificate.id}/issue`, scenario.reviewer);
      expect(issued.status).toBe(200);
      const publicView = await api(
        'GET',
        `/public/certificates/${issued.body.code}?minPosition=${issued.body.position}`,
        null,
      );
      expect(publicView.body.training).toEqual({
        completed: true,
        classHours: 3,
        provider: expect.any(String),
        completedOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      });
      expect(JSON.stringify(publicView.body)).not.toContain('"score');
    });

    it('refuses a failed exam at the issue gate (pass mark 60 by default)', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [workerId],
      });
      await api('POST', `/training-sessions/${session}/exam-scores`, training.trainer, {
        scores: [{ workerId, score: 59 }],
      });
      const certificate = await certificateUpTo(registry, scenario, workerId, 'issue');
      const refused = await api('POST', `/certificates/${certificate.id}/issue`, scenario.reviewer);
      expect(refused.status).toBe(409);
      expect(refused.body.unmet).toEqual([
        'the worker has not completed training (3 of 3 class hours done, no passed exam)',
      ]);
    });

    it('answers a retried request (same Idempotency-Key) as the first time and writes nothing', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [workerId],
      });
      const body = { scores: [{ workerId, score: 80 }] };
      const headers = { 'idempotency-key': `scores-${session}` };
      const first = await api(
        'POST',
        `/training-sessions/${session}/exam-scores`,
        training.trainer,
        body,
        headers,
      );
      const head = await eventCount();
      const again = await api(
        'POST',
        `/training-sessions/${session}/exam-scores`,
        training.trainer,
        body,
        headers,
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
      expect(await eventCount()).toBe(head);
    });

    it('refuses an unknown worker (404) and writes nothing, not even for the known ones', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      const before = await eventCount();
      const answer = await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [workerId, 'no-such-worker'],
      });
      expect(answer.status).toBe(404);
      expect(answer.body.message).toContain('worker no-such-worker does not exist');
      expect(await eventCount()).toBe(before);
    });

    it('refuses a score for a worker who did not attend (409) and a score out of range (400 naming it)', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      const notAttended = await api('POST', `/training-sessions/${session}/exam-scores`, training.trainer, {
        scores: [{ workerId, score: 80 }],
      });
      expect(notAttended.status).toBe(409);
      expect(notAttended.body.message).toContain(`worker ${workerId} did not attend`);
      const outOfRange = await api('POST', `/training-sessions/${session}/exam-scores`, training.trainer, {
        scores: [{ workerId, score: 101 }],
      });
      expect(outOfRange.status).toBe(400);
      expect(outOfRange.body.field).toBe('scores.0.score');
    });

    it('refuses a supervision sheet with more identities checked than attendees (400) and a second sheet (409)', async () => {
      const session = (await schedule()).body.id as string;
      const path = `/training-sessions/${session}/supervision`;
      const sheet = { attendees: 10, identityChecked: 10, inspector: '李督导', method: 'on_site' };
      const tooMany = await api('POST', path, training.trainer, { ...sheet, identityChecked: 11 });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body.field).toBe('identityChecked');
      expect((await api('POST', path, training.trainer, sheet)).status).toBe(200);
      expect((await api('POST', path, training.trainer, { ...sheet, attendees: 12 })).status).toBe(409);
      const badMethod = await api('POST', path, training.trainer, { ...sheet, method: 'phone' });
      expect(badMethod.status).toBe(400);
      expect(badMethod.body.field).toBe('method');
    });

    it('refuses another provider (403), an unknown session (404) and attendance at a future session (409)', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule()).body.id as string;
      const other = await trainingProvider(registry);
      const body = { workerIds: [workerId] };
      expect(
        (await api('POST', `/training-sessions/${session}/attendance`, other.trainer, body)).status,
      ).toBe(403);
      expect((await api('POST', `/training-sessions/nope/attendance`, training.trainer, body)).status).toBe(
        404,
      );
      const future = (await schedule({ startsAt: '2099-01-01T01:00:00Z', endsAt: '2099-01-01T04:00:00Z' }))
        .body.id as string;
      const early = await api('POST', `/training-sessions/${future}/attendance`, training.trainer, body);
      expect(early.status).toBe(409);
      expect(early.body.message).toContain('cannot be recorded before it starts');
      const malformed = await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [],
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.field).toBe('workerIds');
    });
  });

  describe('progress of an online session', () => {
    it('counts the hours done towards the 3 class hours; the exam then completes the training', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule({ mode: 'online', place: undefined })).body.id as string;
      const path = `/training-sessions/${session}/progress`;
      expect((await api('POST', path, training.trainer, { workerId, hoursDone: 1.5 })).status).toBe(200);
      const certificate = await certificateUpTo(registry, scenario, workerId, 'issue');
      await api('POST', `/training-sessions/${session}/exam-scores`, training.trainer, {
        scores: [{ workerId, score: 95 }],
      });
      const early = await api('POST', `/certificates/${certificate.id}/issue`, scenario.reviewer);
      expect(early.status).toBe(409);
      expect(early.body.unmet).toEqual(['the worker has not completed training (1.5 of 3 class hours done)']);

      expect((await api('POST', path, training.trainer, { workerId, hoursDone: 3 })).status).toBe(200);
      expect((await api('POST', `/certificates/${certificate.id}/issue`, scenario.reviewer)).status).toBe(
        200,
      );
    });

    it('refuses progress beyond the class hours (400), going back (409) and attendance on it (409)', async () => {
      const workerId = await untrainedWorker();
      const session = (await schedule({ mode: 'online', place: undefined })).body.id as string;
      const path = `/training-sessions/${session}/progress`;
      const beyond = await api('POST', path, training.trainer, { workerId, hoursDone: 4 });
      expect(beyond.status).toBe(400);
      expect(beyond.body.field).toBe('hoursDone');
      await api('POST', path, training.trainer, { workerId, hoursDone: 2 });
      expect((await api('POST', path, training.trainer, { workerId, hoursDone: 1 })).status).toBe(409);
      const attendance = await api('POST', `/training-sessions/${session}/attendance`, training.trainer, {
        workerIds: [workerId],
      });
      expect(attendance.status).toBe(409);
      expect(attendance.body.message).toContain('record progress instead');
    });
  });

  describe('the pass mark comes from TRAINING_PASS_MARK', () => {
    it('passes a 55 when the pass mark is 50', async () => {
      const lenient = await startRegistry(undefined, { trainingPassMark: 50 });
      try {
        const staff = await agencyWithStaff(lenient);
        const workerId = await registeredWorker(lenient, staff, { trained: false });
        const setup = await trainingProvider(lenient);
        await lenient.request('POST', `/api/v1/training-sessions/${setup.sessionId}/attendance`, {
          token: setup.trainer,
          body: { workerIds: [workerId] },
        });
        await lenient.request('POST', `/api/v1/training-sessions/${setup.sessionId}/exam-scores`, {
          token: setup.trainer,
          body: { scores: [{ workerId, score: 55 }] },
        });
        const certificate = await certificateUpTo(lenient, staff, workerId, 'issued');
        expect(certificate.code).toMatch(/^[0-9A-Z]{11}$/);
      } finally {
        await lenient.close();
        removeDataDir(lenient.dataDir);
      }
    });
  });
});
