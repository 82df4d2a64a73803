import type { Clock } from '../../src/application/ports/clock';
import type { StoredEvent } from '../../src/application/ports/event-store';
import { rebuildReadModels } from '../../src/infrastructure/rebuild';
import { openEventStore } from '../../src/infrastructure/storage';
import { agencyWithStaff, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, temporaryDataDir, type RunningRegistry } from '../support/registry';

/** A clock the test moves forward, so the log spans several weeks. */
class TestClock implements Clock {
  constructor(private instant: number) {}
  now(): Date {
    return new Date(this.instant);
  }
  advance(hours: number): void {
    this.instant += hours * 3_600_000;
  }
}

// ---- Counting directly over the events, independently of the projections ----------------------------

const DAY = 86_400_000;
const shanghaiDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' });

/** Monday (Shanghai calendar date) of the week an instant falls in, and its ISO week name. */
function weekOf(instant: string): { startsOn: string; week: string } {
  const date = Date.parse(`${shanghaiDay.format(new Date(instant))}T00:00:00Z`);
  const monday = date - ((new Date(date).getUTCDay() + 6) % 7) * DAY;
  const thursday = new Date(monday + 3 * DAY);
  const year = thursday.getUTCFullYear();
  const dayOfYear = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / DAY);
  const week = Math.floor(dayOfYear / 7) + 1;
  return {
    startsOn: new Date(monday).toISOString().slice(0, 10),
    week: `${year}-W${String(week).padStart(2, '0')}`,
  };
}

type Bucket = 'pendingReview' | 'rejected' | 'issued' | 'revoked';
interface Tracked {
  agencyId: string;
  district: string;
  bucket: Bucket;
  collected: 'individual' | 'collective' | null;
}
const FLOWS = [
  'applications',
  'rejected',
  'issued',
  'collected',
  'collectedCollectively',
  'revoked',
] as const;
type Flows = Record<(typeof FLOWS)[number], number>;
const noFlows = (): Flows => Object.fromEntries(FLOWS.map((flow) => [flow, 0])) as Flows;

function countersOver(certificates: Iterable<Tracked>) {
  const counters = {
    applications: 0,
    pendingReview: 0,
    rejected: 0,
    issued: 0,
    collected: 0,
    collectedCollectively: 0,
    revoked: 0,
  };
  for (const certificate of certificates) {
    counters.applications++;
    counters[certificate.bucket]++;
    if (certificate.bucket === 'issued' && certificate.collected) {
      counters.collected++;
      if (certificate.collected === 'collective') counters.collectedCollectively++;
    }
  }
  return counters;
}

function directCount(events: readonly StoredEvent[]) {
  const certificates = new Map<string, Tracked>();
  const flows = new Map<string, Flows>();
  const backlogAtWeekEnd = new Map<string, number>();
  const pending = () => [...certificates.values()].filter((c) => c.bucket === 'pendingReview').length;
  let currentWeek: string | null = null;
  for (const event of events) {
    const data = event.data as Record<string, string>;
    if (!('certificateId' in data) || !event.streamId.startsWith('certificate-')) continue;
    const { startsOn } = weekOf(event.metadata.occurredAt);
    if (currentWeek !== null && startsOn !== currentWeek) backlogAtWeekEnd.set(currentWeek, pending());
    currentWeek = startsOn;
    const week = flows.get(startsOn) ?? noFlows();
    flows.set(startsOn, week);
    const certificate = certificates.get(data.certificateId!);
    switch (event.type) {
      case 'CertificateApplied':
        certificates.set(data.certificateId!, {
          agencyId: data.agencyId!,
          district: data.district!,
          bucket: 'pendingReview',
          collected: null,
        });
        week.applications++;
        break;
      case 'CompanyCheckFailed':
      case 'PlatformVerificationFailed':
      case 'PoliceRecordFound':
        certificate!.bucket = 'rejected';
        week.rejected++;
        break;
      case 'CertificateIssued':
        certificate!.bucket = 'issued';
        week.issued++;
        break;
      case 'CertificateHandedOver':
        certificate!.collected = data.mode as 'individual' | 'collective';
        week.collected++;
        if (data.mode === 'collective') week.collectedCollectively++;
        break;
      case 'CertificateRevoked':
        certificate!.bucket = 'revoked';
        week.revoked++;
        break;
      default:
        break;
    }
  }
  if (currentWeek !== null) backlogAtWeekEnd.set(currentWeek, pending());

  const all = [...certificates.values()];
  const starts = [...flows.keys()].sort();
  const weeks = [];
  let backlog = 0;
  for (
    let day = Date.parse(`${starts[0]}T00:00:00Z`);
    day <= Date.parse(`${starts.at(-1)}T00:00:00Z`);
    day += 7 * DAY
  ) {
    const startsOn = new Date(day).toISOString().slice(0, 10);
    backlog = backlogAtWeekEnd.get(startsOn) ?? backlog;
    weeks.push({
      week: weekOf(`${startsOn}T04:00:00Z`).week,
      startsOn,
      ...(flows.get(startsOn) ?? noFlows()),
      pendingReview: backlog,
    });
  }
  return {
    total: countersOver(all),
    byDistrict: (district: string) => countersOver(all.filter((c) => c.district === district)),
    byAgency: (agencyId: string) => countersOver(all.filter((c) => c.agencyId === agencyId)),
    weeks,
  };
}

