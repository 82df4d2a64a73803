import { Workbook } from 'exceljs';
import { shanghaiDate } from '../../src/domain/shanghai-time';
import { parseCsv } from '../../src/infrastructure/formats/csv';
import {
  agencyWithStaff,
  certificateUpTo,
  idNumber,
  phone,
  registeredWorker,
  sharedTraining,
  type Scenario,
  type TrainingSetup,
} from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

const HEADER = [
  '姓名',
  '身份证号',
  '上门服务证编码',
  '所在家政服务机构',
  '电话',
  '考试成绩',
  '培训课时',
  '培训机构',
  '培训完成时间',
  '证件状态',
];

describe('rosters (名册) of trained workers over HTTP: JSON, CSV and XLSX', () => {
  let registry: RunningRegistry;
  let agencyA: Scenario;
  let agencyB: Scenario;
  let training: TrainingSetup;
  let regulator: string;
  const issuedPerson = { name: '张三丰', idNumber: idNumber(), phone: phone() };
  const trainedPerson = { name: '李四', idNumber: idNumber(), phone: phone() };
  let issuedWorker: string;
  let trainedWorker: string;
  let otherAgencyWorker: string;
  let code: string;
  let certificateId: string;
  let position = 0;
  const today = shanghaiDate(new Date().toISOString());

  beforeAll(async () => {
    registry = await startRegistry();
    agencyA = await agencyWithStaff(registry, '310104');
    agencyB = await agencyWithStaff(registry, '310115');
    training = await sharedTraining(registry);
    regulator = await registry.token('regulator');
    issuedWorker = await registeredWorker(registry, agencyA, issuedPerson);
    trainedWorker = await registeredWorker(registry, agencyA, trainedPerson);
    otherAgencyWorker = await registeredWorker(registry, agencyB);
    await registeredWorker(registry, agencyA, { trained: false }); // not on any roster
    const certificate = await certificateUpTo(registry, agencyA, issuedWorker, 'issued');
    code = certificate.code!;
    certificateId = certificate.id;
    position = certificate.position;
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  const roster = (path: string, token: string, query = '') =>
    registry.request('GET', `/api/v1${path}/roster?minPosition=${position}${query}`, { token });

  const binary = async (path: string, token: string) => {
    const response = await fetch(`${registry.url}/api/v1${path}/roster?minPosition=${position}&format=xlsx`, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { response, bytes: Buffer.from(await response.arrayBuffer()) };
  };

  it('lists the agency’s trained workers with name, ID number, certificate code, agency, phone and exam score', async () => {
    const answer = await roster(`/agencies/${agencyA.agencyId}`, agencyA.operator);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body.owner).toEqual({ kind: 'agency', id: agencyA.agencyId, name: expect.any(String) });
    expect(answer.body.rows).toEqual([
      {
        workerId: issuedWorker,
        name: '张三丰',
        idNumber: issuedPerson.idNumber,
        certificateCode: code,
        certificateStatus: 'issued',
        agency: answer.body.owner.name,
        phone: issuedPerson.phone,
        examScore: 86,
        classHours: 3,
        trainingProvider: expect.stringMatching(/^家政培训中心/),
        completedAt: expect.any(String),
      },
      expect.objectContaining({
        workerId: trainedWorker,
        name: '李四',
        idNumber: trainedPerson.idNumber,
        certificateCode: null,
        certificateStatus: null,
        phone: trainedPerson.phone,
      }),
    ]);
  });

  it('lists a provider’s trainees of every agency, for the provider and the regulator', async () => {
    const own = await roster(`/training-providers/${training.providerId}`, training.trainer);
    expect(own.status).toBe(200);
    expect(own.body.rows.map((row: { workerId: string }) => row.workerId)).toEqual([
      issuedWorker,
      trainedWorker,
      otherAgencyWorker,
    ]);
    const byRegulator = await roster(`/training-providers/${training.providerId}`, regulator);
    expect(byRegulator.body.rows).toEqual(own.body.rows);
    const agencyByRegulator = await roster(`/agencies/${agencyB.agencyId}`, regulator);
    expect(agencyByRegulator.body.rows.map((row: { workerId: string }) => row.workerId)).toEqual([
      otherAgencyWorker,
    ]);
  });

  it('is for the regulator and the agency or provider itself only (403 for others)', async () => {
    expect((await roster(`/agencies/${agencyA.agencyId}`, agencyB.operator)).status).toBe(403);
    expect((await roster(`/agencies/${agencyA.agencyId}`, training.trainer)).status).toBe(403);
    const otherProvider = await registry.token('training_provider', 'another-provider');
    expect((await roster(`/training-providers/${training.providerId}`, otherProvider)).status).toBe(403);
    expect((await roster(`/training-providers/${training.providerId}`, agencyA.operator)).status).toBe(403);
    for (const role of ['platform_reviewer', 'police_liaison', 'auditor', 'platform_admin'] as const) {
      expect((await roster(`/agencies/${agencyA.agencyId}`, await registry.token(role))).status).toBe(403);
    }
    expect((await registry.request('GET', `/api/v1/agencies/${agencyA.agencyId}/roster`)).status).toBe(401);
  });

  it('answers 404 for an unknown agency or provider', async () => {
    expect((await roster('/agencies/no-such-agency', regulator)).status).toBe(404);
    expect((await roster('/training-providers/no-such-provider', regulator)).status).toBe(404);
  });

  it('keeps to the period: dates are whole Shanghai days, to inclusive', async () => {
    const path = `/agencies/${agencyA.agencyId}`;
    const count = async (query: string) => (await roster(path, regulator, query)).body.rows.length;
    expect(await count(`&from=${today}&to=${today}`)).toBe(2);
    expect(await count('&from=2000-01-01&to=2000-12-31')).toBe(0);
    expect(await count('&from=2999-01-01')).toBe(0);
    expect(await count(`&to=${new Date().toISOString()}`)).toBe(2);
    const answer = await roster(path, regulator, `&from=${today}`);
    expect(answer.body.period).toEqual({ from: expect.stringMatching(/T16:00:00.000Z$/), to: null });
  });

  it.each([
    ['&from=2026-13-01', 'from'],
    ['&to=last-week', 'to'],
    ['&from=2026-11-24T09:00:00', 'from'],
    ['&from=2026-11-30&to=2026-11-01', 'to'],
    ['&format=pdf', 'format'],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const answer = await roster(`/agencies/${agencyA.agencyId}`, regulator, query);
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe(field);
  });

  it('exports CSV in UTF-8 with a byte order mark, Chinese headers and the same rows', async () => {
    const response = await fetch(
      `${registry.url}/api/v1/agencies/${agencyA.agencyId}/roster?minPosition=${position}&format=csv`,
      { headers: { authorization: `Bearer ${agencyA.operator}` } },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="roster-agency-.+\.csv"$/,
    );
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text).toContain('\r\n');
    const records = parseCsv(text).map((record) => record.fields);
    expect(records[0]).toEqual(HEADER);
    expect(records).toHaveLength(3);
    expect(records[1]).toEqual([
      '张三丰',
      issuedPerson.idNumber,
      code,
      expect.any(String),
      issuedPerson.phone,
      '86',
      '3',
      expect.stringMatching(/^家政培训中心/),
      expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/), // Shanghai wall-clock time
      '有效',
    ]);
    expect(records[2]!.slice(0, 3)).toEqual(['李四', trainedPerson.idNumber, '']);
    expect(records[2]!.at(-1)).toBe('未发证');
  });

  it('exports XLSX that a spreadsheet package opens, ID numbers kept as text', async () => {
    const { response, bytes } = await binary(`/training-providers/${training.providerId}`, training.trainer);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    );
    const workbook = new Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    const sheet = workbook.getWorksheet('名册')!;
    expect(sheet).toBeDefined();
    expect((sheet.getRow(1).values as unknown[]).slice(1)).toEqual(HEADER);
    expect(sheet.rowCount).toBe(4);
    const first = sheet.getRow(2);
    expect(first.getCell(1).value).toBe('张三丰');
    expect(first.getCell(2).value).toBe(issuedPerson.idNumber);
    expect(typeof first.getCell(2).value).toBe('string');
    expect(first.getCell(3).value).toBe(code);
    expect(first.getCell(5).value).toBe(issuedPerson.phone);
    expect(first.getCell(6).value).toBe(86);
    expect(first.getCell(7).value).toBe(3);
    expect(sheet.getRow(3).getCell(1).value).toBe('李四');
  });

  it('writes every roster read into the workers’ access logs (who read whose personal data)', async () => {
    const log = await registry.request('GET', `/api/v1/workers/${issuedWorker}/access-log?limit=1000`, {
      token: regulator,
    });
    expect(log.status).toBe(200);
    expect(log.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          route: 'GET /api/v1/agencies/:id/roster',
          actor: expect.objectContaining({ role: 'agency_operator', agencyId: agencyA.agencyId }),
          fields: ['name', 'idNumber', 'phone'],
        }),
        expect.objectContaining({
          route: 'GET /api/v1/training-providers/:id/roster',
          actor: expect.objectContaining({ role: 'training_provider', agencyId: training.providerId }),
          grantedBy: expect.stringContaining(training.providerId),
        }),
      ]),
    );
  });

  it('shows a revoked certificate as revoked', async () => {
    const revoked = await registry.request('POST', `/api/v1/certificates/${certificateId}/revoke`, {
      token: regulator,
      body: { reason: 'roster test' },
    });
    expect(revoked.status).toBe(200);
    position = revoked.body.position;
    const after = await roster(`/agencies/${agencyA.agencyId}`, regulator);
    expect(after.body.rows[0]).toMatchObject({ certificateCode: code, certificateStatus: 'revoked' });
  });
});
