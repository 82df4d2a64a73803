import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { SHANGHAI_DISTRICTS } from '../../domain/agency/district';
import { AGENCIES, type AgencyDoc } from '../../projections/agencies';
import { STATS, emptyCounters, type Counters, type StatsDoc } from '../../projections/stats';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export class GetStatsQuery {
  constructor(readonly groupBy?: 'district' | 'agency') {}
}

function countersOf(doc: StatsDoc | null | undefined): Counters {
  const counters = emptyCounters();
  if (doc) for (const field of Object.keys(counters) as (keyof Counters)[]) counters[field] = doc[field];
  return counters;
}

@QueryHandler(GetStatsQuery)
export class GetStatsHandler implements IQueryHandler<GetStatsQuery> {
  constructor(@Inject(READ_STORE) private readonly readStore: ReadStore) {}

  async execute({ groupBy }: GetStatsQuery) {
    const total = countersOf(await this.readStore.get<StatsDoc>(STATS, 'total'));
    if (!groupBy) return { total };
    const docs = await this.readStore.find<StatsDoc>(STATS, { scope: groupBy });
    const byKey = new Map(docs.map((doc) => [doc.key, doc]));
    if (groupBy === 'district') {
      // All 16 districts, even those with nothing yet, so charts keep their axis.
      const groups = SHANGHAI_DISTRICTS.map((district) => ({
        district: district.code,
        name: district.name,
        ...countersOf(byKey.get(district.code)),
      }));
      return { total, groupBy, groups };
    }
    const agencies = await this.readStore.find<AgencyDoc>(AGENCIES, {});
    const groups = agencies.map((agency) => ({
      agencyId: agency.id,
      name: agency.name,
      district: agency.district,
      ...countersOf(byKey.get(agency.id)),
    }));
    return { total, groupBy, groups };
  }
}