// ---- The test ---------------------------------------------------------------------------------------

describe('statistics: every figure equals a count made directly over the events, live and rebuilt from 0', () => {
  const dataDir = temporaryDataDir();
  const clock = new TestClock(Date.parse('2026-09-28T01:00:00.000Z')); // Monday 09:00 in Shanghai
  let registry: RunningRegistry;
  let agencies: Scenario[];
  let regulator: string;

  beforeAll(async () => {
    registry = await startRegistry(dataDir, {}, clock);
    agencies = [
      await agencyWithStaff(registry, '310104'),
      await agencyWithStaff(registry, '310115'),
      await agencyWithStaff(registry, '310115'),
      await agencyWithStaff(registry, '310151'),
    ];
    regulator = await registry.token('regulator');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(dataDir);
  });

  async function post(path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
    const answer = await registry.request('POST', `/api/v1${path}`, { token, body, headers });
    if (answer.status !== 200 && answer.status !== 201) {
      throw new Error(`${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  /** Where each application ends: every category of the city's reports, and some that move later. */
  const PATHS = [
    'awaiting_company_check',
    'rejected_company',
    'rejected_platform',
    'rejected_police_batch',
    'awaiting_issue_batch',
    'issued',
    'collected_individually',
    'collected_collectively',
    'revoked_after_collection',
    'revoked_while_pending',
  ] as const;

  it('builds a varied log over several weeks', async () => {
    const collective: Record<string, string[]> = {};
    const policeRows: string[] = [];
    const later: (() => Promise<void>)[] = [];
    for (let i = 0; i < 30; i++) {
      const agency = agencies[i % agencies.length]!;
      const path = PATHS[i % PATHS.length]!;
      clock.advance(7 + (i % 4) * 11);
      if (i === 15) clock.advance(16 * 24); // a quiet fortnight: weeks without events still appear
      const workerId = await registeredWorker(registry, agency);
      const { id } = await post('/certificates', agency.operator, { workerId });
      if (path === 'awaiting_company_check') continue;
      if (path === 'revoked_while_pending') {
        later.push(
          async () => void (await post(`/certificates/${id}/revoke`, agency.operator, { reason: '离职' })),
        );
        continue;
      }
      clock.advance(20);
      if (path === 'rejected_company') {
        await post(`/certificates/${id}/company-check`, agency.operator, {
          outcome: 'failed',
          note: '未在职',
        });
        continue;
      }
      await post(`/certificates/${id}/company-check`, agency.operator, { outcome: 'passed' });
      clock.advance(30);
      if (path === 'rejected_platform') {
        await post(`/certificates/${id}/platform-verification`, agency.reviewer, {
          outcome: 'failed',
          note: '照片不符',
        });
        continue;
      }
      await post(`/certificates/${id}/platform-verification`, agency.reviewer, { outcome: 'passed' });
      if (path === 'rejected_police_batch') {
        policeRows.push(`${id},record_found,PSB-${i}`);
        continue;
      }
      if (path === 'awaiting_issue_batch') {
        policeRows.push(`${id},clear,PSB-${i}`);
        continue;
      }
      await post(`/certificates/${id}/police-check`, agency.police, {
        outcome: 'clear',
        reference: `PSB-${i}`,
      });
      clock.advance(40);
      await post(`/certificates/${id}/issue`, agency.reviewer);
      if (path === 'issued') continue;
      clock.advance(50);
      if (path === 'collected_collectively') {
        (collective[agency.agencyId] ??= []).push(id);
        continue;
      }
      await post(`/certificates/${id}/hand-over`, agency.operator, { mode: 'individual' });
      if (path === 'revoked_after_collection') {
        later.push(
          async () => void (await post(`/certificates/${id}/revoke`, regulator, { reason: '投诉属实' })),
        );
      }
    }
    clock.advance(24 * 5);
    const police = agencies[0]!.police;
    const batch = await post(
      '/police-checks/batch',
      police,
      `certificateId,outcome,reference\r\n${policeRows.join('\r\n')}\r\n`,
      {
        'content-type': 'text/csv',
      },
    );
    expect(batch.summary).toMatchObject({ refused: 0, applied: policeRows.length });
    clock.advance(24 * 3);
    for (const agency of agencies) {
      const ids = collective[agency.agencyId];
      if (!ids) continue;
      const handed = await post('/certificates/hand-over-batch', agency.operator, {
        mode: 'collective',
        batchRef: `BATCH-${agency.agencyId.slice(0, 8)}`,
        certificateIds: ids,
      });
      expect(handed.summary).toMatchObject({ refused: 0, applied: ids.length });
    }
    for (const step of later) {
      clock.advance(30);
      await step();
    }
  });

  async function expectStatsToMatchEvents(): Promise<void> {
    const store = openEventStore(dataDir);
    const events = await store.readAll(0, 1_000_000);
    await store.close();
    const head = events.at(-1)!.position;
    const direct = directCount(events);
    const get = (query: string) =>
      registry.request('GET', `/api/v1/stats?${query}&minPosition=${head}`, { token: regulator });

    const byDistrict = await get('groupBy=district');
    expect(byDistrict.status).toBe(200);
    expect(byDistrict.body.total).toEqual(direct.total);
    expect(byDistrict.body.groups).toHaveLength(16);
    for (const group of byDistrict.body.groups as { district: string }[]) {
      expect({ district: group.district, ...direct.byDistrict(group.district) }).toEqual(
        expect.objectContaining(Object.fromEntries(Object.entries(group).filter(([key]) => key !== 'name'))),
      );
    }

    const byAgency = await get('groupBy=agency');
    expect(byAgency.body.groups).toHaveLength(agencies.length);
    for (const group of byAgency.body.groups as { agencyId: string }[]) {
      const { name: _name, district: _district, agencyId, ...counters } = group as Record<string, unknown>;
      expect({ agencyId, ...counters }).toEqual({ agencyId, ...direct.byAgency(agencyId as string) });
    }

    const weekly = await get('series=weekly');
    expect(weekly.body.total).toEqual(direct.total);
    expect(weekly.body.series).toEqual({ interval: 'week', timeZone: 'Asia/Shanghai', weeks: direct.weeks });
  }

  it('answers every category — total, by district, by agency and weekly — as counted over the events', async () => {
    const direct = directCount(
      await (async () => {
        const store = openEventStore(dataDir);
        const events = await store.readAll(0, 1_000_000);
        await store.close();
        return events;
      })(),
    );
    // The log really is varied: every category is non-zero, and the weeks include empty ones.
    for (const value of Object.values(direct.total)) expect(value).toBeGreaterThan(0);
    expect(direct.weeks.length).toBeGreaterThanOrEqual(6);
    expect(direct.weeks.some((week) => week.applications === 0)).toBe(true);
    await expectStatsToMatchEvents();
  });

  it('gives the same figures after the read models are rebuilt from position 0', async () => {
    await registry.close();
    const report = await rebuildReadModels(dataDir, { swap: true });
    expect(report.position).toBeGreaterThan(0);
    registry = await startRegistry(dataDir, {}, clock);
    await expectStatsToMatchEvents();
  });

  it('refuses an unknown series (400 naming it)', async () => {
    const answer = await registry.request('GET', '/api/v1/stats?series=daily', { token: regulator });
    expect(answer.status).toBe(400);
    expect(answer.body.field).toBe('series');
  });
});
