import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { SHANGHAI_DISTRICTS } from '../../domain/agency/district';
import { AGENCIES, type AgencyDoc } from '../../projections/agencies';
import { nextWeekStart, isoWeekOfDate } from '../../domain/shanghai-time';
import {
  STATS,
  emptyCounters,
  emptyWeekFlows,
  type Counters,
  type StatsDoc,
  type WeekFlows,
  type WeekStatsDoc,
} from '../../projections/stats';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export class GetStatsQuery {
  constructor(
    readonly groupBy?: 'district' | 'agency',
    readonly series?: 'weekly',
  ) {}
}

function countersOf(doc: StatsDoc | null | undefined): Counters {
  const counters = emptyCounters();
  if (doc) for (const field of Object.keys(counters) as (keyof Counters)[]) counters[field] = doc[field];
  return counters;
}

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ groupBy, series }: GetStatsQuery) {
    const total = countersOf(await this.readStore.get<StatsDoc>(STATS, 'total'));
    const withSeries = series === 'weekly' ? { series: await this.weekly() } : {};
    return { total, ...withSeries, ...(groupBy ? await this.groups(groupBy) : {}) };
  }

  /**
   * Every ISO week from the first with activity to the last, gaps filled with zeros so charts keep
   * their axis. Flows count events in the week they occurred; `pendingReview` is the backlog at the
   * week's end.
   */
  private async weekly() {
    const docs = await this.readStore.find<WeekStatsDoc>(STATS, { scope: 'week' }, { orderBy: 'key' });
    const byStart = new Map(docs.map((doc) => [doc.startsOn, doc]));
    const weeks = [];
    let pendingReview = 0;
    if (docs.length > 0) {
      const lastStart = docs[docs.length - 1]!.startsOn;
      for (let startsOn = docs[0]!.startsOn; startsOn <= lastStart; startsOn = nextWeekStart(startsOn)) {
        const { pendingReviewChange, ...flows } = weekFlowsOf(byStart.get(startsOn));
        pendingReview += pendingReviewChange;
        weeks.push({ week: isoWeekOfDate(startsOn).week, startsOn, ...flows, pendingReview });
      }
    }
    return { interval: 'week' as const, timeZone: 'Asia/Shanghai', weeks };
  }

  private async groups(groupBy: 'district' | 'agency') {
    const docs = await this.readStore.find<StatsDoc>(STATS, { scope: groupBy });
    const byKey = new Map(docs.map((doc) => [doc.key, doc]));
    if (groupBy === 'district') {
      // All 16 districts, even those with nothing yet, so charts keep their axis.
      const groups = SHANGHAI_DISTRICTS.map((district) => ({
        district: district.code,
        name: district.name,
        ...countersOf(byKey.get(district.code)),
      }));
      return { groupBy, groups };
    }
    const agencies = await this.readStore.find<AgencyDoc>(AGENCIES, {});
    const groups = agencies.map((agency) => ({
      agencyId: agency.id,
      name: agency.name,
      district: agency.district,
      ...countersOf(byKey.get(agency.id)),
    }));
    return { groupBy, groups };
  }
}

function weekFlowsOf(doc: WeekStatsDoc | undefined): WeekFlows {
  const flows = emptyWeekFlows();
  if (doc) for (const field of Object.keys(flows) as (keyof WeekFlows)[]) flows[field] = doc[field];
  return flows;
}
