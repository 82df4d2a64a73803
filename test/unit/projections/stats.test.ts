import type { StoredEvent } from '../../../src/application/ports/event-store';
import type { ReadStore } from '../../../src/application/ports/read-store';
import { CERTIFICATE_EVENT_TYPES } from '../../../src/domain/certificate/certificate';
import { BatchContext } from '../../../src/projections/batch-context';
import { DocumentCache } from '../../../src/projections/document-cache';
import { STATS, statsProjection } from '../../../src/projections/stats';

/** Reads that reach the store fail the test: a fresh log's counters are all answered from memory. */
const noStore = {
  get: () => Promise.reject(new Error('the store was read')),
} as unknown as ReadStore;

let position = 0;

function event(type: string, data: Record<string, unknown>, occurredAt: string): StoredEvent {
  position += 1;
  return {
    id: `e-${position}`,
    type,
    schemaVersion: 1,
    data,
    metadata: {
      occurredAt,
      actor: { id: 'op', role: 'agency_operator', agencyId: 'a-1' },
      commandId: `c-${position}`,
      correlationId: `c-${position}`,
      causationId: `c-${position}`,
    },
    streamId: `certificate-${String(data.certificateId)}`,
    revision: 0,
    position,
  };
}

const applied = (certificateId: string, at: string) =>
  event('CertificateApplied', { certificateId, workerId: 'w', agencyId: 'a-1', district: '310101' }, at);

async function project(events: StoredEvent[]): Promise<Map<string, Record<string, unknown>>> {
  const cache = new DocumentCache(100);
  cache.startEmpty();
  const context = new BatchContext(noStore, cache);
  for (const recorded of events) {
    // As the runner routes them: only the event types the projection names.
    if (!statsProjection.eventTypes.has(recorded.type)) continue;
    await statsProjection.apply(recorded, context);
  }
  const docs = new Map<string, Record<string, unknown>>();
  for (const change of context.changes()) {
    if (change.collection === STATS) docs.set(change.id, change.doc as Record<string, unknown>);
  }
  return docs;
}

describe('the stats projection', () => {
  it('is shown only the events that change a count (the checks passed are not)', () => {
    expect([...statsProjection.eventTypes].sort()).toEqual(
      [
        'CertificateApplied',
        'CertificateHandedOver',
        'CertificateIssued',
        'CertificateRevoked',
        'CompanyCheckFailed',
        'PlatformVerificationFailed',
        'PoliceRecordFound',
      ].sort(),
    );
    for (const type of statsProjection.eventTypes) expect(CERTIFICATE_EVENT_TYPES.has(type)).toBe(true);
  });

  it('moves each certificate between the counters, and undoes a revoked one’s issue and collection', async () => {
    const monday = '2026-11-30T02:00:00.000Z';
    const nextWeek = '2026-12-07T02:00:00.000Z';
    const docs = await project([
      applied('c-1', monday),
      applied('c-2', monday),
      applied('c-3', monday),
      applied('c-4', monday),
      event('CompanyCheckPassed', { certificateId: 'c-1' }, monday),
      event('CertificateIssued', { certificateId: 'c-1', code: 'X', workerId: 'w' }, monday),
      event('CertificateHandedOver', { certificateId: 'c-1', mode: 'collective' }, monday),
      event('CertificateIssued', { certificateId: 'c-2', code: 'Y', workerId: 'w' }, monday),
      event('CertificateHandedOver', { certificateId: 'c-2', mode: 'individual' }, monday),
      event('PoliceRecordFound', { certificateId: 'c-3' }, monday),
      // A week later: c-1 revoked after its collective hand-over, c-4 while still pending.
      event('CertificateRevoked', { certificateId: 'c-1', reason: '投诉属实' }, nextWeek),
      event('CertificateRevoked', { certificateId: 'c-4', reason: '离职' }, nextWeek),
    ]);
    const counters = {
      applications: 4,
      pendingReview: 0,
      rejected: 1,
      issued: 1,
      collected: 1,
      collectedCollectively: 0,
      revoked: 2,
    };
    expect(docs.get('total')).toEqual({ id: 'total', scope: 'total', key: 'total', ...counters });
    expect(docs.get('district:310101')).toEqual({
      id: 'district:310101',
      scope: 'district',
      key: '310101',
      ...counters,
    });
    expect(docs.get('agency:a-1')).toEqual({ id: 'agency:a-1', scope: 'agency', key: 'a-1', ...counters });
    expect(docs.get('week:2026-W49')).toEqual({
      id: 'week:2026-W49',
      scope: 'week',
      key: '2026-W49',
      startsOn: '2026-11-30',
      applications: 4,
      rejected: 1,
      issued: 2,
      collected: 2,
      collectedCollectively: 1,
      revoked: 0,
      pendingReviewChange: 1,
    });
    expect(docs.get('week:2026-W50')).toEqual({
      id: 'week:2026-W50',
      scope: 'week',
      key: '2026-W50',
      startsOn: '2026-12-07',
      applications: 0,
      rejected: 0,
      issued: 0,
      collected: 0,
      collectedCollectively: 0,
      revoked: 2,
      pendingReviewChange: -1,
    });
  });

  it('leaves the documents it counted on as they were (each count is a new document)', async () => {
    const cache = new DocumentCache(100);
    cache.startEmpty();
    const context = new BatchContext(noStore, cache);
    await statsProjection.apply(applied('c-9', '2026-11-30T02:00:00.000Z'), context);
    const before = context.known<Record<string, unknown>>(STATS, 'total');
    const copy = structuredClone(before);
    await statsProjection.apply(applied('c-10', '2026-11-30T03:00:00.000Z'), context);
    expect(before).toEqual(copy);
    expect(context.known<Record<string, unknown>>(STATS, 'total')).toMatchObject({ applications: 2 });
  });
});
