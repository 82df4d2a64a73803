import type { StoredEvent } from '../application/ports/event-store';
import type { RecordedCertificateEvent } from './certificate-events';
import { certificateEventTypes } from './certificate-events';
import { isoWeekOf } from '../domain/shanghai-time';
import { allDone, type Projection, type ProjectionContext, withDocument } from './projection';

/** The categories of the city's own reports. `applications` = pending + rejected + issued + revoked. */
export interface Counters {
  applications: number;
  pendingReview: number;
  rejected: number;
  issued: number;
  collected: number;
  collectedCollectively: number;
  revoked: number;
}

export interface StatsDoc extends Counters {
  [key: string]: unknown;
  id: string;
  scope: 'total' | 'district' | 'agency';
  key: string;
}

/** Where one certificate currently counts; the stats projection's own memory of it. */
interface TrackedCertificate {
  [key: string]: unknown;
  id: string;
  agencyId: string;
  district: string;
  bucket: 'pendingReview' | 'rejected' | 'issued' | 'revoked';
  collected: 'individual' | 'collective' | null;
}

/**
 * What happened in one ISO week (Monday to Sunday, Shanghai time): events counted in the week they
 * occurred, plus the net change of the pending-review backlog (summed over the weeks, it gives the
 * backlog at each week's end).
 */
export interface WeekFlows {
  applications: number;
  rejected: number;
  issued: number;
  collected: number;
  collectedCollectively: number;
  revoked: number;
  pendingReviewChange: number;
}

export interface WeekStatsDoc extends WeekFlows {
  [key: string]: unknown;
  id: string;
  scope: 'week';
  /** ISO week, e.g. '2026-W48'; sorts in time order. */
  key: string;
  startsOn: string;
}

export const STATS = 'stats';
const TRACKED = 'stats_certificates';

export const emptyCounters = (): Counters => ({
  applications: 0,
  pendingReview: 0,
  rejected: 0,
  issued: 0,
  collected: 0,
  collectedCollectively: 0,
  revoked: 0,
});

type Delta = Partial<Counters>;

function collectedDelta(mode: TrackedCertificate['collected'], sign: 1 | -1): Delta {
  if (!mode) return {};
  return mode === 'collective' ? { collected: sign, collectedCollectively: sign } : { collected: sign };
}

/** How an event moves one certificate between the counters. */
function transition(
  tracked: TrackedCertificate,
  event: RecordedCertificateEvent,
): [TrackedCertificate, Delta] {
  switch (event.type) {
    case 'CertificateApplied':
      return [tracked, { applications: 1, pendingReview: 1 }];
    case 'CompanyCheckFailed':
    case 'PlatformVerificationFailed':
    case 'PoliceRecordFound':
      return [
        { ...tracked, bucket: 'rejected' },
        { pendingReview: -1, rejected: 1 },
      ];
    case 'CertificateIssued':
      return [
        { ...tracked, bucket: 'issued' },
        { pendingReview: -1, issued: 1 },
      ];
    case 'CertificateHandedOver':
      return [{ ...tracked, collected: event.data.mode }, collectedDelta(event.data.mode, 1)];
    case 'CertificateRevoked':
      // Revoked certificates leave the issued and collected counts: those count what is valid.
      return [
        { ...tracked, bucket: 'revoked', collected: null },
        { [tracked.bucket]: -1, revoked: 1, ...collectedDelta(tracked.collected, -1) },
      ];
    default:
      return [tracked, {}];
  }
}

function add(
  context: ProjectionContext,
  id: string,
  scope: StatsDoc['scope'],
  key: string,
  delta: Delta,
): Promise<void> | void {
  return withDocument<StatsDoc, void>(context, STATS, id, (doc) => {
    const next: StatsDoc = { ...(doc ?? { id, scope, key, ...emptyCounters() }) };
    for (const [field, change] of Object.entries(delta) as [keyof Counters, number][]) next[field] += change;
    context.put(STATS, id, next);
  });
}

/**
 * Moves the certificate between the counters. Each counter is a document of its own (the city's,
 * the district's, the agency's, the week's), so they are updated side by side.
 */
function count(
  context: ProjectionContext,
  event: RecordedCertificateEvent,
  tracked: TrackedCertificate,
): Promise<void> | void {
  const [next, delta] = transition(tracked, event);
  if (Object.keys(delta).length === 0) return;
  context.put(TRACKED, tracked.id, next);
  return allDone([
    add(context, 'total', 'total', 'total', delta),
    add(context, `district:${tracked.district}`, 'district', tracked.district, delta),
    add(context, `agency:${tracked.agencyId}`, 'agency', tracked.agencyId, delta),
    addWeek(context, event, delta),
  ]);
}

export const statsProjection: Projection = {
  name: 'stats',
  collections: [
    { name: STATS, indexes: ['scope'] },
    { name: TRACKED, indexes: [] },
  ],
  eventTypes: new Set(certificateEventTypes),

  apply(stored: StoredEvent, context: ProjectionContext): Promise<void> | void {
    const event = stored as RecordedCertificateEvent;
    const id = event.data.certificateId;
    if (event.type === 'CertificateApplied') {
      const { agencyId, district } = event.data;
      return count(context, event, { id, agencyId, district, bucket: 'pendingReview', collected: null });
    }
    return withDocument<TrackedCertificate, void>(context, TRACKED, id, (tracked) =>
      tracked ? count(context, event, tracked) : undefined,
    );
  },
};

export const emptyWeekFlows = (): WeekFlows => ({
  applications: 0,
  rejected: 0,
  issued: 0,
  collected: 0,
  collectedCollectively: 0,
  revoked: 0,
  pendingReviewChange: 0,
});

/** The week's flows an event adds: it counts once, in the category it enters. */
function flowsOf(event: RecordedCertificateEvent, delta: Delta): Partial<WeekFlows> {
  const pending = delta.pendingReview ? { pendingReviewChange: delta.pendingReview } : {};
  switch (event.type) {
    case 'CertificateApplied':
      return { applications: 1, ...pending };
    case 'CompanyCheckFailed':
    case 'PlatformVerificationFailed':
    case 'PoliceRecordFound':
      return { rejected: 1, ...pending };
    case 'CertificateIssued':
      return { issued: 1, ...pending };
    case 'CertificateHandedOver':
      return event.data.mode === 'collective' ? { collected: 1, collectedCollectively: 1 } : { collected: 1 };
    case 'CertificateRevoked':
      return { revoked: 1, ...pending };
    default:
      return {};
  }
}

function addWeek(
  context: ProjectionContext,
  event: RecordedCertificateEvent,
  delta: Delta,
): Promise<void> | void {
  const flows = flowsOf(event, delta);
  if (Object.keys(flows).length === 0) return;
  const { week, startsOn } = isoWeekOf(event.metadata.occurredAt);
  const id = `week:${week}`;
  return withDocument<WeekStatsDoc, void>(context, STATS, id, (doc) => {
    const next: WeekStatsDoc = {
      ...(doc ?? { id, scope: 'week' as const, key: week, startsOn, ...emptyWeekFlows() }),
    };
    for (const [field, change] of Object.entries(flows) as [keyof WeekFlows, number][]) next[field] += change;
    context.put(STATS, id, next);
  });
}
