import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import { PROJECTIONS } from '../../src/projections';
import { CERTIFICATES } from '../../src/projections/certificates';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import {
  CERTIFICATE_CODES,
  PUBLIC_CERTIFICATES,
  type PublicCertificateDoc,
} from '../../src/projections/public-certificates';
import { ROSTER, type RosterEntryDoc } from '../../src/projections/roster';
import { eventToAppend } from '../support/events';

/**
 * Public certificates and the roster find an issued certificate's code and holder in their own
 * collection, not in the certificate detail (so a rebuild runs that one on its other thread): run
 * without it, they must show every hand-over and revocation as they do with it.
 */
let dir: string;
let events: SqliteEventStore;
const revisions = new Map<string, number>();
let minute = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'public-certificates-'));
  events = SqliteEventStore.open(join(dir, 'events.db'));
  revisions.clear();
  minute = 0;
});

afterEach(async () => {
  await events.close();
  rmSync(dir, { recursive: true, force: true });
});

async function append(streamId: string, type: string, data: Record<string, unknown>): Promise<void> {
  const revision = revisions.get(streamId);
  const occurredAt = new Date(Date.UTC(2026, 0, 1, 8, minute++)).toISOString();
  await events.append(
    streamId,
    [eventToAppend(type, data, { occurredAt })],
    revision === undefined ? 'no_stream' : revision,
  );
  revisions.set(streamId, (revision ?? -1) + 1);
}

const AGENCY = 'agency-1';
const PROVIDER = 'provider-1';

async function registerWorker(workerId: string, name: string): Promise<void> {
  await append(`worker-${workerId}`, 'WorkerRegistered', {
    workerId,
    agencyId: AGENCY,
    personal: { name, idNumber: '310101199001011234', phone: '13800000000' },
  });
}

async function train(workerId: string): Promise<void> {
  const session = { workerId, sessionId: 'session-1', providerId: PROVIDER };
  const stream = `trainingrecord-${workerId}`;
  await append(stream, 'ClassHoursCredited', { ...session, hours: 8 });
  await append(stream, 'ExamScoreCredited', { ...session, score: 80, passMark: 60, passed: true });
  await append(stream, 'TrainingCompleted', { ...session, classHours: 8, examScore: 80 });
}

async function applyAndIssue(workerId: string, certificateId: string, code: string): Promise<void> {
  const stream = `certificate-${certificateId}`;
  await append(stream, 'CertificateApplied', {
    certificateId,
    workerId,
    agencyId: AGENCY,
    district: '310104',
  });
  await append(stream, 'CompanyCheckPassed', { certificateId });
  await append(stream, 'PlatformVerificationPassed', { certificateId });
  await append(stream, 'PoliceComparisonClear', { certificateId, reference: `P-${code}` });
  await append(stream, 'CertificateIssued', { certificateId, code, workerId });
}

/** Three workers: trained, issued, handed over and revoked; issued and handed over; revoked while waiting. */
async function appendCity(): Promise<void> {
  await append(`agency-${AGENCY}`, 'AgencyRegistered', {
    agencyId: AGENCY,
    name: '上海春晖养老服务有限公司',
    creditCode: '91310101MA1010000G',
    district: '310101',
  });
  await append(`trainingprovider-${PROVIDER}`, 'TrainingProviderRegistered', {
    providerId: PROVIDER,
    name: '上海闵行区社区职业技能培训学校',
    creditCode: '52310118MJ00000133',
    district: '310118',
  });
  await registerWorker('w1', '王小明');
  await registerWorker('w2', '李红');
  await registerWorker('w3', '张伟');
  await train('w1');
  await applyAndIssue('w1', 'c1', 'CODE00000001');
  await applyAndIssue('w2', 'c2', 'CODE00000002');
  await append('certificate-c3', 'CertificateApplied', {
    certificateId: 'c3',
    workerId: 'w3',
    agencyId: AGENCY,
    district: '310104',
  });
  await append('certificate-c1', 'CertificateHandedOver', { certificateId: 'c1', mode: 'individual' });
  await append('certificate-c2', 'CertificateHandedOver', { certificateId: 'c2', mode: 'collective' });
  await append('certificate-c1', 'CertificateRevoked', { certificateId: 'c1', reason: 'left the agency' });
  await append('certificate-c3', 'CertificateRevoked', { certificateId: 'c3', reason: 'withdrawn' });
}

const WITHOUT_DETAIL = PROJECTIONS.filter((projection) => projection.name !== 'certificates');

async function project(file: string, projections: typeof PROJECTIONS, batchSize: number) {
  const reads = SqliteReadStore.open(join(dir, file));
  await new ProjectionRunner(events, reads, projections, {
    checkpointName: 'codes-test',
    batchSize,
  }).catchUp();
  return reads;
}

async function collections(reads: SqliteReadStore, names: readonly string[]) {
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await reads.find(name, {})])));
}

describe('public certificates and the roster, without the certificate detail', () => {
  it('show hand-overs and revocations exactly as they do beside it', async () => {
    await appendCity();
    const alone = await project('alone.db', WITHOUT_DETAIL, 2);
    const all = await project('all.db', PROJECTIONS, 1000);
    try {
      // Not even made: a read of it would have failed the run.
      await expect(alone.count(CERTIFICATES, {})).rejects.toThrow(/never ensured/);
      expect(await all.count(CERTIFICATES, {})).toBe(3);
      const shown = [PUBLIC_CERTIFICATES, CERTIFICATE_CODES, ROSTER];
      expect(await collections(alone, shown)).toEqual(await collections(all, shown));
      expect(await alone.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, 'CODE00000001')).toMatchObject({
        status: 'revoked',
        handedOver: true,
        holder: '王*明',
        training: { completed: true, classHours: 8, provider: '上海闵行区社区职业技能培训学校' },
      });
      expect(await alone.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, 'CODE00000002')).toMatchObject({
        status: 'valid',
        handedOver: true,
      });
      expect(await alone.find(CERTIFICATE_CODES, {})).toEqual([
        { id: 'c1', code: 'CODE00000001', workerId: 'w1' },
        { id: 'c2', code: 'CODE00000002', workerId: 'w2' },
      ]);
      expect(await alone.get<RosterEntryDoc>(ROSTER, 'w1')).toMatchObject({
        certificateId: 'c1',
        certificateCode: 'CODE00000001',
        certificateStatus: 'revoked',
      });
    } finally {
      await alone.close();
      await all.close();
    }
  });

  it('find the code of a certificate issued before they last ran, from the store', async () => {
    await appendCity();
    const reads = await project('read.db', WITHOUT_DETAIL, 1000);
    try {
      await append('certificate-c2', 'CertificateRevoked', { certificateId: 'c2', reason: 'fraud' });
      // A second runner on the same file: nothing of the first one's memory, only its documents.
      await new ProjectionRunner(events, reads, WITHOUT_DETAIL, { checkpointName: 'codes-test' }).catchUp();
      expect(await reads.get<PublicCertificateDoc>(PUBLIC_CERTIFICATES, 'CODE00000002')).toMatchObject({
        status: 'revoked',
        revokedAt: expect.any(String),
      });
    } finally {
      await reads.close();
    }
  });
});
