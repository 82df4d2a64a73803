import type { StoredEvent } from '../application/ports/event-store';
import type { RecordedCertificateEvent } from './certificate-events';
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

/** One counter, and how much it changes. */
type Change<K extends string> = readonly [field: K, by: number];
type Changes<K extends string> = readonly Change<K>[];

/**
 * What an event does to the counts: where the certificate counts next, the running counters' changes
 * and the week's. The same for every event of a kind but a revocation, so counting an event makes
 * none of them (at Shanghai scale ~440,000 events are counted, four documents each).
 */
interface Effect {
  readonly move: (tracked: TrackedCertificate) => TrackedCertificate;
  readonly counters: Changes<keyof Counters>;
  readonly week: Changes<keyof WeekFlows>;
}

const APPLIED: Effect = {
  move: (tracked) => tracked,
  counters: [
    ['applications', 1],
    ['pendingReview', 1],
  ],
  week: [
    ['applications', 1],
    ['pendingReviewChange', 1],
  ],
};

const REJECTED: Effect = {
  move: (tracked) => ({ ...tracked, bucket: 'rejected' }),
  counters: [
    ['pendingReview', -1],
    ['rejected', 1],
  ],
  week: [
    ['rejected', 1],
    ['pendingReviewChange', -1],
  ],
};

const ISSUED: Effect = {
  move: (tracked) => ({ ...tracked, bucket: 'issued' }),
  counters: [
    ['pendingReview', -1],
    ['issued', 1],
  ],
  week: [
    ['issued', 1],
    ['pendingReviewChange', -1],
  ],
};

const HANDED_OVER: Effect = {
  move: (tracked) => ({ ...tracked, collected: 'individual' }),
  counters: [['collected', 1]],
  week: [['collected', 1]],
};

const HANDED_OVER_COLLECTIVELY: Effect = {
  move: (tracked) => ({ ...tracked, collected: 'collective' }),
  counters: [
    ['collected', 1],
    ['collectedCollectively', 1],
  ],
  week: [
    ['collected', 1],
    ['collectedCollectively', 1],
  ],
};

/** Revoked certificates leave the issued and collected counts: those count what is valid. */
function revoked(tracked: TrackedCertificate): Effect {
  const counters: Change<keyof Counters>[] = [['revoked', 1]];
  if (tracked.bucket !== 'revoked') counters.push([tracked.bucket, -1]);
  if (tracked.collected) counters.push(['collected', -1]);
  if (tracked.collected === 'collective') counters.push(['collectedCollectively', -1]);
  const week: Change<keyof WeekFlows>[] = [['revoked', 1]];
  if (tracked.bucket === 'pendingReview') week.push(['pendingReviewChange', -1]);
  return {
    move: (before) => ({ ...before, bucket: 'revoked', collected: null }),
    counters,
    week,
  };
}

/** What the event does to the counts; undefined for events that count nowhere. */
function effectOf(event: RecordedCertificateEvent, tracked: TrackedCertificate): Effect | undefined {
  switch (event.type) {
    case 'CertificateApplied':
      return APPLIED;
    case 'CompanyCheckFailed':
    case 'PlatformVerificationFailed':
    case 'PoliceRecordFound':
      return REJECTED;
    case 'CertificateIssued':
      return ISSUED;
    case 'CertificateHandedOver':
      return event.data.mode === 'collective' ? HANDED_OVER_COLLECTIVELY : HANDED_OVER;
    case 'CertificateRevoked':
      return revoked(tracked);
    default:
      return undefined;
  }
}

/**
 * The only events that change a count. The checks passed (~490,000 at Shanghai scale) are not shown
 * to the projection: each cost it a look-up of its certificate.
 */
const COUNTED_EVENT_TYPES = [
  'CertificateApplied',
  'CompanyCheckFailed',
  'PlatformVerificationFailed',
  'PoliceRecordFound',
  'CertificateIssued',
  'CertificateHandedOver',
  'CertificateRevoked',
] as const satisfies readonly RecordedCertificateEvent['type'][];

/** A copy of the document with the changes added. */
function counted<D extends { [key: string]: unknown }>(doc: D, changes: Changes<string>): D {
  const next: { [key: string]: unknown } = { ...doc };
  for (let i = 0; i < changes.length; i++) {
    const [field, by] = changes[i]!;
    next[field] = (next[field] as number) + by;
  }
  return next as D;
}

/**
 * Counter ids by district, agency or week, made once each rather than for every event (a new string
 * is also hashed anew at each look-up): there are only as many as districts, agencies and weeks.
 */
class CounterIds {
  private readonly ids = new Map<string, string>();

  constructor(private readonly scope: string) {}

  of(key: string): string {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = `${this.scope}:${key}`));
    return id;
  }
}

const districtIds = new CounterIds('district');
const agencyIds = new CounterIds('agency');
const weekIds = new CounterIds('week');

function add(
  context: ProjectionContext,
  id: string,
  scope: StatsDoc['scope'],
  key: string,
  changes: Changes<keyof Counters>,
): Promise<void> | void {
  return withDocument<StatsDoc, void>(context, STATS, id, (doc) => {
    context.put(STATS, id, counted(doc ?? { id, scope, key, ...emptyCounters() }, changes));
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
  const effect = effectOf(event, tracked);
  if (effect === undefined) return;
  context.put(TRACKED, tracked.id, effect.move(tracked));
  const { counters } = effect;
  return allDone([
    add(context, 'total', 'total', 'total', counters),
    add(context, districtIds.of(tracked.district), 'district', tracked.district, counters),
    add(context, agencyIds.of(tracked.agencyId), 'agency', tracked.agencyId, counters),
    addWeek(context, event, effect.week),
  ]);
}

export const statsProjection: Projection = {
  name: 'stats',
  collections: [
    { name: STATS, indexes: ['scope'] },
    { name: TRACKED, indexes: [] },
  ],
  eventTypes: new Set(COUNTED_EVENT_TYPES),

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

function addWeek(
  context: ProjectionContext,
  event: RecordedCertificateEvent,
  changes: Changes<keyof WeekFlows>,
): Promise<void> | void {
  const { week, startsOn } = isoWeekOf(event.metadata.occurredAt);
  const id = weekIds.of(week);
  return withDocument<WeekStatsDoc, void>(context, STATS, id, (doc) => {
    const before = doc ?? { id, scope: 'week' as const, key: week, startsOn, ...emptyWeekFlows() };
    context.put(STATS, id, counted(before, changes));
  });
}
