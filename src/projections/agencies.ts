import type { AgencyRegistered } from '../domain/agency/agency';
import { districtName, type DistrictCode } from '../domain/agency/district';
import { documentProjection, type Recorded } from './projection';

export interface AgencyDoc {
  [key: string]: unknown;
  id: string;
  name: string;
  creditCode: string;
  district: string;
  districtName: string;
  registeredAt: string;
}

export const AGENCIES = 'agencies';

export const agenciesProjection = documentProjection<AgencyDoc>({
  name: 'agencies',
  collection: { name: AGENCIES, indexes: ['district'] },
  eventTypes: ['AgencyRegistered'],
  idOf: (event) => (event as Recorded<AgencyRegistered>).data.agencyId,
  evolve: (_doc, event) => {
    const { data, metadata } = event as Recorded<AgencyRegistered>;
    return {
      id: data.agencyId,
      name: data.name,
      creditCode: data.creditCode,
      district: data.district,
      districtName: districtName(data.district as DistrictCode),
      registeredAt: metadata.occurredAt,
    };
  },
});
