import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '../../src/infrastructure/sqlite/sqlite-event-store';
import { SqliteReadStore } from '../../src/infrastructure/sqlite/sqlite-read-store';
import {
  CERTIFICATES,
  type CertificateDoc,
  certificatesProjection,
} from '../../src/projections/certificates';
import { ProjectionRunner } from '../../src/projections/projection-runner';
import { QUEUE, type QueueEntryDoc, queuesProjection } from '../../src/projections/queues';
import { eventToAppend } from '../support/events';

/**
 * The queues fold their own entries (so a rebuild runs them apart from the certificates): these
 * tests hold them to what the certificate detail says, event by event.
 */
let dir: string;
let events: SqliteEventStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'queues-'));
  events = SqliteEventStore.open(join(dir, 'events.db'));
});

afterEach(async () => {
  await events.close();
  rmSync(dir, { recursive: true, force: true });
});

type Step = readonly [type: string, data: Record<string, unknown>];

const TO_PLATFORM: Step[] = [['CompanyCheckPassed', {}]];
const TO_POLICE: Step[] = [...TO_PLATFORM, ['PlatformVerificationPassed', {}]];
const toIssue = (reference: string): Step[] => [...TO_POLICE, ['PoliceComparisonClear', { reference }]];
const issued = (name: string, code: string): Step[] => [
  ...toIssue(`P-${name}`),
  ['CertificateIssued', { code, workerId: `worker-${name}` }],
];

/** Each certificate's journey: the events after `CertificateApplied`, in order. */
const JOURNEYS: Record<string, readonly Step[]> = {
  waitsForCompany: [],
  waitsForPlatform: TO_PLATFORM,
  waitsForPolice: TO_POLICE,
  waitsForIssue: toIssue('P-1'),
  issuedAndHandedOver: [
    ...issued('issuedAndHandedOver', 'CODE00000001'),
    ['CertificateHandedOver', { mode: 'individual' }],
  ],
  issuedThenRevoked: [
    ...issued('issuedThenRevoked', 'CODE00000002'),
    ['CertificateRevoked', { reason: 'fraud' }],
  ],
  failedAtCompany: [['CompanyCheckFailed', { reason: 'no contract' }]],
  failedAtPlatform: [...TO_PLATFORM, ['PlatformVerificationFailed', { reason: 'ID mismatch' }]],
  foundByPolice: [...TO_POLICE, ['PoliceRecordFound', { reference: 'P-4' }]],
  withdrawnWhileWaiting: [...TO_PLATFORM, ['CertificateRevoked', { reason: 'withdrawn' }]],
};

/** The journeys interleaved one step at a time, as a city's are, each at its own minute. */
async function appendJourneys(): Promise<void> {
  const revisions = new Map<string, number>();
  const steps = Object.entries(JOURNEYS).map(([name, rest]) => [
    [
      'CertificateApplied',
      { workerId: `worker-${name}`, agencyId: `agency-${name.length % 3}`, district: '310104' },
    ] as const,
    ...rest,
  ]);
  let minute = 0;
  for (let step = 0; steps.some((journey) => journey.length > step); step++) {
    for (const [index, journey] of steps.entries()) {
      const next = journey[step];
      if (!next) continue;
      const certificateId = `certificate-${Object.keys(JOURNEYS)[index]}`;
      const revision = revisions.get(certificateId);
      const occurredAt = new Date(Date.UTC(2026, 0, 1, 8, minute++)).toISOString();
      const event = eventToAppend(next[0], { certificateId, ...next[1] }, { occurredAt });
      await events.append(certificateId, [event], revision === undefined ? 'no_stream' : revision);
      revisions.set(certificateId, (revision ?? -1) + 1);
    }
  }
}

async function project(file: string, projections: Parameters<typeof runnerOf>[2], batchSize: number) {
  const reads = SqliteReadStore.open(join(dir, file));
  await runnerOf(events, reads, projections, batchSize).catchUp();
  return reads;
}

function runnerOf(
  eventStore: SqliteEventStore,
  reads: SqliteReadStore,
  projections: ConstructorParameters<typeof ProjectionRunner>[2],
  batchSize: number,
) {
  return new ProjectionRunner(eventStore, reads, projections, { checkpointName: 'queues-test', batchSize });
}

describe('the queues, from their own entries only', () => {
  it('hold exactly the applications that the certificate detail shows waiting, at its gate', async () => {
    await appendJourneys();
    // The queues alone, in batches of three: entries read back from the store between batches.
    const alone = await project('alone.db', [queuesProjection], 3);
    const withCertificates = await project('with.db', [certificatesProjection], 1000);
    try {
      const certificates = await withCertificates.find<CertificateDoc>(CERTIFICATES, {});
      expect(certificates).toHaveLength(Object.keys(JOURNEYS).length);
      const entries = await alone.find<QueueEntryDoc>(QUEUE, {});
      const waiting = certificates.filter((certificate) => certificate.awaiting !== null);
      expect(entries.map((entry) => entry.id).sort()).toEqual(waiting.map((c) => c.id).sort());
      for (const certificate of waiting) {
        expect(await alone.get<QueueEntryDoc>(QUEUE, certificate.id)).toEqual({
          id: certificate.id,
          gate: certificate.awaiting,
          agencyId: certificate.agencyId,
          district: certificate.district,
          workerId: certificate.workerId,
          // Waiting since the event that brought it to this gate.
          since: certificate.updatedAt,
          position: certificate.position,
        });
      }
      expect(Object.fromEntries(entries.map((entry) => [entry.id, entry.gate]))).toEqual({
        'certificate-waitsForCompany': 'company-check',
        'certificate-waitsForPlatform': 'platform-verification',
        'certificate-waitsForPolice': 'police-check',
        'certificate-waitsForIssue': 'issue',
      });
    } finally {
      await alone.close();
      await withCertificates.close();
    }
  });

  it('go on from entries an earlier run wrote, and leave certificates past their gates alone', async () => {
    await appendJourneys();
    const reads = await project('read.db', [queuesProjection], 1000);
    try {
      const before = await reads.get<QueueEntryDoc>(QUEUE, 'certificate-waitsForIssue');
      expect(before?.gate).toBe('issue');
      const issued = eventToAppend('CertificateIssued', {
        certificateId: 'certificate-waitsForIssue',
        code: 'CODE00000003',
        workerId: 'worker-waitsForIssue',
      });
      const handedOver = eventToAppend('CertificateHandedOver', {
        certificateId: 'certificate-failedAtCompany',
        mode: 'individual',
      });
      const passed = eventToAppend('CompanyCheckPassed', { certificateId: 'certificate-waitsForCompany' });
      await events.append('certificate-waitsForIssue', [issued], 3);
      await events.append('certificate-failedAtCompany', [handedOver], 1);
      await events.append('certificate-waitsForCompany', [passed], 0);
      // A second runner on the same file: nothing of the first one's memory, only its entries.
      await runnerOf(events, reads, [queuesProjection], 1000).catchUp();
      expect(await reads.get(QUEUE, 'certificate-waitsForIssue')).toBeNull();
      expect(await reads.get(QUEUE, 'certificate-failedAtCompany')).toBeNull();
      const moved = await reads.get<QueueEntryDoc>(QUEUE, 'certificate-waitsForCompany');
      expect(moved).toMatchObject({ gate: 'platform-verification', position: await events.headPosition() });
      // Waiting now: company → platform (moved), platform, police; the issued one left.
      expect(await reads.count(QUEUE, {})).toBe(3);
    } finally {
      await reads.close();
    }
  });
});
